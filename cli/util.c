/*
 * util.c — buffers, files, percent-encoding, connections and error reports
 * for the `dtecert` command.
 */
#include "dtecert.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *progname = "dtecert";

void
errmsg(const char *fmt, ...)
{
	va_list		ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void *
xmalloc(size_t n)
{
	void	   *p = malloc(n ? n : 1);

	if (p == NULL)
	{
		errmsg("out of memory");
		exit(EXIT_ERROR);
	}
	return p;
}

char *
xstrdup(const char *s)
{
	size_t		n = strlen(s) + 1;
	char	   *p = xmalloc(n);

	memcpy(p, s, n);
	return p;
}

void
buf_init(Buf *b)
{
	b->cap = 256;
	b->len = 0;
	b->data = xmalloc(b->cap);
	b->data[0] = '\0';
}

void
buf_append(Buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap)
	{
		size_t		cap = b->cap;
		char	   *p;

		while (b->len + n + 1 > cap)
			cap *= 2;
		p = realloc(b->data, cap);
		if (p == NULL)
		{
			errmsg("out of memory");
			exit(EXIT_ERROR);
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_puts(Buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_printf(Buf *b, const char *fmt, ...)
{
	va_list		ap;
	int			n;
	char		small[256];

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t) n < sizeof(small))
	{
		buf_append(b, small, n);
		return;
	}
	{
		char	   *big = xmalloc((size_t) n + 1);

		va_start(ap, fmt);
		vsnprintf(big, (size_t) n + 1, fmt, ap);
		va_end(ap);
		buf_append(b, big, n);
		free(big);
	}
}

void
buf_free(Buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

bool
read_file(const char *path, Buf *out)
{
	FILE	   *f = fopen(path, "rb");
	char		chunk[65536];
	size_t		n;
	bool		ok;

	buf_init(out);
	if (f == NULL)
	{
		errmsg("%s: %s", path, strerror(errno));
		return false;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(out, chunk, n);
	ok = !ferror(f);
	if (!ok)
		errmsg("%s: read error", path);
	fclose(f);
	if (ok && strlen(out->data) != out->len)
	{
		errmsg("%s: the file contains a NUL byte", path);
		ok = false;
	}
	return ok;
}

bool
write_file(const char *path, const char *data, size_t len)
{
	size_t		tlen = strlen(path) + 32;
	char	   *tmp = xmalloc(tlen);
	FILE	   *f;
	bool		ok;

	snprintf(tmp, tlen, "%s.tmp%ld", path, (long) getpid());
	f = fopen(tmp, "wb");
	if (f == NULL)
	{
		errmsg("%s: %s", tmp, strerror(errno));
		free(tmp);
		return false;
	}
	ok = fwrite(data, 1, len, f) == len;
	if (fclose(f) != 0)
		ok = false;
	if (ok && rename(tmp, path) != 0)
		ok = false;
	if (!ok)
	{
		errmsg("%s: could not write: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return ok;
}

bool
is_directory(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool
make_dirs(const char *path)
{
	char	   *p = xstrdup(path);
	char	   *s;
	bool		ok = true;

	for (s = p + 1;; s++)
	{
		if (*s == '/' || *s == '\0')
		{
			char		c = *s;

			*s = '\0';
			if (mkdir(p, 0777) != 0 && errno != EEXIST)
			{
				errmsg("could not create directory %s: %s", p, strerror(errno));
				ok = false;
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	if (ok && !is_directory(path))
	{
		errmsg("%s is not a directory", path);
		ok = false;
	}
	free(p);
	return ok;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

char **
list_files(const char *dir, const char *const *suffixes, int *count)
{
	DIR		   *d = opendir(dir);
	struct dirent *e;
	char	  **list = NULL;
	int			n = 0,
				cap = 0;

	*count = 0;
	if (d == NULL)
	{
		errmsg("%s: %s", dir, strerror(errno));
		return NULL;
	}
	while ((e = readdir(d)) != NULL)
	{
		size_t		len = strlen(e->d_name);
		bool		match = false;
		char	   *full;

		if (e->d_name[0] == '.')
			continue;
		for (const char *const *sfx = suffixes; *sfx; sfx++)
		{
			size_t		sl = strlen(*sfx);

			if (len > sl && strcmp(e->d_name + len - sl, *sfx) == 0)
				match = true;
		}
		if (!match)
			continue;
		full = xmalloc(strlen(dir) + len + 2);
		sprintf(full, "%s/%s", dir, e->d_name);
		if (is_directory(full))
		{
			free(full);
			continue;
		}
		if (n == cap)
		{
			char	  **p;

			cap = cap ? cap * 2 : 16;
			p = realloc(list, cap * sizeof(char *));
			if (p == NULL)
			{
				errmsg("out of memory");
				exit(EXIT_ERROR);
			}
			list = p;
		}
		list[n++] = full;
	}
	closedir(d);
	if (n > 0)
		qsort(list, n, sizeof(char *), compare_names);
	*count = n;
	if (list == NULL)
		list = xmalloc(sizeof(char *));
	return list;
}

void
free_list(char **list, int count)
{
	for (int i = 0; i < count; i++)
		free(list[i]);
	free(list);
}

char *
pct_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char	   *out = xmalloc(strlen(s) * 3 + 1);
	char	   *o = out;

	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
	{
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			(*p >= '0' && *p <= '9') || *p == '_' || *p == '-')
			*o++ = (char) *p;
		else
		{
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

PGconn *
cli_connect(const Options *opts)
{
	const char *keys[] = {"dbname", "fallback_application_name", NULL};
	const char *values[] = {opts->conninfo, "dtecert", NULL};
	PGconn	   *conn;

	conn = PQconnectdbParams(keys, values, 1);
	if (conn == NULL)
	{
		errmsg("could not connect: out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK)
	{
		const char *msg = PQerrorMessage(conn);
		size_t		n = strlen(msg);

		while (n > 0 && msg[n - 1] == '\n')
			n--;
		errmsg("could not connect to the database: %.*s", (int) n, msg);
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

/* Prints the server's error: its primary message, then detail and hint. */
void
report_error(const char *what, PGconn *conn, const PGresult *res)
{
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;

	if (primary == NULL)
	{
		const char *msg = res && PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res)
			: PQerrorMessage(conn);
		size_t		n = strlen(msg);

		while (n > 0 && msg[n - 1] == '\n')
			n--;
		if (n == 0)
		{
			msg = "unexpected result from the server";
			n = strlen(msg);
		}
		errmsg("%s: %.*s", what, (int) n, msg);
		return;
	}
	errmsg("%s: %s", what, primary);
	if (detail)
		fprintf(stderr, "  DETAIL: %s\n", detail);
	if (hint)
		fprintf(stderr, "  HINT: %s\n", hint);
}

bool
exec_simple(PGconn *conn, const char *sql)
{
	PGresult   *res = PQexec(conn, sql);
	bool		ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
		PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		report_error(sql, conn, res);
	PQclear(res);
	return ok;
}

bool
require_extension(PGconn *conn)
{
	PGresult   *res = PQexec(conn,
							 "SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'dtecert'");
	bool		ok;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		report_error("could not look up the dtecert extension", conn, res);
		PQclear(res);
		return false;
	}
	ok = PQntuples(res) == 1;
	PQclear(res);
	if (!ok)
		errmsg("the extension dtecert is not installed in database \"%s\" (CREATE EXTENSION dtecert)",
			   PQdb(conn));
	return ok;
}

/* A connection to a database where dtecert is installed, or NULL (said why). */
PGconn *
connect_to_dtecert(const Options *opts)
{
	PGconn	   *conn = cli_connect(opts);

	if (conn != NULL && !require_extension(conn))
	{
		PQfinish(conn);
		return NULL;
	}
	return conn;
}
