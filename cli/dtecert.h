/*
 * dtecert.h — the `dtecert` command: shared declarations.
 *
 * The command is a plain libpq client: everything it knows about
 * certificates it asks the server (dtecert.certify, dtecert.evidence,
 * dtecert.status, dtecert.verify_chain).  Values always travel as query
 * parameters, never pasted into SQL text.
 */
#ifndef DTECERT_CLI_H
#define DTECERT_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

/* Exit codes (documented in `dtecert --help` and docs/cli.md) */
#define EXIT_CERTIFIED		0	/* all certified, or the command succeeded */
#define EXIT_NOT_CERTIFIED	1	/* some dataset not certified, or verify found a problem */
#define EXIT_ERROR			2	/* usage, connection, unknown dataset, any other error */

#define DTECERT_CLI_VERSION "0.2.0"

/* A growable byte buffer, always NUL-terminated. */
typedef struct Buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Buf;

void		buf_init(Buf *b);
void		buf_append(Buf *b, const char *s, size_t n);
void		buf_puts(Buf *b, const char *s);
void		buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void		buf_free(Buf *b);

void	   *xmalloc(size_t n);
char	   *xstrdup(const char *s);

/* Reads a whole file; on failure prints "dtecert: PATH: why" and returns false. */
bool		read_file(const char *path, Buf *out);
/* Writes a whole file (via a temporary file and rename); prints on failure. */
bool		write_file(const char *path, const char *data, size_t len);
/* mkdir -p; prints on failure. */
bool		make_dirs(const char *path);
bool		is_directory(const char *path);
/* The regular files in DIR whose names end with one of the suffixes, sorted. */
char	  **list_files(const char *dir, const char *const *suffixes, int *count);
void		free_list(char **list, int count);

/* Percent-encoding of a name part: [A-Za-z0-9_-] stay, every other byte is %XX. */
char	   *pct_encode(const char *s);

/* Connection settings, from -d CONNINFO or the PG* environment variables. */
typedef struct Options
{
	const char *conninfo;
	bool		tty;			/* stdout is a terminal */
} Options;

PGconn	   *cli_connect(const Options *opts);
/* Prints "dtecert: WHAT: <server error>" (primary message, detail, hint). */
void		report_error(const char *what, PGconn *conn, const PGresult *res);
/* Runs a statement without parameters and result rows; false on error (printed). */
bool		exec_simple(PGconn *conn, const char *sql);
/* Whether the connected database has dtecert installed (prints if not). */
bool		require_extension(PGconn *conn);
PGconn	   *connect_to_dtecert(const Options *opts);

void		errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The commands; argv[0] is the command's name.  Each returns an exit code. */
int			cmd_apply(const Options *opts, int argc, char **argv);
int			cmd_certify(const Options *opts, int argc, char **argv);
int			cmd_status(const Options *opts, int argc, char **argv);
int			cmd_summary(const Options *opts, int argc, char **argv);
int			cmd_verify(const Options *opts, int argc, char **argv);
int			cmd_export(const Options *opts, int argc, char **argv);
int			cmd_import_dbt(const Options *opts, int argc, char **argv);

/* Parses the options common to every command (-d CONNINFO) and the
 * command's own; see cli/dtecert.c. */
extern const char *progname;

#endif							/* DTECERT_CLI_H */
