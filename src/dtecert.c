/*-------------------------------------------------------------------------
 *
 * dtecert.c
 *	  Module entry point and configuration (GUCs).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "dtecert.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* How long a certificate is valid when the policy has no valid_for. */
char	   *dtecert_default_valid_for = NULL;

static bool
check_interval_guc(char **newval, void **extra, GucSource source)
{
	/* Validated where it is used: an interval the server can parse. */
	return *newval != NULL && **newval != '\0';
}

void
_PG_init(void)
{
	DefineCustomStringVariable("dtecert.default_valid_for",
							   "Lifetime of a certificate whose policy sets no valid_for.",
							   "A PostgreSQL interval, such as '7 days'.",
							   &dtecert_default_valid_for,
							   "7 days",
							   PGC_USERSET,
							   0,
							   check_interval_guc, NULL, NULL);

	MarkGUCPrefixReserved("dtecert");
}
