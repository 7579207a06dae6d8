/*
 * dtecert.c — the `dtecert` command: CI and shell face of the dtecert
 * extension.  Usage in usage() below and in docs/cli.md.
 */
#include "dtecert.h"
#include "options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
usage(FILE *out)
{
	fprintf(out,
			"dtecert — data certificates from the command line (the dtecert PostgreSQL extension)\n"
			"\n"
			"Usage:\n"
			"  dtecert [-d CONNINFO] COMMAND [OPTIONS] [ARGS]\n"
			"\n"
			"Commands:\n"
			"  apply FILE...|DIR           store the policies of YAML files (a DIR: its *.yml and\n"
			"                              *.yaml) in ONE transaction; each file (or YAML document)\n"
			"                              names its table with `dataset:`; all or nothing.\n"
			"                              An unchanged policy is skipped (--force stores it again).\n"
			"  certify DATASET... [--version GITREF] [--out DIR] [--tag]\n"
			"                              certify each dataset and write DIR/<schema>.<table>.json\n"
			"                              and .html (each name part percent-encoded; default DIR\n"
			"                              artifacts/certification); --tag creates the Git tag\n"
			"                              dtecert/<schema>.<table>/<certificate_id> at HEAD for\n"
			"                              each certified dataset\n"
			"  status [--json] [DATASET...]  the current status of every dataset with a policy\n"
			"  summary                     a Markdown table of every dataset's status (for a pull\n"
			"                              request or a CI step summary)\n"
			"  verify [--against DIR]      verify every dataset's hash chain; with --against, also\n"
			"                              check each evidence pack DIR/*.json against the database\n"
			"  export CERT_ID [--html]     print a certificate's evidence pack (JSON, or the page)\n"
			"  import-dbt SCHEMA_YML [--schema S] [--out DIR]\n"
			"                              turn a dbt schema.yml's tests into dtecert policies\n"
			"                              (YAML on stdout, one document per model; with --out,\n"
			"                              one file per model)\n"
			"\n"
			"Connection:\n"
			"  -d, --dbname=CONNINFO       a database name or connection string (postgresql://...\n"
			"                              or 'host=... dbname=...'); otherwise the PG* environment\n"
			"                              variables (PGHOST, PGPORT, PGDATABASE, PGUSER, ...)\n"
			"\n"
			"Other options:\n"
			"  -h, --help                  show this help and exit\n"
			"  -V, --version               show the version and exit\n"
			"\n"
			"Exit status:\n"
			"  0  every dataset certified, or the command succeeded\n"
			"  1  some dataset not certified (certify, status), or verify found a problem\n"
			"  2  an error: usage, connection, unknown dataset, a bad policy file, ...\n"
			"\n"
			"On a terminal, certify shows what it is doing while a certification runs; otherwise\n"
			"(CI logs) it prints one line per dataset.  Documentation: docs/cli.md.\n");
}

typedef int (*command_fn) (const Options *, int, char **);

static const struct
{
	const char *name;
	command_fn	fn;
}			commands[] =
{
	{"apply", cmd_apply},
	{"certify", cmd_certify},
	{"status", cmd_status},
	{"summary", cmd_summary},
	{"verify", cmd_verify},
	{"export", cmd_export},
	{"import-dbt", cmd_import_dbt},
	{NULL, NULL}
};

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	Options		opts = {NULL, false};
	int			c;

	opts.tty = isatty(STDOUT_FILENO);

	/* options before the command ("+": stop at the first non-option) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+d:hV", longopts, NULL)) != -1)
	{
		switch (c)
		{
			case 'd':
				opts.conninfo = optarg;
				break;
			case 'h':
				usage(stdout);
				return EXIT_CERTIFIED;
			case 'V':
				printf("dtecert %s\n", DTECERT_CLI_VERSION);
				return EXIT_CERTIFIED;
			default:
				errmsg("unknown option \"%s\" (try \"dtecert --help\")", argv[optind - 1]);
				return EXIT_ERROR;
		}
	}
	if (optind >= argc)
	{
		errmsg("no command given");
		usage(stderr);
		return EXIT_ERROR;
	}
	if (strcmp(argv[optind], "help") == 0)
	{
		usage(stdout);
		return EXIT_CERTIFIED;
	}
	for (int i = 0; commands[i].name; i++)
	{
		if (strcmp(argv[optind], commands[i].name) == 0)
		{
			int			first = optind;

			/* the command parses its own options; argv[0] is its name */
			optind = 0;			/* glibc: start over */
			return commands[i].fn(&opts, argc - first, argv + first);
		}
	}
	errmsg("unknown command \"%s\" (try \"dtecert --help\")", argv[optind]);
	return EXIT_ERROR;
}

bool
parse_command_options(const char *command, int argc, char **argv,
					  const char *shortopts, const struct option *longopts,
					  Options *opts, option_fn on_option, void *state, int *first)
{
	int			c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1)
	{
		switch (c)
		{
			case 'd':
				opts->conninfo = optarg;
				break;
			case 'h':
				usage(stdout);
				exit(EXIT_CERTIFIED);
			case '?':
			case ':':
				if (optopt && strchr(shortopts, optopt) && optopt != '?')
					errmsg("%s: option -%c needs a value", command, optopt);
				else
					errmsg("%s: unknown option or missing value: \"%s\" (try \"dtecert --help\")",
						   command, argv[optind - 1]);
				return false;
			default:
				if (on_option == NULL || !on_option(c, optarg, state))
					return false;
				break;
		}
	}
	*first = optind;
	return true;
}
