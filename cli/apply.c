/*
 * apply.c — `dtecert apply FILE...|DIR`: store policies kept in YAML files.
 *
 * Each file (or each document of a multi-document file) names its table
 * with a top-level `dataset:` key, read here with libyaml; the document's
 * text goes to dtecert.set_policy($1::regclass, $2) as a parameter, never
 * into SQL text.  All files are stored in one transaction: one bad file and
 * nothing is stored (exit 2, naming the file and the server's error).
 */
#include "dtecert.h"
#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

typedef struct PolicyDoc
{
	char	   *file;
	int			docno;			/* 1-based document number in the file */
	int			ndocs;			/* documents in the file */
	char	   *dataset;
	char	   *text;			/* the document's text (the whole file for one) */
} PolicyDoc;

typedef struct DocList
{
	PolicyDoc  *items;
	int			n;
	int			cap;
} DocList;

static void
add_doc(DocList *l, PolicyDoc d)
{
	if (l->n == l->cap)
	{
		PolicyDoc  *p;

		l->cap = l->cap ? l->cap * 2 : 16;
		p = realloc(l->items, l->cap * sizeof(PolicyDoc));
		if (p == NULL)
		{
			errmsg("out of memory");
			exit(EXIT_ERROR);
		}
		l->items = p;
	}
	l->items[l->n++] = d;
}

static void
free_docs(DocList *l)
{
	for (int i = 0; i < l->n; i++)
	{
		free(l->items[i].file);
		free(l->items[i].dataset);
		free(l->items[i].text);
	}
	free(l->items);
}

/* One document's findings while scanning */
typedef struct DocScan
{
	size_t		start_line;
	char	   *dataset;
	bool		empty;
} DocScan;

/* Byte offset of the start of a 0-based line (or the text's length). */
static size_t
line_offset(const char *text, size_t len, size_t line)
{
	size_t		off = 0;

	while (line > 0 && off < len)
	{
		if (text[off++] == '\n')
			line--;
	}
	return off;
}

/*
 * Scans a YAML file: the top-level `dataset:` of each document and where
 * each document starts.  Returns false (after a message) on a YAML error or
 * a document without `dataset:`.
 */
static bool
scan_file(const char *path, const Buf *text, DocList *out)
{
	yaml_parser_t parser;
	yaml_event_t event;
	DocScan    *docs = NULL;
	int			ndocs = 0,
				cap = 0;
	int			depth = 0;
	bool		expect_key = false,
				key_is_dataset = false,
				root_scalar_empty = false,
				done = false,
				ok = true;

	if (!yaml_parser_initialize(&parser))
	{
		errmsg("out of memory");
		exit(EXIT_ERROR);
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *) text->data, text->len);
	while (!done)
	{
		if (!yaml_parser_parse(&parser, &event))
		{
			errmsg("%s:%zu:%zu: invalid YAML: %s%s%s", path,
				   parser.problem_mark.line + 1, parser.problem_mark.column + 1,
				   parser.problem ? parser.problem : "parse error",
				   parser.context ? " " : "", parser.context ? parser.context : "");
			ok = false;
			break;
		}
		switch (event.type)
		{
			case YAML_DOCUMENT_START_EVENT:
				if (ndocs == cap)
				{
					DocScan    *p;

					cap = cap ? cap * 2 : 4;
					p = realloc(docs, cap * sizeof(DocScan));
					if (p == NULL)
					{
						errmsg("out of memory");
						exit(EXIT_ERROR);
					}
					docs = p;
				}
				docs[ndocs].start_line = ndocs == 0 ? 0 : event.start_mark.line;
				docs[ndocs].dataset = NULL;
				docs[ndocs].empty = false;
				ndocs++;
				depth = 0;
				root_scalar_empty = false;
				break;
			case YAML_DOCUMENT_END_EVENT:
				if (ndocs > 0 && depth == 0 && root_scalar_empty)
					docs[ndocs - 1].empty = true;
				break;
			case YAML_MAPPING_START_EVENT:
			case YAML_SEQUENCE_START_EVENT:
				if (depth == 1)
					key_is_dataset = false;
				depth++;
				if (depth == 1)
					expect_key = event.type == YAML_MAPPING_START_EVENT;
				break;
			case YAML_MAPPING_END_EVENT:
			case YAML_SEQUENCE_END_EVENT:
				depth--;
				if (depth == 1)
					expect_key = true;
				break;
			case YAML_SCALAR_EVENT:
				if (depth == 0)
					root_scalar_empty = event.data.scalar.length == 0;
				else if (depth == 1 && expect_key)
				{
					key_is_dataset = strcmp((const char *) event.data.scalar.value, "dataset") == 0;
					expect_key = false;
				}
				else if (depth == 1)
				{
					if (key_is_dataset && ndocs > 0 && docs[ndocs - 1].dataset == NULL)
						docs[ndocs - 1].dataset = xstrdup((const char *) event.data.scalar.value);
					key_is_dataset = false;
					expect_key = true;
				}
				break;
			case YAML_ALIAS_EVENT:
				if (depth == 1)
				{
					key_is_dataset = false;
					expect_key = !expect_key;
				}
				break;
			case YAML_STREAM_END_EVENT:
				done = true;
				break;
			default:
				break;
		}
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&parser);

	if (ok)
	{
		int			real = 0;

		for (int i = 0; i < ndocs; i++)
			if (!docs[i].empty)
				real++;
		if (real == 0)
		{
			errmsg("%s: no policy in the file", path);
			ok = false;
		}
		for (int i = 0, k = 0; ok && i < ndocs; i++)
		{
			PolicyDoc	d;
			size_t		from,
						to;

			if (docs[i].empty)
				continue;
			k++;
			if (docs[i].dataset == NULL || docs[i].dataset[0] == '\0')
			{
				if (real == 1)
					errmsg("%s: no top-level `dataset:` key naming the table", path);
				else
					errmsg("%s: document %d: no top-level `dataset:` key naming the table", path, k);
				ok = false;
				break;
			}
			if (real == 1)
			{
				from = 0;
				to = text->len;
			}
			else
			{
				from = line_offset(text->data, text->len, docs[i].start_line);
				to = i + 1 < ndocs ? line_offset(text->data, text->len, docs[i + 1].start_line)
					: text->len;
			}
			d.file = xstrdup(path);
			d.docno = k;
			d.ndocs = real;
			d.dataset = xstrdup(docs[i].dataset);
			d.text = xmalloc(to - from + 1);
			memcpy(d.text, text->data + from, to - from);
			d.text[to - from] = '\0';
			add_doc(out, d);
		}
	}
	for (int i = 0; i < ndocs; i++)
		free(docs[i].dataset);
	free(docs);
	return ok;
}

static bool
on_apply_option(int c, const char *arg, void *state)
{
	(void) arg;
	if (c == 'f')
	{
		*(bool *) state = true;
		return true;
	}
	return false;
}

static void
doc_label(const PolicyDoc *d, char *buf, size_t size)
{
	if (d->ndocs > 1)
		snprintf(buf, size, "%s (document %d)", d->file, d->docno);
	else
		snprintf(buf, size, "%s", d->file);
}

int
cmd_apply(const Options *gopts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{"force", no_argument, NULL, 'f'},
		{NULL, 0, NULL, 0}
	};
	static const char *const suffixes[] = {".yml", ".yaml", NULL};
	Options		opts = *gopts;
	bool		force = false;
	int			first;
	DocList		docs = {NULL, 0, 0};
	PGconn	   *conn = NULL;
	Buf			report;
	int			rc = EXIT_ERROR;
	bool		in_tx = false;

	if (!parse_command_options("apply", argc, argv, "d:hf", longopts, &opts,
							   on_apply_option, &force, &first))
		return EXIT_ERROR;
	if (first >= argc)
	{
		errmsg("apply: give the policy files, or a directory of them");
		return EXIT_ERROR;
	}

	/* read and scan every file before touching the database */
	for (int i = first; i < argc; i++)
	{
		char	  **files;
		int			nfiles;
		bool		ok = true;

		if (is_directory(argv[i]))
		{
			files = list_files(argv[i], suffixes, &nfiles);
			if (files == NULL)
			{
				free_docs(&docs);
				return EXIT_ERROR;
			}
			if (nfiles == 0)
				fprintf(stderr, "%s: apply: no *.yml or *.yaml file in %s\n", progname, argv[i]);
		}
		else
		{
			files = xmalloc(sizeof(char *));
			files[0] = xstrdup(argv[i]);
			nfiles = 1;
		}
		for (int j = 0; ok && j < nfiles; j++)
		{
			Buf			text;

			ok = read_file(files[j], &text) && scan_file(files[j], &text, &docs);
			buf_free(&text);
		}
		free_list(files, nfiles);
		if (!ok)
		{
			errmsg("apply: nothing applied");
			free_docs(&docs);
			return EXIT_ERROR;
		}
	}
	if (docs.n == 0)
	{
		errmsg("apply: no policy files found");
		free_docs(&docs);
		return EXIT_ERROR;
	}

	buf_init(&report);
	conn = cli_connect(&opts);
	if (conn == NULL || !require_extension(conn) || !exec_simple(conn, "BEGIN"))
		goto done;
	in_tx = true;

	for (int i = 0; i < docs.n; i++)
	{
		const PolicyDoc *d = &docs.items[i];
		const char *params[2] = {d->dataset, d->text};
		char		label[4096];
		PGresult   *res;

		doc_label(d, label, sizeof(label));
		if (!force)
		{
			res = PQexecParams(conn,
							   "SELECT p.version, p.source IS NOT DISTINCT FROM $2, dtecert.dataset_name($1::regclass)"
							   "  FROM dtecert.policies p"
							   " WHERE p.dataset = dtecert.dataset_name($1::regclass)"
							   " ORDER BY p.version DESC LIMIT 1",
							   2, NULL, params, NULL, NULL, 0);
			if (PQresultStatus(res) != PGRES_TUPLES_OK)
			{
				report_error(label, conn, res);
				PQclear(res);
				goto done;
			}
			if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 1), "t") == 0)
			{
				buf_printf(&report, "%s: %s: unchanged (policy version %s)\n", label,
						   PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 0));
				PQclear(res);
				continue;
			}
			PQclear(res);
		}
		res = PQexecParams(conn,
						   "SELECT dtecert.set_policy($1::regclass, $2), dtecert.dataset_name($1::regclass)",
						   2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		{
			report_error(label, conn, res);
			PQclear(res);
			goto done;
		}
		buf_printf(&report, "%s: %s: policy version %s\n", label,
				   PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	in_tx = false;
	if (!exec_simple(conn, "COMMIT"))
		goto done;
	fputs(report.data, stdout);
	printf("applied %d polic%s in one transaction\n", docs.n, docs.n == 1 ? "y" : "ies");
	rc = EXIT_CERTIFIED;

done:
	if (rc != EXIT_CERTIFIED)
	{
		if (in_tx)
		{
			PGresult   *res = PQexec(conn, "ROLLBACK");

			PQclear(res);
		}
		if (conn != NULL)
			errmsg("apply: rolled back, nothing applied");
	}
	if (conn != NULL)
		PQfinish(conn);
	buf_free(&report);
	free_docs(&docs);
	return rc;
}
