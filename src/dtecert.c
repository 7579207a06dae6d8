/*-------------------------------------------------------------------------
 *
 * dtecert.c
 *	  Module entry point and configuration (GUCs).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "utils/guc.h"

#include "dtecert.h"
#include "lineage.h"
#include "progress.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* How long a certificate is valid when the policy has no valid_for. */
char	   *dtecert_default_valid_for = NULL;

/* How long before expiry due() lists a certified dataset. */
char	   *dtecert_renew_before = NULL;

/* Failing values kept per failed check. */
int			dtecert_sample_size = 20;

/* Memory for exact states (uniqueness) of one certification, in kB. */
int			dtecert_exact_mem = 256 * 1024;

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

	DefineCustomStringVariable("dtecert.renew_before",
							   "How long before its certificate expires a dataset is due for re-certification.",
							   "A PostgreSQL interval, such as '1 hour'; dtecert.due() reads it.",
							   &dtecert_renew_before,
							   "1 hour",
							   PGC_USERSET,
							   0,
							   check_interval_guc, NULL, NULL);

	DefineCustomIntVariable("dtecert.sample_size",
							"Failing values kept per failed check.",
							"The smallest by (primary key, value), or by (value, ctid) "
							"without a primary key; 0 keeps none.",
							&dtecert_sample_size,
							20, 0, 10000,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("dtecert.exact_mem",
							"Memory for the exact states of one certification.",
							"Uniqueness is counted in memory up to this much; past it, a "
							"check is counted exactly by one extra sort pass over its "
							"own columns.",
							&dtecert_exact_mem,
							256 * 1024, 64, MAX_KILOBYTES,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);

	/* the lineage worker, its settings and shared memory */
	lineage_init();
	/* the slots behind dtecert.progress */
	progress_init();

	MarkGUCPrefixReserved("dtecert");
}
