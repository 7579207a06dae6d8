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
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/array.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/timestamp.h"

#include "bind.h"
#include "certify.h"
#include "dtecert.h"
#include "lifecycle.h"
#include "lineage.h"
#include "outcome.h"
#include "plan.h"
#include "progress.h"
#include "proof.h"
#include "mltrust.h"
#include "robustness.h"

PG_FUNCTION_INFO_V1(dtecert_certify);
PG_FUNCTION_INFO_V1(dtecert_explain);

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

/*
 * Run a generated query as the table's owner; returns its one row, copied
 * out of SPI's memory.  No row limit is passed: a limit would rule out a
 * parallel plan.
 */
static ScanResult *
run_as_owner(BoundPolicy *bp, SqlQuery *q)
{
	ScanResult *result = palloc(sizeof(ScanResult));
	SavedIdentity saved;
	int			ret;

	dtecert_become_owner(bp->owner, &saved);
	ret = SPI_execute_with_args(q->sql.data, q->nparams, q->paramtypes,
								q->params, NULL, true, 0);
	dtecert_restore_identity(&saved);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "certification query failed: %s", SPI_result_code_string(ret));
	result->desc = CreateTupleDescCopy(SPI_tuptable->tupdesc);
	result->row = heap_copytuple(SPI_tuptable->vals[0]);
	SPI_freetuptable(SPI_tuptable);
	return result;
}

/* A text[] as C strings (NULL elements stay NULL). */
static int
text_array_elements(Datum array, char ***texts)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	deconstruct_array(DatumGetArrayTypeP(array), TEXTOID, -1, false,
					  TYPALIGN_INT, &elems, &nulls, &n);
	*texts = palloc(sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
		(*texts)[i] = nulls[i] ? NULL : TextDatumGetCString(elems[i]);
	return n;
}

static void
set_samples(Outcome *o, int n, char **keys, char **values)
{
	o->nsamples = n;
	o->sample_keys = keys;
	o->sample_values = values;
}

/*
 * The rows dtecert.sample_agg kept: a text[rows][args] whose columns are
 * (key..., value) or (value, key...), as plan_sample_key laid them out.
 */
static void
read_row_samples(ScanPlan *plan, ScanResult *result, int column, bool has_value,
				 Outcome *o)
{
	SampleKey  *key = &plan->sample_key;
	int			width = key->nkeys + (has_value ? 1 : 0);
	int			value_at = key->value_first ? 0 : key->nkeys;
	int			key_at = key->value_first && has_value ? 1 : 0;
	char	  **texts;
	char	  **keys;
	char	  **values;
	bool		isnull;
	Datum		sample = scan_value(result, column, &isnull);
	Datum		array;
	int			n;
	int			r;

	if (isnull || width == 0)
		return;
	array = GetAttributeByNum(DatumGetHeapTupleHeader(sample), 2, &isnull);
	if (isnull)
		return;
	n = text_array_elements(array, &texts) / width;
	keys = palloc0(sizeof(char *) * Max(n, 1));
	values = palloc0(sizeof(char *) * Max(n, 1));
	for (r = 0; r < n; r++)
	{
		char	  **row = texts + r * width;
		StringInfoData k;
		int			c;

		if (has_value)
			values[r] = row[value_at];
		if (key->nkeys == 0)
			continue;
		initStringInfo(&k);
		for (c = 0; c < key->nkeys; c++)
		{
			/* a ctid alone says where the row is, unless there are partitions */
			if (key->by_ctid && key->one_relation && c == 0)
				continue;
			appendStringInfo(&k, "%s%s", k.len ? " " : "",
							 row[key_at + c] ? row[key_at + c] : "NULL");
		}
		keys[r] = k.data;
	}
	set_samples(o, n, keys, values);
}

/*
 * A unique check: its count from the shared scan, or, when its state
 * outgrew its share of dtecert.exact_mem, from one exact pass of its own.
 */
static int64
unique_outcome(BoundPolicy *bp, ScanPlan *plan, ScanResult *result, int i,
			   int *scans, Outcome *o)
{
	BoundCheck *bc = &bp->checks[i];
	HeapTupleHeader composite;
	bool		isnull;
	bool		overflowed;
	Datum		samples;
	int64		unexpected;
	char	  **values;
	int			n;

	composite = DatumGetHeapTupleHeader(scan_value(result, plan->unique_column[i], &isnull));
	overflowed = !isnull && DatumGetBool(GetAttributeByNum(composite, 2, &isnull));
	if (overflowed)
	{
		ScanResult *pass = run_as_owner(bp, plan_unique_query(bp, bc));

		*scans = 1;
		unexpected = scan_count(pass, 1);
		samples = scan_value(pass, 2, &isnull);
	}
	else
	{
		unexpected = DatumGetInt64(GetAttributeByNum(composite, 1, &isnull));
		samples = GetAttributeByNum(composite, 3, &isnull);
	}
	if (!isnull && plan->sample_size > 0)
	{
		n = text_array_elements(samples, &values);
		set_samples(o, n, palloc0(sizeof(char *) * Max(n, 1)), values);
	}
	return unexpected;
}

/* distinct_count_between and distinct_ratio_between, from unique_agg's state. */
static void
distinct_outcome(BoundPolicy *bp, ScanPlan *plan, ScanResult *result, int i,
				 int64 element, Outcome *o)
{
	BoundCheck *bc = &bp->checks[i];
	HeapTupleHeader composite;
	bool		isnull;
	int64		distinct;
	int			scans = 0;

	composite = DatumGetHeapTupleHeader(scan_value(result, plan->unique_column[i], &isnull));
	if (!isnull && DatumGetBool(GetAttributeByNum(composite, 2, &isnull)))
	{
		/* the state overflowed: count exactly in a pass of its own */
		distinct = scan_count(run_as_owner(bp, plan_distinct_query(bp, bc)), 1);
		scans = 1;
	}
	else
		distinct = isnull ? 0 : DatumGetInt64(GetAttributeByNum(composite, 4, &isnull));

	if (bc->check->kind == CHECK_DISTINCT_COUNT_BETWEEN)
		outcome_aggregate(bc, Int64GetDatum(distinct), false, INT8OID, element, scans, o);
	else
		outcome_aggregate(bc, Float8GetDatum(element > 0 ? (double) distinct / element : 0.0),
						  element == 0, FLOAT8OID, element, scans, o);
}

/* One check whose value comes from the shared scan or a query of its own. */
static void
evaluate_check(BoundPolicy *bp, ScanPlan *plan, ScanResult *result, int i,
			   Outcome *o)
{
	BoundCheck *bc = &bp->checks[i];
	CheckKind	kind = bc->check->kind;
	int64		element = scan_count_ref(plan, result, plan->element[i]);
	int64		unexpected = 0;
	int			scans = 0;
	Outcome		samples = {0};
	ScanResult *pass;
	bool		isnull;

	if (kind == CHECK_DISTINCT_COUNT_BETWEEN || kind == CHECK_DISTINCT_RATIO_BETWEEN)
	{
		distinct_outcome(bp, plan, result, i, element, o);
		return;
	}
	if (plan->aggregate_column[i] > 0)
	{
		Datum		value = scan_value(result, plan->aggregate_column[i], &isnull);

		outcome_aggregate(bc, value, isnull,
						  TupleDescAttr(result->desc, plan->aggregate_column[i] - 1)->atttypid,
						  element, 0, o);
		return;
	}
	if (plan->order_column[i] > 0)
	{
		/* median and increasing: an exact state, or one pass of their own */
		HeapTupleHeader order = DatumGetHeapTupleHeader(scan_value(result, plan->order_column[i],
																	&isnull));
		bool		overflowed = !isnull && DatumGetBool(GetAttributeByNum(order, 4, &isnull));

		if (kind == CHECK_MEDIAN_BETWEEN)
		{
			Datum		median = (Datum) 0;

			if (overflowed)
			{
				pass = run_as_owner(bp, plan_median_query(bp, bc));
				median = scan_value(pass, 1, &isnull);
			}
			else
				median = GetAttributeByNum(order, 3, &isnull);
			outcome_aggregate(bc, median, isnull, FLOAT8OID, element, overflowed ? 1 : 0, o);
			return;
		}
		if (overflowed)
		{
			pass = run_as_owner(bp, plan_increasing_query(bp, bc));
			unexpected = scan_count(pass, 1);
			element = scan_count(pass, 2);
			scans = 1;
		}
		else
		{
			unexpected = DatumGetInt64(GetAttributeByNum(order, 1, &isnull));
			element = DatumGetInt64(GetAttributeByNum(order, 2, &isnull));
		}
		outcome_check(bc, true, element, unexpected, scans, o);
		return;
	}

	if (plan->unexpected[i].source != COUNT_NONE)
		unexpected = scan_count_ref(plan, result, plan->unexpected[i]);
	else if (plan->unique_column[i] > 0)
		unexpected = unique_outcome(bp, plan, result, i, &scans, &samples);
	else if (kind == CHECK_REFERENCES)
	{
		unexpected = scan_count(run_as_owner(bp, plan_references_query(bp, bc)), 1);
		scans = 1;
	}
	if (plan->sample_column[i] > 0)
		read_row_samples(plan, result, plan->sample_column[i],
						 bc->ncolumns >= 1, &samples);
	outcome_check(bc, true, element, unexpected, scans, o);
	if (!o->passed)
		set_samples(o, samples.nsamples, samples.sample_keys, samples.sample_values);
}

/* One outcome per check. */
static void
evaluate_checks(BoundPolicy *bp, Relation rel, ScanPlan *plan, ScanResult *result,
				Outcome *outcomes)
{
	int			i;

	for (i = 0; i < bp->nchecks; i++)
	{
		BoundCheck *bc = &bp->checks[i];

		if (bc->error == NULL && check_reads_catalog_only(bc->check->kind))
			outcome_catalog(bc, rel, &outcomes[i]);
		else if (check_in_scan(bc))
			evaluate_check(bp, plan, result, i, &outcomes[i]);
		else
			outcome_check(bc, false, 0, 0, 0, &outcomes[i]);	/* error or proof */
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
		outcome_freshness(bp, plan, now, result, &outcomes[n++],
						  &criteria[CRITERION_FRESHNESS]);
	if (p->has_lineage)
		outcome_lineage(bp, &outcomes[n++], &criteria[CRITERION_LINEAGE]);
	if (p->has_robustness)
		robustness_outcome(bp, plan, result, &outcomes[n++],
						   &criteria[CRITERION_ROBUSTNESS]);
	if (p->has_fairness)
		fairness_outcome(bp, plan, result, &outcomes[n++],
						 &criteria[CRITERION_FAIRNESS]);
	if (p->has_explainability)
		explainability_outcome(bp, plan, result, &outcomes[n++],
							   &criteria[CRITERION_EXPLAINABILITY]);
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

/*
 * What tells a later change without a scan (dtecert.relation_state()),
 * read before the scan so that a change made during it counts as a change.
 */
static void
read_relation_state(Certificate *cert)
{
	Oid			argtypes[1] = {REGCLASSOID};
	Datum		args[1] = {ObjectIdGetDatum(cert->relid)};
	int			ret;

	/* the statistics system's counters as they are now, not as cached */
	pgstat_clear_snapshot();
	ret = SPI_execute_with_args("SELECT storage_digest, modifications, schema_digest"
								"  FROM dtecert.relation_state($1)",
								1, argtypes, args, NULL, false, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read the state of %s: %s", cert->dataset,
			 SPI_result_code_string(ret));
	cert->storage_digest = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	cert->modifications = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	cert->schema_digest = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
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
	ScanResult *result;
	int			ncriteria;
	bool		with_samples;
	int			pinned;
	char	   *old_status;
	TimestampTz waivers_expire;

	dtecert_check_not_null_arg(fcinfo, 0, "dataset");
	rel = dtecert_open_dataset(PG_GETARG_OID(0));
	cert.relid = RelationGetRelid(rel);
	cert.dataset = dtecert_dataset_name(cert.relid);
	cert.version_label = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	cert.issued_by = GetUserNameFromId(GetUserId(), false);
	check_can_select(rel, cert.dataset);
	/* failing values are not kept where row-level security hides rows */
	with_samples = check_enable_rls(cert.relid, InvalidOid, true) != RLS_ENABLED;

	SPI_connect();
	MemoryContextSwitchTo(mcxt);
	/* evidence in fixed formats, whatever the caller's DateStyle */
	pinned = dtecert_pin_settings();

	/* A second certify() of the same dataset waits for this one. */
	dtecert_lock_dataset(cert.dataset);
	progress_begin(cert.dataset, rel->rd_rel->reltuples > 0 ?
				   (int64) rel->rd_rel->reltuples : 0);
	policy = dtecert_current_policy(cert.dataset, &cert.policy_version, mcxt);
	if (policy == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("dataset %s has no policy", cert.dataset),
				 errhint("Set one with dtecert.set_policy('%s', policy_text).",
						 cert.dataset)));

	progress_phase("binding the policy");
	bp = bind_policy(policy, rel, false);
	prove_checks(bp, rel);
	plan = plan_scan(bp, with_samples);
	read_relation_state(&cert);
	cert.issued_at = GetCurrentTimestamp();
	progress_phase("scanning");
	result = run_as_owner(bp, &plan->query);
	progress_phase("evaluating");
	profile_read_counts(plan, result);

	cert.outcomes = palloc0(sizeof(Outcome) * (CRITERION_COUNT + bp->nchecks));
	ncriteria = evaluate_criteria(bp, rel, plan, result, cert.issued_at,
								  cert.outcomes, criteria);
	evaluate_checks(bp, rel, plan, result, cert.outcomes + ncriteria);
	waivers_expire = lifecycle_apply_waivers(cert.dataset, cert.issued_at,
											 cert.outcomes + ncriteria,
											 bp->nchecks);
	cert.profile = profile_json(plan, result);
	cert.distributions = robustness_distributions(plan, result);
	cert.samples = policy->samples;
	cert.noutcomes = ncriteria + bp->nchecks;
	decide_verdict(policy, cert.outcomes + ncriteria, bp->nchecks, criteria,
				   &cert.verdict);

	if (cert.verdict.certified)
		cert.valid_until = DatumGetTimestampTz(
			DirectFunctionCall2(timestamptz_pl_interval,
								TimestampTzGetDatum(cert.issued_at), bp->valid_for));
	/* a certificate resting on a waiver is valid no longer than the waiver */
	if (cert.verdict.certified && waivers_expire != 0 &&
		waivers_expire < cert.valid_until)
		cert.valid_until = waivers_expire;
	dtecert_uuidv7(&cert.run_id);
	old_status = lifecycle_status(cert.dataset);
	progress_phase("recording");
	record_certificate(&cert);
	lineage_record_run(&cert, bp, rel);
	lifecycle_announce(cert.dataset, old_status, cert.verdict.status);

	dtecert_unpin_settings(pinned);
	SPI_finish();
	relation_close(rel, NoLock);
	PG_RETURN_DATUM(HeapTupleGetDatum(result_tuple(fcinfo, &cert)));
}

/*
 * dtecert.explain(dataset, actual): the plan of the certification's shared
 * scan, as certify would run it (as the table's owner, with its settings).
 * With actual, the scan runs, but no certificate is recorded.
 */
Datum
dtecert_explain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext mcxt = CurrentMemoryContext;
	Relation	rel;
	char	   *dataset;
	Policy	   *policy;
	BoundPolicy *bp;
	ScanPlan   *plan;
	SqlQuery	explain;
	SavedIdentity saved;
	int			version;
	int			ret;
	uint64		i;

	dtecert_check_not_null_arg(fcinfo, 0, "dataset");
	dtecert_check_not_null_arg(fcinfo, 1, "actual");
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	rel = dtecert_open_dataset(PG_GETARG_OID(0));
	dataset = dtecert_dataset_name(RelationGetRelid(rel));
	check_can_select(rel, dataset);

	SPI_connect();
	MemoryContextSwitchTo(mcxt);
	policy = dtecert_current_policy(dataset, &version, mcxt);
	if (policy == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("dataset %s has no policy", dataset)));
	bp = bind_policy(policy, rel, false);
	prove_checks(bp, rel);
	plan = plan_scan(bp, check_enable_rls(bp->relid, InvalidOid, true) != RLS_ENABLED);

	explain = plan->query;
	initStringInfo(&explain.sql);
	appendStringInfo(&explain.sql, "EXPLAIN (ANALYZE %s, TIMING false, SUMMARY false) %s",
					 PG_GETARG_BOOL(1) ? "true" : "false", plan->query.sql.data);
	dtecert_become_owner(bp->owner, &saved);
	/* not read-only: SPI refuses EXPLAIN there, though it changes nothing */
	ret = SPI_execute_with_args(explain.sql.data, explain.nparams, explain.paramtypes,
								explain.params, NULL, false, 0);
	dtecert_restore_identity(&saved);
	if (ret != SPI_OK_UTILITY && ret != SPI_OK_SELECT)
		elog(ERROR, "EXPLAIN failed: %s", SPI_result_code_string(ret));
	for (i = 0; i < SPI_processed; i++)
	{
		Datum		line[1];
		bool		nulls[1] = {false};

		line[0] = CStringGetTextDatum(SPI_getvalue(SPI_tuptable->vals[i],
												   SPI_tuptable->tupdesc, 1));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, line, nulls);
	}
	SPI_finish();
	relation_close(rel, NoLock);
	return (Datum) 0;
}
