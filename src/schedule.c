/*-------------------------------------------------------------------------
 *
 * schedule.c
 *	  CALL dtecert.recertify_due(max_datasets): re-certify what dtecert.due()
 *	  lists, one dataset per transaction, never waiting.
 *
 * A scheduler (pg_cron) calls this every few minutes, so it must be cheap
 * when nothing changed (due() reads only the catalog and the statistics
 * system), must never wait for a session that is certifying a dataset (it
 * skips that dataset: the other session is doing the work), and must not
 * let one bad dataset stop the others: a certification that raises an error
 * is recorded as a failed run, whose digests keep the dataset off due()
 * until its data, policy or schema changes, or the run grows old.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "certify.h"
#include "dtecert.h"
#include "lifecycle.h"

PG_FUNCTION_INFO_V1(dtecert_recertify_due);

typedef struct DueList
{
	char	  **datasets;
	int			n;
} DueList;

/* What due() lists now, copied into the current memory context. */
static DueList
read_due(void)
{
	DueList		list = {NULL, 0};
	int			ret;
	uint64		i;

	ret = SPI_execute("SELECT dataset FROM dtecert.due()", false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read dtecert.due(): %s", SPI_result_code_string(ret));
	list.n = (int) SPI_processed;
	list.datasets = palloc(sizeof(char *) * Max(list.n, 1));
	for (i = 0; i < SPI_processed; i++)
		list.datasets[i] = pstrdup(SPI_getvalue(SPI_tuptable->vals[i],
												SPI_tuptable->tupdesc, 1));
	return list;
}

/* Why the dataset is due now (after taking its lock), or NULL if no longer. */
static char *
why_due(const char *dataset)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(dataset)};
	int			ret;

	ret = SPI_execute_with_args("SELECT why FROM dtecert.due(pg_catalog.to_regclass($1))",
								1, argtypes, args, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read dtecert.due(): %s", SPI_result_code_string(ret));
	if (SPI_processed == 0)
		return NULL;
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

typedef struct CertifyCall
{
	const char *dataset;
	char	   *status;			/* out */
} CertifyCall;

static void
certify_dataset(void *arg)
{
	CertifyCall *call = (CertifyCall *) arg;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(call->dataset)};
	int			ret;

	ret = SPI_execute_with_args("SELECT status FROM dtecert.certify($1::pg_catalog.regclass)",
								1, argtypes, args, NULL, false, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not certify %s: %s", call->dataset,
			 SPI_result_code_string(ret));
	call->status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

/*
 * A certification that raised an error: a failed run with the error as its
 * reason and the relation's digests, so that due() lists it again only after
 * a change (or when the run is older than valid_for).
 */
static void
record_failure(const char *dataset, ErrorData *error)
{
	Oid			argtypes[3] = {TEXTOID, TEXTOID, TEXTOID};
	Datum		args[3];
	char	   *old_status = lifecycle_status(dataset);
	SavedIdentity saved;
	bool		isnull;
	int			ret;

	args[0] = CStringGetTextDatum(dataset);
	args[1] = CStringGetTextDatum(psprintf("certification raised an error (SQLSTATE %s): %s",
										   unpack_sql_state(error->sqlerrcode),
										   error->message));
	args[2] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));
	pgstat_clear_snapshot();
	dtecert_become_extension_owner(&saved);
	ret = SPI_execute_with_args(
		"INSERT INTO dtecert.certificates"
		"  (dataset, relation_oid, policy_version, issued_at, certified, status,"
		"   reason, issued_by, storage_digest, modifications, schema_digest,"
		"   previous_sha256)"
		" SELECT $1, r.oid,"
		"        (SELECT max(p.version) FROM dtecert.policies p"
		"          WHERE p.dataset OPERATOR(pg_catalog.=) $1),"
		"        pg_catalog.clock_timestamp(), false, 'failed', $2, $3,"
		"        s.storage_digest, s.modifications, s.schema_digest,"
		"        dtecert.chain_head($1)"
		"   FROM pg_catalog.to_regclass($1) r(oid),"
		"        dtecert.relation_state(r.oid) s"
		" RETURNING certificate_id",
		3, argtypes, args, NULL, false, 0);
	if (ret != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "could not record the failure of %s: %s", dataset,
			 SPI_result_code_string(ret));
	record_seal(DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											SPI_tuptable->tupdesc, 1, &isnull)));
	dtecert_restore_identity(&saved);
	lifecycle_announce(dataset, old_status, "failed");
}

/* Counts for the closing notice. */
typedef struct Tally
{
	int			certified;
	int			not_certified;
	int			errors;
	int			skipped;
} Tally;

/* One dataset, in the current transaction.  Returns false when skipped. */
static bool
recertify_one(const char *dataset, Tally *tally)
{
	MemoryContext mcxt = CurrentMemoryContext;
	CertifyCall call = {dataset, NULL};
	ErrorData  *error;
	char	   *why;

	/* another session is certifying it: it does the work, we do not wait */
	if (!dtecert_try_lock_dataset(dataset))
	{
		tally->skipped++;
		return false;
	}
	/* it may have been certified since due() was read */
	why = why_due(dataset);
	if (why == NULL)
		return false;
	if (strcmp(why, "expired") == 0)
		lifecycle_announce(dataset, "certified", "expired");

	if (dtecert_try(certify_dataset, &call, &error))
	{
		if (strcmp(call.status, "certified") == 0)
			tally->certified++;
		else
			tally->not_certified++;
		ereport(NOTICE,
				(errmsg("re-certified %s (%s): %s", dataset, why, call.status)));
		return true;
	}
	MemoryContextSwitchTo(mcxt);
	tally->errors++;
	ereport(WARNING,
			(errmsg("could not re-certify %s (%s): %s", dataset, why, error->message),
			 errdetail("A failed run is recorded; the dataset is due again when it changes.")));
	record_failure(dataset, error);
	return true;
}

static bool
called_nonatomic(FunctionCallInfo fcinfo)
{
	return fcinfo->context != NULL && IsA(fcinfo->context, CallContext) &&
		!castNode(CallContext, fcinfo->context)->atomic;
}

/*
 * CALL dtecert.recertify_due(max_datasets int default null).  Called on its
 * own, it commits after each dataset; inside a transaction block (or from a
 * function) it cannot commit, so all its work commits or aborts together.
 */
Datum
dtecert_recertify_due(PG_FUNCTION_ARGS)
{
	bool		nonatomic = called_nonatomic(fcinfo);
	int			max_datasets = PG_ARGISNULL(0) ? -1 : PG_GETARG_INT32(0);
	Tally		tally = {0};
	MemoryContext each;
	DueList		due;
	int			done = 0;
	int			i;

	if (!PG_ARGISNULL(0) && max_datasets < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_datasets must not be negative")));

	/* in a non-atomic SPI connection, its memory outlives each commit */
	SPI_connect_ext(nonatomic ? SPI_OPT_NONATOMIC : 0);
	due = read_due();
	each = AllocSetContextCreate(CurrentMemoryContext, "recertify_due",
								 ALLOCSET_DEFAULT_SIZES);
	for (i = 0; i < due.n && (max_datasets < 0 || done < max_datasets); i++)
	{
		MemoryContext old = MemoryContextSwitchTo(each);

		CHECK_FOR_INTERRUPTS();
		if (recertify_one(due.datasets[i], &tally))
			done++;
		MemoryContextSwitchTo(old);
		MemoryContextReset(each);
		if (nonatomic)
		{
			/* each dataset's record stands on its own; its lock is released */
			SPI_commit();
#if PG_VERSION_NUM < 150000
			SPI_start_transaction();
#endif
		}
	}
	SPI_finish();
	if (due.n > 0)
		ereport(NOTICE,
				(errmsg("recertify_due: %d certified, %d not certified, %d errors, %d skipped as busy",
						tally.certified, tally.not_certified, tally.errors,
						tally.skipped)));
	PG_RETURN_VOID();
}
