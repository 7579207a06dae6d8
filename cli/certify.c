/*
 * certify.c — `dtecert certify DATASET... [--version GITREF] [--out DIR] [--tag]`
 *
 * For each dataset: dtecert.certify(), then the evidence pack as
 * DIR/<schema>.<table>.json (dtecert.evidence, pretty) and .html
 * (dtecert.evidence_html), each name part percent-encoded; with --tag, the
 * Git tag dtecert/<schema>.<table>/<certificate_id> at HEAD for each
 * certified dataset (git run by fork/exec, no shell).
 *
 * On a terminal it shows the phase and elapsed time while the server works
 * (and rows scanned of the estimate when the server has a dtecert.progress
 * view); otherwise it prints one line per dataset.
 */
#include "dtecert.h"
#include "options.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct CertifyOptions
{
	const char *version;
	const char *out;
	bool		tag;
} CertifyOptions;

static volatile sig_atomic_t interrupted = 0;

static void
on_sigint(int sig)
{
	(void) sig;
	interrupted = 1;
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The progress line on a terminal: "\r<text>", padded to clear the old one. */
static void
show_progress(const char *text)
{
	static size_t last = 0;
	size_t		n = strlen(text);

	printf("\r%s", text);
	for (size_t i = n; i < last; i++)
		putchar(' ');
	if (n < last)
		printf("\r%s", text);
	last = n;
	fflush(stdout);
}

static void
clear_progress(void)
{
	show_progress("");
	printf("\r");
	fflush(stdout);
}

/*
 * Rows scanned of the estimate, from the server's dtecert.progress view
 * (when there is one): columns looked up by name, so any shape with
 * `pid` and some of `phase`, `rows_scanned`, `rows_estimated`/`rows_total` works.
 */
static void
poll_progress(PGconn *watch, int pid, Buf *line)
{
	char		pidtext[16];
	const char *params[1] = {pidtext};
	PGresult   *res;
	int			phase,
				done,
				total;

	snprintf(pidtext, sizeof(pidtext), "%d", pid);
	res = PQexecParams(watch, "SELECT * FROM dtecert.progress WHERE pid = $1::int",
					   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
	{
		phase = PQfnumber(res, "phase");
		done = PQfnumber(res, "rows_scanned");
		total = PQfnumber(res, "rows_estimated");
		if (total < 0)
			total = PQfnumber(res, "rows_total");
		if (phase >= 0 && !PQgetisnull(res, 0, phase))
			buf_printf(line, ", %s", PQgetvalue(res, 0, phase));
		if (done >= 0 && !PQgetisnull(res, 0, done))
		{
			buf_printf(line, ", %s", PQgetvalue(res, 0, done));
			if (total >= 0 && !PQgetisnull(res, 0, total))
				buf_printf(line, " of ~%s", PQgetvalue(res, 0, total));
			buf_puts(line, " rows");
		}
	}
	PQclear(res);
}

/*
 * Runs a query, waiting on the socket; on a terminal, redraws the progress
 * line every half second.  Ctrl-C cancels the statement on the server.
 * Returns the last result (the caller PQclears it) or NULL.
 */
static PGresult *
run_with_progress(PGconn *conn, PGconn *watch, const char *label, const char *sql,
				  int nparams, const char *const *params, bool tty)
{
	double		start = now_seconds();
	PGresult   *res,
			   *last = NULL;
	bool		cancelled = false;

	if (!PQsendQueryParams(conn, sql, nparams, NULL, params, NULL, NULL, 0))
		return NULL;
	for (;;)
	{
		fd_set		fds;
		struct timeval tv = {0, 500000};
		int			sock = PQsocket(conn);

		if (!PQconsumeInput(conn))
			break;
		if (!PQisBusy(conn))
			break;
		if (interrupted && !cancelled)
		{
			PGcancel   *cancel = PQgetCancel(conn);
			char		errbuf[256];

			if (cancel)
			{
				PQcancel(cancel, errbuf, sizeof(errbuf));
				PQfreeCancel(cancel);
			}
			cancelled = true;
		}
		if (tty)
		{
			Buf			line;

			buf_init(&line);
			buf_printf(&line, "certifying %s … %.0fs", label, now_seconds() - start);
			if (watch)
				poll_progress(watch, PQbackendPID(conn), &line);
			if (cancelled)
				buf_puts(&line, " (cancelling)");
			show_progress(line.data);
			buf_free(&line);
		}
		FD_ZERO(&fds);
		FD_SET(sock, &fds);
		if (select(sock + 1, &fds, NULL, NULL, &tv) < 0 && errno != EINTR)
			break;
	}
	while ((res = PQgetResult(conn)) != NULL)
	{
		PQclear(last);
		last = res;
	}
	if (tty)
		clear_progress();
	return last;
}

/* git tag NAME HEAD, without a shell; true when git exited 0. */
static bool
git_tag(const char *name)
{
	pid_t		pid;
	int			status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
	{
		errmsg("could not run git: %s", strerror(errno));
		return false;
	}
	if (pid == 0)
	{
		/* the name starts with "dtecert/": git cannot take it for an option */
		char	   *args[] = {"git", "tag", (char *) name, "HEAD", NULL};

		execvp("git", args);
		fprintf(stderr, "%s: could not run git: %s\n", progname, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
	{
		if (errno != EINTR)
		{
			errmsg("waiting for git: %s", strerror(errno));
			return false;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
	{
		errmsg("git tag %s HEAD failed (exit status %d)", name,
			   WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return false;
	}
	return true;
}

static bool
on_certify_option(int c, const char *arg, void *state)
{
	CertifyOptions *co = state;

	switch (c)
	{
		case 'v':
			co->version = arg;
			return true;
		case 'o':
			co->out = arg;
			return true;
		case 't':
			co->tag = true;
			return true;
	}
	return false;
}

/* The exit code of one dataset; prints its line. */
static int
certify_one(PGconn *conn, PGconn *watch, const char *arg, const CertifyOptions *co, bool tty)
{
	const char *params[2];
	PGresult   *res;
	char	   *oid = NULL,
			   *base = NULL,
			   *path = NULL,
			   *name = NULL,
			   *id = NULL;
	bool		certified;
	int			rc = EXIT_ERROR;
	Buf			line;

	buf_init(&line);

	/* resolve the name as the server does (search_path for unqualified names) */
	params[0] = arg;
	res = PQexecParams(conn,
					   "SELECT c.oid, n.nspname, c.relname, dtecert.dataset_name(c.oid)"
					   "  FROM pg_catalog.pg_class c"
					   "  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
					   " WHERE c.oid = $1::regclass",
					   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
	{
		report_error(arg, conn, res);
		PQclear(res);
		goto done;
	}
	{
		char	   *s = pct_encode(PQgetvalue(res, 0, 1));
		char	   *t = pct_encode(PQgetvalue(res, 0, 2));

		base = xmalloc(strlen(s) + strlen(t) + 2);
		sprintf(base, "%s.%s", s, t);
		free(s);
		free(t);
	}
	oid = xstrdup(PQgetvalue(res, 0, 0));
	name = xstrdup(PQgetvalue(res, 0, 3));
	PQclear(res);

	if (tty)
		show_progress("");
	params[0] = oid;
	params[1] = co->version;
	res = run_with_progress(conn, watch, name,
							"SELECT r.certificate_id, r.certified, r.status,"
							"       coalesce(r.tier_achieved, 'none'), coalesce(r.tier_required, 'none'),"
							"       round(r.quality_score, 3), r.checks_passed, r.checks_failed,"
							"       to_char(r.valid_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"'),"
							"       coalesce(c.reason, (SELECT 'failed: ' || string_agg(x.check_name, ', ' ORDER BY x.check_index)"
							"                             FROM dtecert.check_results x"
							"                            WHERE x.certificate_id = r.certificate_id AND NOT x.passed))"
							"  FROM dtecert.certify($1::oid::regclass, $2) r"
							"  LEFT JOIN dtecert.certificates c ON c.certificate_id = r.certificate_id",
							2, params, tty);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
	{
		report_error(name, conn, res);
		PQclear(res);
		goto done;
	}
	id = xstrdup(PQgetvalue(res, 0, 0));
	certified = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	if (certified)
		buf_printf(&line, "%s: CERTIFIED at tier %s (required: %s), quality_score %s, certificate %s, valid until %s",
				   name, PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4),
				   PQgetisnull(res, 0, 5) ? "-" : PQgetvalue(res, 0, 5), id,
				   PQgetisnull(res, 0, 8) ? "-" : PQgetvalue(res, 0, 8));
	else
		buf_printf(&line, "%s: NOT certified (%s%s%s), tier achieved %s (required: %s), quality_score %s, certificate %s",
				   name, PQgetvalue(res, 0, 2),
				   PQgetisnull(res, 0, 9) ? "" : ": ",
				   PQgetisnull(res, 0, 9) ? "" : PQgetvalue(res, 0, 9),
				   PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4),
				   PQgetisnull(res, 0, 5) ? "-" : PQgetvalue(res, 0, 5), id);
	PQclear(res);

	/* the evidence pack */
	params[0] = id;
	res = PQexecParams(conn,
					   "SELECT jsonb_pretty(dtecert.evidence($1::bigint)), dtecert.evidence_html($1::bigint)",
					   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
	{
		report_error(name, conn, res);
		PQclear(res);
		goto done;
	}
	path = xmalloc(strlen(co->out) + strlen(base) + 8);
	sprintf(path, "%s/%s.json", co->out, base);
	{
		Buf			json;
		bool		ok;

		buf_init(&json);
		buf_puts(&json, PQgetvalue(res, 0, 0));
		buf_puts(&json, "\n");
		ok = write_file(path, json.data, json.len);
		buf_free(&json);
		sprintf(path, "%s/%s.html", co->out, base);
		ok = ok && write_file(path, PQgetvalue(res, 0, 1), strlen(PQgetvalue(res, 0, 1)));
		PQclear(res);
		if (!ok)
			goto done;
	}
	buf_printf(&line, "; evidence %s/%s.json and .html", co->out, base);

	if (co->tag && certified)
	{
		char	   *tag = xmalloc(strlen(base) + strlen(id) + 16);

		sprintf(tag, "dtecert/%s/%s", base, id);
		if (!git_tag(tag))
		{
			free(tag);
			goto done;
		}
		buf_printf(&line, "; tagged %s", tag);
		free(tag);
	}
	rc = certified ? EXIT_CERTIFIED : EXIT_NOT_CERTIFIED;

done:
	if (line.len > 0)
	{
		printf("%s%s\n", line.data, rc == EXIT_ERROR ? " (then an error, above)" : "");
		fflush(stdout);
	}
	buf_free(&line);
	free(oid);
	free(base);
	free(path);
	free(name);
	free(id);
	return rc;
}

int
cmd_certify(const Options *gopts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{"version", required_argument, NULL, 'v'},
		{"out", required_argument, NULL, 'o'},
		{"tag", no_argument, NULL, 't'},
		{NULL, 0, NULL, 0}
	};
	Options		opts = *gopts;
	CertifyOptions co = {NULL, "artifacts/certification", false};
	int			first;
	PGconn	   *conn,
			   *watch = NULL;
	int			rc = EXIT_CERTIFIED;
	int			ncertified = 0,
				nnot = 0,
				nerror = 0;
	struct sigaction sa,
				old;

	if (!parse_command_options("certify", argc, argv, "d:hv:o:t", longopts, &opts,
							   on_certify_option, &co, &first))
		return EXIT_ERROR;
	if (first >= argc)
	{
		errmsg("certify: name at least one dataset");
		return EXIT_ERROR;
	}
	if (co.out[0] == '\0')
	{
		errmsg("certify: --out needs a directory");
		return EXIT_ERROR;
	}
	conn = cli_connect(&opts);
	if (conn == NULL)
		return EXIT_ERROR;
	if (!require_extension(conn) || !make_dirs(co.out))
	{
		PQfinish(conn);
		return EXIT_ERROR;
	}

	/* on a terminal, a second session watches dtecert.progress, if the server has it */
	if (opts.tty)
	{
		PGresult   *res = PQexec(conn, "SELECT to_regclass('dtecert.progress') IS NOT NULL");

		if (PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "t") == 0)
		{
			watch = cli_connect(&opts);
		}
		PQclear(res);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old);

	for (int i = first; i < argc && !interrupted; i++)
	{
		int			one = certify_one(conn, watch, argv[i], &co, opts.tty);

		if (one == EXIT_CERTIFIED)
			ncertified++;
		else if (one == EXIT_NOT_CERTIFIED)
			nnot++;
		else
			nerror++;
		if (PQstatus(conn) != CONNECTION_OK)
		{
			errmsg("certify: the connection to the server was lost");
			nerror++;
			break;
		}
	}
	sigaction(SIGINT, &old, NULL);
	if (interrupted)
	{
		errmsg("certify: interrupted");
		nerror++;
	}
	if (argc - first > 1)
		printf("%d certified, %d not certified, %d error%s\n",
			   ncertified, nnot, nerror, nerror == 1 ? "" : "s");
	if (nerror > 0)
		rc = EXIT_ERROR;
	else if (nnot > 0)
		rc = EXIT_NOT_CERTIFIED;
	if (watch)
		PQfinish(watch);
	PQfinish(conn);
	return rc;
}
