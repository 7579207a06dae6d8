/*
 * report.c — the reading commands: `status [--json]`, `summary`,
 * `verify [--against DIR]` and `export CERT_ID`.
 */
#include "dtecert.h"
#include "options.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Display width of UTF-8 text (one column per character). */
static int
text_width(const char *s)
{
	int			w = 0;

	for (; *s; s++)
		if ((*s & 0xC0) != 0x80)
			w++;
	return w;
}

/* Prints a result as an aligned text table under the given headers. */
static void
print_table(const PGresult *res, const char *const *headers)
{
	int			ncols = PQnfields(res);
	int			nrows = PQntuples(res);
	int		   *width = xmalloc(ncols * sizeof(int));

	for (int c = 0; c < ncols; c++)
	{
		width[c] = text_width(headers[c]);
		for (int r = 0; r < nrows; r++)
		{
			int			w = text_width(PQgetisnull(res, r, c) ? "-" : PQgetvalue(res, r, c));

			if (w > width[c])
				width[c] = w;
		}
	}
	for (int r = -1; r < nrows; r++)
	{
		for (int c = 0; c < ncols; c++)
		{
			const char *v = r < 0 ? headers[c]
				: PQgetisnull(res, r, c) ? "-" : PQgetvalue(res, r, c);

			if (c == ncols - 1)
				printf("%s", v);
			else
				printf("%s%*s  ", v, width[c] - text_width(v), "");
		}
		putchar('\n');
	}
	free(width);
}

/* A PostgreSQL text[] literal of the arguments ({"a","b"}), or NULL for none. */
static char *
text_array(int n, char **items)
{
	Buf			b;

	if (n == 0)
		return NULL;
	buf_init(&b);
	buf_puts(&b, "{");
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			buf_puts(&b, ",");
		buf_puts(&b, "\"");
		for (const char *p = items[i]; *p; p++)
		{
			if (*p == '"' || *p == '\\')
				buf_puts(&b, "\\");
			buf_append(&b, p, 1);
		}
		buf_puts(&b, "\"");
	}
	buf_puts(&b, "}");
	return b.data;
}

static bool
on_flag(int c, const char *arg, void *state)
{
	(void) arg;
	if (c == 'j' || c == 'H')
	{
		*(bool *) state = true;
		return true;
	}
	return false;
}

#define STATUS_FILTER \
	" WHERE $1::text[] IS NULL" \
	"    OR s.dataset IN (SELECT dtecert.dataset_name(x::regclass) FROM unnest($1::text[]) x)"

int
cmd_status(const Options *gopts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0}
	};
	static const char *const headers[] = {
		"dataset", "status", "tier", "required", "score", "valid until", "certificate", "reason"
	};
	Options		opts = *gopts;
	bool		json = false;
	int			first;
	PGconn	   *conn;
	PGresult   *res;
	char	   *filter;
	const char *params[1];
	int			rc = EXIT_ERROR;

	if (!parse_command_options("status", argc, argv, "d:hj", longopts, &opts,
							   on_flag, &json, &first))
		return EXIT_ERROR;
	conn = connect_to_dtecert(&opts);
	if (conn == NULL)
		return EXIT_ERROR;
	filter = text_array(argc - first, argv + first);
	params[0] = filter;
	if (json)
		res = PQexecParams(conn,
						   "SELECT jsonb_pretty(coalesce(jsonb_agg(to_jsonb(s) ORDER BY s.dataset), '[]')),"
						   "       coalesce(bool_and(s.status = 'certified'), true)"
						   "  FROM dtecert.status s" STATUS_FILTER,
						   1, NULL, params, NULL, NULL, 0);
	else
		res = PQexecParams(conn,
						   "SELECT s.dataset, s.status, s.tier_achieved, s.tier_required,"
						   "       round(s.quality_score, 3),"
						   "       to_char(s.valid_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"'),"
						   "       s.certificate_id, s.reason"
						   "  FROM dtecert.status s" STATUS_FILTER
						   " ORDER BY s.dataset",
						   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		report_error("status", conn, res);
		goto done;
	}
	if (json)
	{
		printf("%s\n", PQgetvalue(res, 0, 0));
		rc = strcmp(PQgetvalue(res, 0, 1), "t") == 0 ? EXIT_CERTIFIED : EXIT_NOT_CERTIFIED;
	}
	else if (PQntuples(res) == 0)
	{
		printf("no dataset has a policy\n");
		rc = EXIT_CERTIFIED;
	}
	else
	{
		print_table(res, headers);
		rc = EXIT_CERTIFIED;
		for (int r = 0; r < PQntuples(res); r++)
			if (strcmp(PQgetvalue(res, r, 1), "certified") != 0)
				rc = EXIT_NOT_CERTIFIED;
	}
done:
	PQclear(res);
	free(filter);
	PQfinish(conn);
	return rc;
}

/* A Markdown table cell: pipes and backslashes escaped, newlines as spaces. */
static void
md_cell(Buf *b, const char *v)
{
	for (; *v; v++)
	{
		if (*v == '|' || *v == '\\' || *v == '`' || *v == '*' || *v == '_' || *v == '<')
		{
			if (*v == '<')
			{
				buf_puts(b, "&lt;");
				continue;
			}
			buf_puts(b, "\\");
		}
		if (*v == '\n' || *v == '\r')
			buf_puts(b, " ");
		else
			buf_append(b, v, 1);
	}
}

int
cmd_summary(const Options *gopts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	Options		opts = *gopts;
	int			first;
	PGconn	   *conn;
	PGresult   *res,
			   *chain = NULL;
	Buf			md;
	int			ncert = 0,
				n,
				rc = EXIT_ERROR;

	if (!parse_command_options("summary", argc, argv, "d:h", longopts, &opts,
							   NULL, NULL, &first))
		return EXIT_ERROR;
	if (first < argc)
	{
		errmsg("summary: takes no arguments");
		return EXIT_ERROR;
	}
	conn = connect_to_dtecert(&opts);
	if (conn == NULL)
		return EXIT_ERROR;
	buf_init(&md);
	res = PQexec(conn,
				 "SELECT s.dataset, s.status, coalesce(s.tier_achieved, '–'),"
				 "       coalesce(s.tier_required, '–'),"
				 "       coalesce(round(s.quality_score, 3)::text, '–'),"
				 "       coalesce(to_char(s.valid_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"'), '–'),"
				 "       coalesce(s.certificate_id::text, '–'), coalesce(s.reason, '')"
				 "  FROM dtecert.status s ORDER BY s.dataset");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		report_error("summary", conn, res);
		goto done;
	}
	chain = PQexec(conn,
				   "SELECT count(*), count(*) FILTER (WHERE NOT ok) FROM dtecert.verify_chain()");
	if (PQresultStatus(chain) != PGRES_TUPLES_OK)
	{
		report_error("summary: verify_chain", conn, chain);
		goto done;
	}
	n = PQntuples(res);
	for (int r = 0; r < n; r++)
		if (strcmp(PQgetvalue(res, r, 1), "certified") == 0)
			ncert++;
	buf_printf(&md, "### dtecert: %d of %d dataset%s certified\n\n", ncert, n, n == 1 ? "" : "s");
	if (n > 0)
	{
		buf_puts(&md, "| | Dataset | Status | Tier (achieved / required) | Score | Valid until | Certificate | Reason |\n");
		buf_puts(&md, "|---|---|---|---|---|---|---|---|\n");
		for (int r = 0; r < n; r++)
		{
			const char *status = PQgetvalue(res, r, 1);
			const char *icon = strcmp(status, "certified") == 0 ? "✅"
				: strcmp(status, "drifted") == 0 || strcmp(status, "expired") == 0 ? "⚠️"
				: strcmp(status, "uncertified") == 0 ? "⏳" : "❌";

			buf_printf(&md, "| %s | ", icon);
			md_cell(&md, PQgetvalue(res, r, 0));
			buf_puts(&md, " | **");
			md_cell(&md, status);
			buf_puts(&md, "** | ");
			md_cell(&md, PQgetvalue(res, r, 2));
			buf_puts(&md, " / ");
			md_cell(&md, PQgetvalue(res, r, 3));
			for (int c = 4; c < 8; c++)
			{
				buf_puts(&md, " | ");
				md_cell(&md, PQgetvalue(res, r, c));
			}
			buf_puts(&md, " |\n");
		}
		buf_puts(&md, "\n");
	}
	if (strcmp(PQgetvalue(chain, 0, 1), "0") == 0)
		buf_printf(&md, "History: %s hash chain%s verified (`dtecert verify`).\n",
				   PQgetvalue(chain, 0, 0), strcmp(PQgetvalue(chain, 0, 0), "1") == 0 ? "" : "s");
	else
		buf_printf(&md, "History: **%s of %s hash chains do not verify** (`dtecert verify` says where).\n",
				   PQgetvalue(chain, 0, 1), PQgetvalue(chain, 0, 0));
	fputs(md.data, stdout);
	rc = EXIT_CERTIFIED;
done:
	PQclear(res);
	PQclear(chain);
	buf_free(&md);
	PQfinish(conn);
	return rc;
}

typedef struct VerifyOptions
{
	const char *against;
} VerifyOptions;

static bool
on_verify_option(int c, const char *arg, void *state)
{
	if (c == 'a')
	{
		((VerifyOptions *) state)->against = arg;
		return true;
	}
	return false;
}

/* Checks one pack against the database: 0 fine, 1 a problem, 2 an error. */
static int
verify_pack(PGconn *conn, const char *path)
{
	Buf			text;
	const char *params[1];
	PGresult   *res;
	int			rc;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	if (!read_file(path, &text))
	{
		buf_free(&text);
		return EXIT_ERROR;
	}
	params[0] = text.data;
	res = PQexecParams(conn,
					   "WITH f AS ("
					   "  SELECT j ->> 'dataset' AS dataset,"
					   "         j #>> '{certificate,certificate_id}' AS id,"
					   "         j #>> '{integrity,core_sha256}' AS seal,"
					   "         j #>> '{integrity,chain_head}' AS head"
					   "    FROM (SELECT $1::jsonb AS j) p),"
					   " removed AS ("
					   "  SELECT e ->> 'certificate_id' AS id, e ->> 'core_sha256' AS seal"
					   "    FROM dtecert.certificates c, f,"
					   "         jsonb_array_elements(c.profile -> 'removed') e"
					   "   WHERE c.dataset = f.dataset AND c.status = 'checkpoint'"
					   "     AND jsonb_typeof(c.profile -> 'removed') = 'array')"
					   "SELECT f.dataset, f.id,"
					   "       f.dataset IS NOT NULL AND f.id ~ '^[0-9]+$' AND f.seal IS NOT NULL"
					   "         AND f.head IS NOT NULL,"
					   "       EXISTS (SELECT 1 FROM dtecert.certificates c"
					   "                WHERE c.certificate_id::text = f.id AND c.dataset = f.dataset"
					   "                  AND c.core_sha256 = f.seal)"
					   "         OR EXISTS (SELECT 1 FROM removed r WHERE r.id = f.id AND r.seal = f.seal),"
					   "       EXISTS (SELECT 1 FROM dtecert.certificates c"
					   "                WHERE c.dataset = f.dataset AND c.core_sha256 = f.head)"
					   "         OR EXISTS (SELECT 1 FROM removed r WHERE r.seal = f.head),"
					   "       f.head"
					   "  FROM f",
					   1, NULL, params, NULL, NULL, 0);
	buf_free(&text);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
	{
		char	   *what = xmalloc(strlen(path) + 32);

		sprintf(what, "%s: not an evidence pack", path);
		report_error(what, conn, res);
		free(what);
		PQclear(res);
		return EXIT_ERROR;
	}
	if (strcmp(PQgetvalue(res, 0, 2), "t") != 0)
	{
		printf("skipped  %s: not an evidence pack (no dataset, certificate id or integrity block)\n", base);
		rc = EXIT_CERTIFIED;
	}
	else if (strcmp(PQgetvalue(res, 0, 3), "t") != 0)
	{
		printf("PROBLEM  %s: certificate %s of %s: the seal in the pack is not in the database "
			   "(the record was changed, removed or re-sealed)\n",
			   base, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0));
		rc = EXIT_NOT_CERTIFIED;
	}
	else if (strcmp(PQgetvalue(res, 0, 4), "t") != 0)
	{
		printf("PROBLEM  %s: certificate %s of %s: the chain head kept in the pack (%.16s…) is no "
			   "longer a seal of the dataset's chain (the history was rewritten)\n",
			   base, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 5));
		rc = EXIT_NOT_CERTIFIED;
	}
	else
	{
		printf("ok       %s: certificate %s of %s: its seal and the chain head it kept are in the database\n",
			   base, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0));
		rc = EXIT_CERTIFIED;
	}
	PQclear(res);
	return rc;
}

int
cmd_verify(const Options *gopts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{"against", required_argument, NULL, 'a'},
		{NULL, 0, NULL, 0}
	};
	static const char *const suffixes[] = {".json", NULL};
	Options		opts = *gopts;
	VerifyOptions vo = {NULL};
	int			first;
	PGconn	   *conn;
	PGresult   *res;
	int			problems = 0,
				errors = 0,
				chains;

	if (!parse_command_options("verify", argc, argv, "d:ha:", longopts, &opts,
							   on_verify_option, &vo, &first))
		return EXIT_ERROR;
	if (first < argc)
	{
		errmsg("verify: unexpected argument \"%s\" (a directory of packs goes with --against)",
			   argv[first]);
		return EXIT_ERROR;
	}
	if (vo.against && !is_directory(vo.against))
	{
		errmsg("verify: --against %s: not a directory", vo.against);
		return EXIT_ERROR;
	}
	conn = connect_to_dtecert(&opts);
	if (conn == NULL)
		return EXIT_ERROR;
	res = PQexec(conn,
				 "SELECT dataset, certificates, ok, first_bad_certificate, problem"
				 "  FROM dtecert.verify_chain() ORDER BY dataset");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		report_error("verify_chain", conn, res);
		PQclear(res);
		PQfinish(conn);
		return EXIT_ERROR;
	}
	chains = PQntuples(res);
	for (int r = 0; r < chains; r++)
	{
		if (strcmp(PQgetvalue(res, r, 2), "t") == 0)
			printf("ok       %s: %s records, chain verified\n",
				   PQgetvalue(res, r, 0), PQgetvalue(res, r, 1));
		else
		{
			printf("PROBLEM  %s: record %s: %s\n", PQgetvalue(res, r, 0),
				   PQgetvalue(res, r, 3), PQgetvalue(res, r, 4));
			problems++;
		}
	}
	PQclear(res);

	if (vo.against)
	{
		int			n;
		char	  **files = list_files(vo.against, suffixes, &n);

		if (files == NULL)
			errors++;
		else
		{
			if (n == 0)
				printf("no evidence pack (*.json) in %s\n", vo.against);
			for (int i = 0; i < n; i++)
			{
				int			one = verify_pack(conn, files[i]);

				if (one == EXIT_NOT_CERTIFIED)
					problems++;
				else if (one == EXIT_ERROR)
					errors++;
			}
			free_list(files, n);
		}
	}
	PQfinish(conn);
	printf("verify: %d chain%s, %d problem%s%s\n", chains, chains == 1 ? "" : "s",
		   problems, problems == 1 ? "" : "s",
		   errors ? ", and errors (above)" : "");
	if (errors)
		return EXIT_ERROR;
	return problems ? EXIT_NOT_CERTIFIED : EXIT_CERTIFIED;
}

int
cmd_export(const Options *gopts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{"html", no_argument, NULL, 'H'},
		{NULL, 0, NULL, 0}
	};
	Options		opts = *gopts;
	bool		html = false;
	int			first;
	PGconn	   *conn;
	PGresult   *res;
	const char *params[1];
	int			rc = EXIT_ERROR;

	if (!parse_command_options("export", argc, argv, "d:h", longopts, &opts,
							   on_flag, &html, &first))
		return EXIT_ERROR;
	if (argc - first != 1)
	{
		errmsg("export: give one certificate id");
		return EXIT_ERROR;
	}
	for (const char *p = argv[first]; *p; p++)
		if (!isdigit((unsigned char) *p))
		{
			errmsg("export: \"%s\" is not a certificate id", argv[first]);
			return EXIT_ERROR;
		}
	if (argv[first][0] == '\0' || strlen(argv[first]) > 18)
	{
		errmsg("export: \"%s\" is not a certificate id", argv[first]);
		return EXIT_ERROR;
	}
	conn = connect_to_dtecert(&opts);
	if (conn == NULL)
		return EXIT_ERROR;
	params[0] = argv[first];
	res = PQexecParams(conn,
					   html ? "SELECT dtecert.evidence_html($1::bigint)"
					   : "SELECT jsonb_pretty(dtecert.evidence($1::bigint))",
					   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		report_error("export", conn, res);
	else if (PQgetisnull(res, 0, 0))
		errmsg("export: no certificate %s", argv[first]);
	else
	{
		fputs(PQgetvalue(res, 0, 0), stdout);
		if (!html)
			putchar('\n');
		rc = EXIT_CERTIFIED;
	}
	PQclear(res);
	PQfinish(conn);
	return rc;
}
