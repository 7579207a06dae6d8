/*-------------------------------------------------------------------------
 *
 * certify.c
 *	  dtecert.certify(): resolve the dataset and its policy, prove what the
 *	  catalog guarantees, evaluate every remaining row-level check in one
 *	  scan as the table's owner, decide the verdict, and append the
 *	  certificate, all in the caller's transaction (DESIGN section 5).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "bind.h"
#include "certify.h"
#include "dtecert.h"
#include "outcome.h"
#include "plan.h"
#include "proof.h"

PG_FUNCTION_INFO_V1(dtecert_certify);

/* The caller must be able to read the whole table. */
static void
check_can_select(Relation rel, const char *dataset)
{
	Oid			relid = RelationGetRelid(rel);

	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK &&
		pg_attribute_aclcheck_all(relid, GetUserId(), ACL_SELECT,
								  ACLMASK_ALL) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to certify %s", dataset),
				 errdetail("Certifying a dataset needs SELECT on the whole table.")));
}

static Relation
open_dataset(Oid relid)
{
	Relation	rel = try_relation_open(relid, AccessShareLock);

	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	switch (rel->rd_rel->relkind)
	{
		case RELKIND_RELATION:
		case RELKIND_PARTITIONED_TABLE:
		case RELKIND_MATVIEW:
		case RELKIND_VIEW:
		case RELKIND_FOREIGN_TABLE:
			return rel;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("\"%s\" is not a table, view or materialized view",
							RelationGetRelationName(rel))));
	}
	return NULL;				/* keep the compiler quiet */
}

/* Run a generated query as the table's owner; returns its first row. */
static HeapTuple
run_as_owner(BoundPolicy *bp, SqlQuery *q, TupleDesc *desc)
{
	SavedIdentity saved;
	int			ret;

	dtecert_become_owner(bp->owner, &saved);
	ret = SPI_execute_with_args(q->sql.data, q->nparams, q->paramtypes,
								q->params, NULL, true, 1);
	dtecert_restore_identity(&saved);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "certification query failed: %s", SPI_result_code_string(ret));
	*desc = SPI_tuptable->tupdesc;
	return SPI_tuptable->vals[0];
}

static void
run_scan(BoundPolicy *bp, ScanPlan *plan, ScanResult *result)
{
	TupleDesc	desc;
	HeapTuple	row = run_as_owner(bp, &plan->query, &desc);
	int			col;

	result->counts = palloc0(sizeof(int64) * (plan->ncolumns + 1));
	result->latest_isnull = true;
	for (col = 1; col <= plan->ncolumns; col++)
	{
		bool		isnull;
		Datum		value = SPI_getbinval(row, desc, col, &isnull);

		if (col == plan->freshness_column)
		{
			result->latest_isnull = isnull;
			if (!isnull)
				result->latest = DatumGetTimestampTz(value);
		}
		else
			result->counts[col] = isnull ? 0 : DatumGetInt64(value);
	}
}

static int64
run_count_query(BoundPolicy *bp, SqlQuery *q)
{
	TupleDesc	desc;
	HeapTuple	row = run_as_owner(bp, q, &desc);
	bool		isnull;
	Datum		value = SPI_getbinval(row, desc, 1, &isnull);

	return isnull ? 0 : DatumGetInt64(value);
}

/* One outcome per check, from the shared scan or a query of its own. */
static void
evaluate_checks(BoundPolicy *bp, ScanPlan *plan, ScanResult *result,
				Outcome *outcomes)
{
	int			i;

	for (i = 0; i < bp->nchecks; i++)
	{
		BoundCheck *bc = &bp->checks[i];
		bool		counted = check_in_scan(bc);
		int64		element = counted ? result->counts[plan->element_column[i]] : 0;
		int64		unexpected = 0;
		int			scans = 0;

		if (counted && plan->unexpected_column[i] > 0)
			unexpected = result->counts[plan->unexpected_column[i]];
		else if (counted && bc->check->kind == CHECK_UNIQUE)
		{
			unexpected = run_count_query(bp, plan_unique_query(bp, bc));
			scans = 1;
		}
		else if (counted && bc->check->kind == CHECK_REFERENCES)
		{
			unexpected = run_count_query(bp, plan_references_query(bp, bc));
			scans = 1;
		}
		outcome_check(bc, counted, element, unexpected, scans, &outcomes[i]);
	}
}

static int
evaluate_criteria(BoundPolicy *bp, Relation rel, ScanPlan *plan,
				  ScanResult *result, TimestampTz now, Outcome *outcomes,
				  CriterionState *criteria)
{
	Policy	   *p = bp->policy;
	int			n = 0;

	if (p->has_schema)
		outcome_schema(bp, rel, plan, result, &outcomes[n++],
					   &criteria[CRITERION_SCHEMA]);
	if (p->has_freshness)
		outcome_freshness(bp, now, result, &outcomes[n++],
						  &criteria[CRITERION_FRESHNESS]);
	if (p->has_lineage)
		outcome_lineage(bp, &outcomes[n++], &criteria[CRITERION_LINEAGE]);
	return n;
}

static HeapTuple
result_tuple(FunctionCallInfo fcinfo, Certificate *cert)
{
	Verdict    *v = &cert->verdict;
	TupleDesc	desc;
	Datum		values[11];
	bool		nulls[11] = {0};
	pg_uuid_t  *run_id = palloc(sizeof(pg_uuid_t));

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "certify must return a composite type");
	desc = BlessTupleDesc(desc);
	memcpy(run_id, &cert->run_id, sizeof(pg_uuid_t));

	values[0] = Int64GetDatum(cert->certificate_id);
	values[1] = CStringGetTextDatum(cert->dataset);
	values[2] = CStringGetTextDatum(v->status);
	nulls[3] = v->required == TIER_NONE;
	values[3] = nulls[3] ? (Datum) 0 : CStringGetTextDatum(policy_tier_name(v->required));
	nulls[4] = v->achieved == TIER_NONE;
	values[4] = nulls[4] ? (Datum) 0 : CStringGetTextDatum(policy_tier_name(v->achieved));
	values[5] = BoolGetDatum(v->certified);
	nulls[6] = !v->has_score;
	values[6] = nulls[6] ? (Datum) 0 : dtecert_score_numeric(v->score);
	values[7] = Int32GetDatum(v->checks_passed);
	values[8] = Int32GetDatum(v->checks_failed);
	nulls[9] = !v->certified;
	values[9] = TimestampTzGetDatum(cert->valid_until);
	values[10] = UUIDPGetDatum(run_id);
	return heap_form_tuple(desc, values, nulls);
}

Datum
dtecert_certify(PG_FUNCTION_ARGS)
{
	MemoryContext mcxt = CurrentMemoryContext;
	Certificate cert = {0};
	CriterionState criteria[CRITERION_COUNT] = {{0}};
	Relation	rel;
	Policy	   *policy;
	BoundPolicy *bp;
	ScanPlan   *plan;
	ScanResult	result;
	int			ncriteria;

	dtecert_check_not_null_arg(fcinfo, 0, "dataset");
	rel = open_dataset(PG_GETARG_OID(0));
	cert.relid = RelationGetRelid(rel);
	cert.dataset = dtecert_dataset_name(cert.relid);
	cert.version_label = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	cert.issued_by = GetUserNameFromId(GetUserId(), false);
	check_can_select(rel, cert.dataset);

	SPI_connect();
	MemoryContextSwitchTo(mcxt);

	/* A second certify() of the same dataset waits for this one. */
	dtecert_lock_dataset(cert.dataset);
	policy = dtecert_current_policy(cert.dataset, &cert.policy_version, mcxt);
	if (policy == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("dataset %s has no policy", cert.dataset),
				 errhint("Set one with dtecert.set_policy('%s', policy_text).",
						 cert.dataset)));

	bp = bind_policy(policy, rel, false);
	prove_checks(bp, rel);
	plan = plan_scan(bp);
	cert.issued_at = GetCurrentTimestamp();
	run_scan(bp, plan, &result);

	cert.outcomes = palloc0(sizeof(Outcome) * (CRITERION_COUNT + bp->nchecks));
	ncriteria = evaluate_criteria(bp, rel, plan, &result, cert.issued_at,
								  cert.outcomes, criteria);
	evaluate_checks(bp, plan, &result, cert.outcomes + ncriteria);
	cert.noutcomes = ncriteria + bp->nchecks;
	decide_verdict(policy, cert.outcomes + ncriteria, bp->nchecks, criteria,
				   &cert.verdict);

	if (cert.verdict.certified)
		cert.valid_until = DatumGetTimestampTz(
			DirectFunctionCall2(timestamptz_pl_interval,
								TimestampTzGetDatum(cert.issued_at), bp->valid_for));
	dtecert_uuidv7(&cert.run_id);
	record_certificate(&cert);

	SPI_finish();
	relation_close(rel, NoLock);
	PG_RETURN_DATUM(HeapTupleGetDatum(result_tuple(fcinfo, &cert)));
}
