/*-------------------------------------------------------------------------
 *
 * lifecycle.c
 *	  A certificate's life after it is issued: its status as read now,
 *	  NOTIFY on status changes, dtecert.revoke() and the waivers
 *	  (dtecert.waive(), dtecert.unwaive(), and their use by certify()).
 *
 * History is append-only: a revocation is a record of its own, and a waiver
 * that ends keeps its row, with who ended it and when.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/relation.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/timestamp.h"

#include "dtecert.h"
#include "lifecycle.h"

PG_FUNCTION_INFO_V1(dtecert_revoke);
PG_FUNCTION_INFO_V1(dtecert_waive);
PG_FUNCTION_INFO_V1(dtecert_unwaive);

char *
lifecycle_status(const char *dataset)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(dataset)};
	int			ret;

	ret = SPI_execute_with_args("SELECT status FROM dtecert.status"
								" WHERE dataset OPERATOR(pg_catalog.=) $1",
								1, argtypes, args, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the status of %s: %s", dataset,
			 SPI_result_code_string(ret));
	if (SPI_processed == 0)
		return NULL;
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

void
lifecycle_announce(const char *dataset, const char *old_status,
				   const char *new_status)
{
	StringInfoData payload;

	if (old_status != NULL && new_status != NULL &&
		strcmp(old_status, new_status) == 0)
		return;
	initStringInfo(&payload);
	appendStringInfoString(&payload, "{\"dataset\": ");
	escape_json(&payload, dataset);
	appendStringInfoString(&payload, ", \"old\": ");
	if (old_status)
		escape_json(&payload, old_status);
	else
		appendStringInfoString(&payload, "null");
	appendStringInfoString(&payload, ", \"new\": ");
	if (new_status)
		escape_json(&payload, new_status);
	else
		appendStringInfoString(&payload, "null");
	appendStringInfoChar(&payload, '}');
	/* NOTIFY payloads are limited to 8000 bytes; a long name is cut */
	if (payload.len >= NAMEDATALEN * 100)
		return;
	Async_Notify(DTECERT_STATUS_CHANNEL, payload.data);
}

/* The dataset's latest record: false when it has none. */
static bool
latest_record(const char *dataset, Datum *relation_oid, Datum *policy_version,
			  bool *version_null, char **status, bool *expired)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(dataset)};
	bool		isnull;
	int			ret;

	ret = SPI_execute_with_args("SELECT relation_oid, policy_version, status,"
								"       status OPERATOR(pg_catalog.=) 'certified' AND"
								"       valid_until OPERATOR(pg_catalog.<=) pg_catalog.now()"
								"  FROM dtecert.certificates"
								" WHERE dataset OPERATOR(pg_catalog.=) $1"
								" ORDER BY certificate_id DESC LIMIT 1",
								1, argtypes, args, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the certificates of %s: %s", dataset,
			 SPI_result_code_string(ret));
	if (SPI_processed == 0)
		return false;
	*relation_oid = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
								  1, &isnull);
	*policy_version = SPI_getbinval(SPI_tuptable->vals[0],
									SPI_tuptable->tupdesc, 2, version_null);
	*status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
	*expired = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
										  SPI_tuptable->tupdesc, 4, &isnull));
	return true;
}

int64
lifecycle_revoke(const char *dataset, const char *reason)
{
	Oid			argtypes[6] = {TEXTOID, OIDOID, INT4OID, TIMESTAMPTZOID, TEXTOID,
	TEXTOID};
	Datum		args[6];
	char		nulls[6] = "      ";
	Datum		relation_oid;
	Datum		policy_version;
	bool		version_null;
	char	   *status;
	bool		expired;
	const char *old_status;
	SavedIdentity saved;
	bool		isnull;
	int64		id;
	int			ret;

	/*
	 * One writer of a dataset's chain at a time.  DDL on a table already
	 * waited for any certification reading it, so this does not wait long.
	 */
	dtecert_lock_dataset(dataset);
	if (!latest_record(dataset, &relation_oid, &policy_version, &version_null,
					   &status, &expired) || strcmp(status, "revoked") == 0)
		return 0;
	/*
	 * The status it had: read from the record, not from dtecert.status,
	 * which already says revoked once a drop or rename took the name away.
	 */
	old_status = expired ? "expired" : status;

	args[0] = CStringGetTextDatum(dataset);
	args[1] = relation_oid;
	args[2] = policy_version;
	nulls[2] = version_null ? 'n' : ' ';
	args[3] = TimestampTzGetDatum(GetCurrentTimestamp());
	args[4] = CStringGetTextDatum(reason);
	args[5] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));

	dtecert_become_extension_owner(&saved);
	ret = SPI_execute_with_args("INSERT INTO dtecert.certificates"
								"  (dataset, relation_oid, policy_version, issued_at,"
								"   certified, status, reason, issued_by, previous_sha256)"
								" VALUES ($1, $2, $3, $4, false, 'revoked', $5, $6,"
								"         dtecert.chain_head($1))"
								" RETURNING certificate_id",
								6, argtypes, args, nulls, false, 1);
	if (ret != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "could not record the revocation of %s: %s", dataset,
			 SPI_result_code_string(ret));
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
									 SPI_tuptable->tupdesc, 1, &isnull));
	record_seal(id);
	dtecert_restore_identity(&saved);
	lifecycle_announce(dataset, old_status, "revoked");
	return id;
}

/* A text argument that must be given and not blank. */
static char *
required_text(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	char	   *value;
	char	   *p;

	dtecert_check_not_null_arg(fcinfo, argno, argname);
	value = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	for (p = value; *p; p++)
		if (!isspace((unsigned char) *p))
			return value;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s must not be empty", argname)));
	return NULL;				/* keep the compiler quiet */
}

/*
 * dtecert.revoke(dataset regclass, reason text) → bigint: revokes the
 * current certificate (owner-only) and returns the revocation's id.
 */
Datum
dtecert_revoke(PG_FUNCTION_ARGS)
{
	Relation	rel;
	char	   *dataset;
	char	   *reason;
	int64		id;

	dtecert_check_not_null_arg(fcinfo, 0, "dataset");
	rel = dtecert_open_dataset(PG_GETARG_OID(0));
	dataset = dtecert_dataset_name(RelationGetRelid(rel));
	reason = required_text(fcinfo, 1, "reason");
	dtecert_check_owner(RelationGetRelid(rel),
						psprintf("revoke the certificate of %s", dataset));

	SPI_connect();
	dtecert_lock_dataset(dataset);
	id = lifecycle_revoke(dataset, reason);
	if (id == 0)
	{
		Datum		relation_oid;
		Datum		policy_version;
		bool		version_null;
		char	   *status;
		bool		expired;

		if (!latest_record(dataset, &relation_oid, &policy_version,
						   &version_null, &status, &expired))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("dataset %s has no certificate to revoke", dataset)));
		ereport(NOTICE,
				(errmsg("the certificate of %s is already revoked", dataset)));
	}
	SPI_finish();
	relation_close(rel, NoLock);
	if (id == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT64(id);
}

/* Is check_name one of the checks of the dataset's current policy? */
static void
check_waivable(const char *dataset, const char *check_name)
{
	int			version;
	Policy	   *policy = dtecert_current_policy(dataset, &version,
												CurrentMemoryContext);
	StringInfoData names;
	int			i;

	if (policy == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("dataset %s has no policy", dataset)));
	initStringInfo(&names);
	for (i = 0; i < policy->nchecks; i++)
	{
		if (strcmp(policy->checks[i].name, check_name) == 0)
			return;
		appendStringInfo(&names, "%s%s", i ? ", " : "", policy->checks[i].name);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("policy of %s has no check named \"%s\"", dataset, check_name),
			 names.len > 0 ? errhint("Its checks are: %s.", names.data) :
			 errhint("Its policy has no checks: only checks can be waived.")));
}

/* End the active waiver of a check, if any; returns whether there was one. */
static bool
end_waiver(const char *dataset, const char *check_name, TimestampTz now)
{
	Oid			argtypes[4] = {TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTOID};
	Datum		args[4];
	int			ret;

	args[0] = CStringGetTextDatum(dataset);
	args[1] = CStringGetTextDatum(check_name);
	args[2] = TimestampTzGetDatum(now);
	args[3] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));
	ret = SPI_execute_with_args("UPDATE dtecert.waivers"
								"   SET ended_at = $3, ended_by = $4"
								" WHERE dataset OPERATOR(pg_catalog.=) $1"
								"   AND check_name OPERATOR(pg_catalog.=) $2"
								"   AND ended_at IS NULL",
								4, argtypes, args, NULL, false, 0);
	if (ret != SPI_OK_UPDATE)
		elog(ERROR, "could not end the waiver of %s on %s: %s", check_name,
			 dataset, SPI_result_code_string(ret));
	return SPI_processed > 0;
}

/*
 * dtecert.waive(dataset, check_name, reason, approved_by, until) → bigint:
 * an accepted risk.  Until `until`, the check counts as passed and is
 * flagged waived.  A new waiver of the same check replaces the old one.
 */
Datum
dtecert_waive(PG_FUNCTION_ARGS)
{
	Relation	rel;
	char	   *dataset;
	char	   *check_name;
	Oid			argtypes[7] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID,
	TEXTOID, TIMESTAMPTZOID};
	Datum		args[7];
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz until;
	SavedIdentity saved;
	bool		isnull;
	int64		id;
	int			ret;

	dtecert_check_not_null_arg(fcinfo, 0, "dataset");
	rel = dtecert_open_dataset(PG_GETARG_OID(0));
	dataset = dtecert_dataset_name(RelationGetRelid(rel));
	check_name = required_text(fcinfo, 1, "check_name");
	args[2] = CStringGetTextDatum(required_text(fcinfo, 2, "reason"));
	args[3] = CStringGetTextDatum(required_text(fcinfo, 3, "approved_by"));
	dtecert_check_not_null_arg(fcinfo, 4, "until");
	until = PG_GETARG_TIMESTAMPTZ(4);
	if (until <= now || TIMESTAMP_NOT_FINITE(until))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("until must be a finite time in the future"),
				 errhint("A waiver is an accepted risk for a limited time: give the date it must be reviewed by.")));
	dtecert_check_owner(RelationGetRelid(rel),
						psprintf("waive checks of %s", dataset));

	SPI_connect();
	dtecert_lock_dataset(dataset);
	check_waivable(dataset, check_name);
	args[0] = CStringGetTextDatum(dataset);
	args[1] = CStringGetTextDatum(check_name);
	args[4] = TimestampTzGetDatum(until);
	args[5] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));
	args[6] = TimestampTzGetDatum(now);

	dtecert_become_extension_owner(&saved);
	end_waiver(dataset, check_name, now);
	ret = SPI_execute_with_args("INSERT INTO dtecert.waivers"
								"  (dataset, check_name, reason, approved_by, expires_at,"
								"   waived_by, waived_at)"
								" VALUES ($1, $2, $3, $4, $5, $6, $7)"
								" RETURNING waiver_id",
								7, argtypes, args, NULL, false, 1);
	if (ret != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "could not record the waiver: %s", SPI_result_code_string(ret));
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
									 SPI_tuptable->tupdesc, 1, &isnull));
	dtecert_restore_identity(&saved);
	SPI_finish();
	relation_close(rel, NoLock);
	PG_RETURN_INT64(id);
}

/* Did the dataset's latest record pass check_name only by a waiver? */
static bool
current_certificate_waived(const char *dataset, const char *check_name)
{
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		args[2] = {CStringGetTextDatum(dataset), CStringGetTextDatum(check_name)};
	int			ret;

	ret = SPI_execute_with_args("SELECT 1 FROM dtecert.check_results r"
								" WHERE r.certificate_id OPERATOR(pg_catalog.=)"
								"       (SELECT max(c.certificate_id) FROM dtecert.certificates c"
								"         WHERE c.dataset OPERATOR(pg_catalog.=) $1)"
								"   AND r.check_name OPERATOR(pg_catalog.=) $2 AND r.waived",
								2, argtypes, args, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the results of %s: %s", dataset,
			 SPI_result_code_string(ret));
	return SPI_processed > 0;
}

/* dtecert.unwaive(dataset, check_name): ends the check's active waiver. */
Datum
dtecert_unwaive(PG_FUNCTION_ARGS)
{
	Relation	rel;
	char	   *dataset;
	char	   *check_name;
	SavedIdentity saved;
	bool		ended;

	dtecert_check_not_null_arg(fcinfo, 0, "dataset");
	rel = dtecert_open_dataset(PG_GETARG_OID(0));
	dataset = dtecert_dataset_name(RelationGetRelid(rel));
	check_name = required_text(fcinfo, 1, "check_name");
	dtecert_check_owner(RelationGetRelid(rel),
						psprintf("unwaive checks of %s", dataset));

	SPI_connect();
	dtecert_lock_dataset(dataset);
	dtecert_become_extension_owner(&saved);
	ended = end_waiver(dataset, check_name, GetCurrentTimestamp());
	dtecert_restore_identity(&saved);
	if (!ended)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("check \"%s\" of %s has no waiver", check_name, dataset)));
	/* the accepted risk is withdrawn: a certificate resting on it falls */
	if (current_certificate_waived(dataset, check_name))
		lifecycle_revoke(dataset, psprintf("the waiver of check \"%s\" ended", check_name));
	SPI_finish();
	relation_close(rel, NoLock);
	PG_RETURN_VOID();
}

/* The earlier of two times, where 0 means none. */
static TimestampTz
earlier(TimestampTz a, TimestampTz b)
{
	return (a == 0 || b < a) ? b : a;
}

TimestampTz
lifecycle_apply_waivers(const char *dataset, TimestampTz at, Outcome *checks,
						int nchecks)
{
	TimestampTz first_expiry = 0;
	Oid			argtypes[2] = {TEXTOID, TIMESTAMPTZOID};
	Datum		args[2];
	uint64		row;
	int			ret;
	int			i;

	args[0] = CStringGetTextDatum(dataset);
	args[1] = TimestampTzGetDatum(at);
	ret = SPI_execute_with_args("SELECT check_name, waiver_id, expires_at FROM dtecert.waivers"
								" WHERE dataset OPERATOR(pg_catalog.=) $1"
								"   AND ended_at IS NULL"
								"   AND expires_at OPERATOR(pg_catalog.>) $2",
								2, argtypes, args, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the waivers of %s: %s", dataset,
			 SPI_result_code_string(ret));
	for (row = 0; row < SPI_processed; row++)
	{
		char	   *name = SPI_getvalue(SPI_tuptable->vals[row],
										SPI_tuptable->tupdesc, 1);
		bool		isnull;
		int64		waiver_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[row],
															SPI_tuptable->tupdesc,
															2, &isnull));

		for (i = 0; i < nchecks; i++)
		{
			/* a waiver changes only what failed: a passing check stays unflagged */
			if (strcmp(checks[i].name, name) == 0 && !checks[i].passed)
			{
				checks[i].passed = true;
				checks[i].waived = true;
				checks[i].waiver_id = waiver_id;
				first_expiry = earlier(first_expiry,
									   DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[row],
																		 SPI_tuptable->tupdesc,
																		 3, &isnull)));
			}
		}
	}
	return first_expiry;
}
