/*-------------------------------------------------------------------------
 *
 * lineage_guc.c
 *	  The lineage settings (DESIGN section 7).  Everything the worker reads
 *	  is PGC_SIGHUP: set in postgresql.conf or with ALTER SYSTEM, applied
 *	  by a reload (not PGC_POSTMASTER, which would keep the library from
 *	  loading where it is not preloaded).  The api key is superuser-only: SHOW and pg_settings
 *	  hide it from other roles, and it is never logged or stored.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "utils/guc.h"

#include "lineage.h"

char	   *lineage_database = NULL;
char	   *lineage_url = NULL;
char	   *lineage_api_key = NULL;
char	   *lineage_host = NULL;
int			lineage_connect_timeout_ms = 5000;
int			lineage_timeout_ms = 5000;
int			lineage_backoff_max_ms = 5 * 60 * 1000;
int			lineage_retention_s = 7 * 24 * 60 * 60;

static bool
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* '' (keep events queued), http(s)://..., or file:///absolute/path */
static bool
check_lineage_url(char **newval, void **extra, GucSource source)
{
	const char *url = *newval;

	if (url == NULL || url[0] == '\0')
		return true;
	if (has_prefix(url, "http://") || has_prefix(url, "https://"))
		return true;
	if (has_prefix(url, "file:///") && url[8] != '\0')
		return true;
	GUC_check_errdetail("dtecert.lineage_url must be empty, an http:// or https:// URL, or file:///path.");
	return false;
}

static bool
check_not_empty(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || **newval == '\0')
	{
		GUC_check_errdetail("The value must not be empty.");
		return false;
	}
	return true;
}

static void
define_string(const char *name, const char *short_desc, const char *long_desc,
			  char **var, const char *boot, GucContext context, int flags,
			  GucStringCheckHook check)
{
	DefineCustomStringVariable(name, short_desc, long_desc, var, boot,
							   context, flags, check, NULL, NULL);
}

static void
define_int(const char *name, const char *short_desc, int *var, int boot,
		   int min, int max, int flags)
{
	DefineCustomIntVariable(name, short_desc, NULL, var, boot, min, max,
							PGC_SIGHUP, flags, NULL, NULL, NULL);
}

void
lineage_define_gucs(void)
{
	define_string("dtecert.database",
				  "Database whose lineage events the dtecert lineage worker delivers.",
				  "Events certified in other databases stay queued in their outbox. "
				  "The worker restarts to serve a new value.",
				  &lineage_database, "postgres", PGC_SIGHUP, 0, check_not_empty);
	define_string("dtecert.lineage_url",
				  "Where lineage events go: http(s)://host/api/v1/lineage, file:///path, or empty.",
				  "Empty keeps events queued in dtecert.lineage_outbox.",
				  &lineage_url, "", PGC_SIGHUP, 0, check_lineage_url);
	define_string("dtecert.lineage_api_key",
				  "Sent to the lineage endpoint as Authorization: Bearer.",
				  NULL,
				  &lineage_api_key, "", PGC_SIGHUP,
				  GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL, NULL);
	define_string("dtecert.lineage_host",
				  "This server's host name in lineage dataset namespaces (postgres://host:port).",
				  NULL,
				  &lineage_host, "localhost", PGC_SIGHUP, 0, check_not_empty);
	define_int("dtecert.lineage_connect_timeout_ms",
			   "Time limit for connecting to the lineage endpoint.",
			   &lineage_connect_timeout_ms, 5000, 1, INT_MAX, GUC_UNIT_MS);
	define_int("dtecert.lineage_timeout_ms",
			   "Time limit for delivering one lineage event.",
			   &lineage_timeout_ms, 5000, 1, INT_MAX, GUC_UNIT_MS);
	define_int("dtecert.lineage_backoff_max",
			   "Longest wait between two attempts to deliver a lineage event.",
			   &lineage_backoff_max_ms, 5 * 60 * 1000, 1, INT_MAX, GUC_UNIT_MS);
	define_int("dtecert.lineage_retention",
			   "How long delivered lineage events are kept in the outbox.",
			   &lineage_retention_s, 7 * 24 * 60 * 60, 0, INT_MAX, GUC_UNIT_S);
}
