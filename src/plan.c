/*-------------------------------------------------------------------------
 *
 * plan.c
 *	  Compile a bound policy into SQL (see plan.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/value.h"
#include "funcapi.h"
#include "utils/numeric.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "catalog/pg_collation.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "dtecert.h"
#include "plan.h"
#include "mltrust.h"
#include "robustness.h"

static void
query_init(SqlQuery *q)
{
	initStringInfo(&q->sql);
	q->nparams = 0;
	q->maxparams = 8;
	q->paramtypes = palloc(sizeof(Oid) * q->maxparams);
	q->params = palloc(sizeof(Datum) * q->maxparams);
}

/* Add a parameter; returns its placeholder, "$n". */
char *
query_param(SqlQuery *q, Oid type, Datum value)
{
	if (q->nparams == q->maxparams)
	{
		q->maxparams *= 2;
		q->paramtypes = repalloc(q->paramtypes, sizeof(Oid) * q->maxparams);
		q->params = repalloc(q->params, sizeof(Datum) * q->maxparams);
	}
	q->paramtypes[q->nparams] = type;
	q->params[q->nparams] = value;
	q->nparams++;
	return psprintf("$%d", q->nparams);
}

static const char *
op_eq(const BoundColumn *c)
{
	return dtecert_qualified_operator(lookup_type_cache(c->basetypid, TYPECACHE_EQ_OPR)->eq_opr);
}

static const char *
op_lt(const BoundColumn *c)
{
	return dtecert_qualified_operator(lookup_type_cache(c->basetypid, TYPECACHE_LT_OPR)->lt_opr);
}

static const char *
op_gt(const BoundColumn *c)
{
	return dtecert_qualified_operator(lookup_type_cache(c->basetypid, TYPECACHE_GT_OPR)->gt_opr);
}

/* A policy expression, on lines of its own so a trailing comment ends. */
static char *
expression(const char *text)
{
	return psprintf("(\n%s\n)", text);
}

/*
 * The rows a check considers, beyond its where: filter.  Value checks skip
 * NULLs (as Great Expectations does); not_null, be_null, sql and row_count
 * consider every row.  NULL means every row.
 */
static char *
element_condition(const BoundCheck *bc)
{
	const PolicyCheck *c = bc->check;
	StringInfoData buf;
	int			i;

	switch (c->kind)
	{
		case CHECK_NOT_NULL:
		case CHECK_BE_NULL:
		case CHECK_SQL:
		case CHECK_ROW_COUNT:
			return NULL;
		case CHECK_UNIQUE:
		case CHECK_PAIR_GREATER:
		case CHECK_MULTICOLUMN_SUM:
			if (c->kind == CHECK_UNIQUE && c->ncolumns == 0)
				break;
			if (c->ignore_row_if == IGNORE_ROW_IF_NEVER)
				return NULL;
			initStringInfo(&buf);
			appendStringInfoString(&buf, c->ignore_row_if == IGNORE_ROW_IF_ANY_MISSING ?
								   "(" : "NOT (");
			for (i = 0; i < bc->ncolumns; i++)
				appendStringInfo(&buf, "%s%s IS %s", i ? " AND " : "",
								 bc->columns[i].sql,
								 c->ignore_row_if == IGNORE_ROW_IF_ANY_MISSING ?
								 "NOT NULL" : "NULL");
			appendStringInfoChar(&buf, ')');
			return buf.data;
		default:
			break;
	}
	return psprintf("%s IS NOT NULL", bc->columns[0].sql);
}

static char *
range_failure(const char *value, const BoundColumn *ordered, SqlQuery *q,
			  const PolicyBound *min, Datum min_value,
			  const PolicyBound *max, Datum max_value, Oid bound_type)
{
	char	   *below = NULL;
	char	   *above = NULL;

	if (min->present)
	{
		char	   *p = query_param(q, bound_type, min_value);

		below = min->strict ?
			psprintf("NOT (%s %s %s)", value, op_gt(ordered), p) :
			psprintf("%s %s %s", value, op_lt(ordered), p);
	}
	if (max->present)
	{
		char	   *p = query_param(q, bound_type, max_value);

		above = max->strict ?
			psprintf("NOT (%s %s %s)", value, op_lt(ordered), p) :
			psprintf("%s %s %s", value, op_gt(ordered), p);
	}
	if (below && above)
		return psprintf("(%s OR %s)", below, above);
	return below ? below : above;
}

static char *
length_failure(const BoundCheck *bc, SqlQuery *q)
{
	const PolicyCheck *c = bc->check;
	BoundColumn int8col = {0};
	char	   *value;

	value = psprintf("pg_catalog.char_length((%s)::pg_catalog.text)",
					 bc->columns[0].sql);
	int8col.basetypid = INT8OID;
	return range_failure(value, &int8col, q,
						 &c->min, Int64GetDatum(bc->min_int),
						 &c->max, Int64GetDatum(bc->max_int), INT8OID);
}

static char *
qualified_collation(Oid collation)
{
	HeapTuple	tuple = SearchSysCache1(COLLOID, ObjectIdGetDatum(collation));
	Form_pg_collation form;
	char	   *name;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for collation %u", collation);
	form = (Form_pg_collation) GETSTRUCT(tuple);
	name = quote_qualified_identifier(get_namespace_name(form->collnamespace),
									  NameStr(form->collname));
	ReleaseSysCache(tuple);
	return name;
}

/*
 * " COLLATE x" giving a column the collation of another where both have one
 * and they differ (comparing them would not know which to use), else "".
 */
static const char *
collate_like(const BoundColumn *column, const BoundColumn *like)
{
	if (!OidIsValid(column->collation) || !OidIsValid(like->collation) ||
		column->collation == like->collation)
		return "";
	return psprintf(" COLLATE %s", qualified_collation(like->collation));
}

/* A column in the database's default collation, when it has one. */
static char *
default_collation(const BoundColumn *column)
{
	return OidIsValid(column->collation) ?
		psprintf("%s COLLATE pg_catalog.\"default\"", column->sql) : (char *) column->sql;
}

static char *
default_collation_list(BoundColumn *columns, int n)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < n; i++)
		appendStringInfo(&buf, "%s%s", i ? ", " : "", default_collation(&columns[i]));
	return buf.data;
}

/* The row's columns add up to equals; a NULL adds nothing, as in pandas. */
static char *
sum_failure(const BoundCheck *bc, SqlQuery *q)
{
	StringInfoData sum;
	int			i;

	initStringInfo(&sum);
	for (i = 0; i < bc->ncolumns; i++)
		appendStringInfo(&sum, "%sCOALESCE((%s)::pg_catalog.numeric, 0)",
						 i ? " OPERATOR(pg_catalog.+) " : "", bc->columns[i].sql);
	return psprintf("(%s) OPERATOR(pg_catalog.<>) %s", sum.data,
					query_param(q, NUMERICOID,
								DirectFunctionCall3(numeric_in,
													CStringGetDatum(bc->check->min.value.text),
													ObjectIdGetDatum(InvalidOid),
													Int32GetDatum(-1))));
}

/* The condition true for a row that fails the check; NULL if none. */
static char *
failure_condition(const BoundCheck *bc, SqlQuery *q)
{
	const PolicyCheck *c = bc->check;
	const BoundColumn *col = bc->columns;

	switch (c->kind)
	{
		case CHECK_NOT_NULL:
			return psprintf("%s IS NULL", col->sql);
		case CHECK_BE_NULL:
			return psprintf("%s IS NOT NULL", col->sql);
		case CHECK_ACCEPTED_VALUES:
			return psprintf("NOT (%s %s ANY (%s))", col->sql, op_eq(col),
							query_param(q, bc->array_typid, bc->values_array));
		case CHECK_REJECTED_VALUES:
			return psprintf("%s %s ANY (%s)", col->sql, op_eq(col),
							query_param(q, bc->array_typid, bc->values_array));
		case CHECK_BETWEEN:
			return range_failure(col->sql, col, q, &c->min, bc->min_value,
								 &c->max, bc->max_value, col->typid);
		case CHECK_MATCHES:
		case CHECK_NOT_MATCHES:
			return psprintf("%s(%s)::pg_catalog.text OPERATOR(pg_catalog.~) %s",
							c->kind == CHECK_MATCHES ? "NOT " : "", col->sql,
							query_param(q, TEXTOID, CStringGetTextDatum(c->regex)));
		case CHECK_LENGTH_BETWEEN:
			return length_failure(bc, q);
		case CHECK_SQL:
			return expression(c->failing_rows);
		case CHECK_PAIR_GREATER:
			/* a comparison with a NULL fails the row, unless ignore_row_if skips it */
			return psprintf("(%s %s %s%s) IS NOT TRUE", bc->columns[0].sql,
							dtecert_qualified_operator(bc->pair_opr), bc->columns[1].sql,
							collate_like(&bc->columns[1], &bc->columns[0]));
		case CHECK_MULTICOLUMN_SUM:
			return sum_failure(bc, q);
		default:
			return NULL;		/* row_count; unique and references elsewhere */
	}
}

/* AGGREGATE FILTER (WHERE a AND b AND c), skipping NULL parts. */
static char *
filtered(const char *aggregate, const char *a, const char *b, const char *c)
{
	const char *parts[3] = {a, b, c};
	StringInfoData sql;
	bool		first = true;
	int			i;

	initStringInfo(&sql);
	appendStringInfoString(&sql, aggregate);
	for (i = 0; i < 3; i++)
	{
		if (parts[i] == NULL)
			continue;
		appendStringInfoString(&sql, first ? " FILTER (WHERE " : " AND ");
		appendStringInfoString(&sql, parts[i]);
		first = false;
	}
	if (!first)
		appendStringInfoChar(&sql, ')');
	return sql.data;
}

/* Add an output column to the shared scan; returns its number. */
int
plan_add_column(ScanPlan *plan, const char *aggregate_sql)
{
	appendStringInfoString(&plan->query.sql, ",\n       ");
	appendStringInfoString(&plan->query.sql, aggregate_sql);
	return ++plan->ncolumns;
}

static int
add_column(ScanPlan *plan, const char *a, const char *b, const char *c)
{
	return plan_add_column(plan, filtered("pg_catalog.count(*)", a, b, c));
}

bool
check_in_scan(const BoundCheck *bc)
{
	return bc->error == NULL && bc->proven_by == NULL &&
		!check_reads_catalog_only(bc->check->kind);
}

/*
 * Exact uniqueness in the shared scan.  Its state may use this check's share
 * of dtecert.exact_mem; past that it overflows and certify counts the check
 * with one extra pass (plan_unique_query).
 */
static int
add_unique(ScanPlan *plan, BoundCheck *bc, const char *where,
		   const char *element, int64 limit_bytes)
{
	StringInfoData agg;
	int			i;

	initStringInfo(&agg);
	appendStringInfo(&agg, "dtecert.unique_agg(%s, %s, %s",
					 query_param(&plan->query, INT8OID, Int64GetDatum(limit_bytes)),
					 query_param(&plan->query, INT4OID, Int32GetDatum(plan->sample_size)),
					 query_param(&plan->query, INT8OID, Int64GetDatum(plan->expected_rows)));
	for (i = 0; i < bc->ncolumns; i++)
		appendStringInfo(&agg, ", %s", bc->columns[i].sql);
	appendStringInfoChar(&agg, ')');
	return plan_add_column(plan, filtered(agg.data, where, element, NULL));
}

/* Several columns' values as one text, "(a, b)", as unique's samples read. */
static char *
tuple_text(const BoundCheck *bc)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "('(' OPERATOR(pg_catalog.||) ");
	for (i = 0; i < bc->ncolumns; i++)
		appendStringInfo(&buf, "%sCOALESCE((%s)::pg_catalog.text, 'NULL')",
						 i ? " OPERATOR(pg_catalog.||) ', ' OPERATOR(pg_catalog.||) " : "",
						 bc->columns[i].sql);
	appendStringInfoString(&buf, " OPERATOR(pg_catalog.||) ')')");
	return buf.data;
}

/*
 * The failing rows' sample, which also counts them: the value (if the check
 * has one) and the key.  Returns 0 when there is nothing to show.
 */
static int
add_sample(ScanPlan *plan, BoundCheck *bc, const char *where,
		   const char *element, const char *failure)
{
	SampleKey  *key = &plan->sample_key;
	const char *value = bc->ncolumns == 1 ? bc->columns[0].sql :
		bc->ncolumns > 1 ? tuple_text(bc) : NULL;
	char	   *args;

	if (value == NULL && key->nkeys == 0)
		return 0;
	if (value == NULL)
		args = key->key_sql;
	else if (key->nkeys == 0)
		args = (char *) value;
	else if (key->value_first)
		args = psprintf("%s, %s", value, key->key_sql);
	else
		args = psprintf("%s, %s", key->key_sql, value);
	return plan_add_column(plan,
						   filtered(psprintf("dtecert.sample_agg(%s, %s)",
											 query_param(&plan->query, INT4OID,
														 Int32GetDatum(plan->sample_size)),
											 args),
									where, element, failure));
}

/* The built-in aggregate an aggregate check compares with its bounds. */
static const char *
aggregate_of(CheckKind kind)
{
	switch (kind)
	{
		case CHECK_MIN_BETWEEN:
			return "pg_catalog.min";
		case CHECK_MAX_BETWEEN:
			return "pg_catalog.max";
		case CHECK_SUM_BETWEEN:
			return "pg_catalog.sum";
		case CHECK_MEAN_BETWEEN:
			return "pg_catalog.avg";
		case CHECK_STDEV_BETWEEN:
			return "pg_catalog.stddev_samp";
		default:
			return NULL;
	}
}

static CountRef
count_ref(CountSource source, int column)
{
	CountRef	ref = {source, column};

	return ref;
}

/* The profile knows how many values and NULLs a column holds: reuse it. */
static bool
from_profile(ScanPlan *plan, BoundCheck *bc, CountSource source, CountRef *ref)
{
	int			index;

	if (bc->check->where != NULL || bc->ncolumns != 1)
		return false;
	index = profile_index_of(plan, bc->columns[0].attnum);
	if (index < 0)
		return false;
	*ref = count_ref(source, index);
	return true;
}

static void
plan_element(ScanPlan *plan, BoundCheck *bc, const char *where, const char *element, int i)
{
	CheckKind	kind = bc->check->kind;
	bool		value_check = element != NULL && bc->ncolumns == 1 &&
		(kind != CHECK_UNIQUE || bc->check->ncolumns == 0);

	if (where == NULL && element == NULL)
		plan->element[i] = count_ref(COUNT_TOTAL, 0);
	else if (!(value_check && from_profile(plan, bc, COUNT_PROFILE_VALUES, &plan->element[i])))
		plan->element[i] = count_ref(COUNT_COLUMN, add_column(plan, where, element, NULL));
}

static void
plan_check(ScanPlan *plan, BoundPolicy *bp, int i, int64 exact_limit)
{
	BoundCheck *bc = &bp->checks[i];
	CheckKind	kind = bc->check->kind;
	char	   *where;
	char	   *element;
	char	   *failure;

	if (!check_in_scan(bc))
		return;
	where = bc->check->where ? expression(bc->check->where) : NULL;
	element = element_condition(bc);
	plan_element(plan, bc, where, element, i);

	if (kind == CHECK_UNIQUE || kind == CHECK_DISTINCT_COUNT_BETWEEN ||
		kind == CHECK_DISTINCT_RATIO_BETWEEN)
	{
		plan->unique_column[i] = add_unique(plan, bc, where, element, exact_limit);
		return;
	}
	if (aggregate_of(kind) != NULL)
	{
		/* sums compare as numeric (floats as float8), exact for integers */
		const char *cast = kind != CHECK_SUM_BETWEEN ? "" :
			(bc->columns[0].basetypid == FLOAT4OID || bc->columns[0].basetypid == FLOAT8OID) ?
			"::pg_catalog.float8" : "::pg_catalog.numeric";

		plan->aggregate_column[i] =
			plan_add_column(plan, psprintf("(%s)%s",
										   filtered(psprintf("%s(%s)", aggregate_of(kind),
															 bc->columns[0].sql),
													where, NULL, NULL),
										   cast));
		return;
	}
	if (kind == CHECK_MEDIAN_BETWEEN)
	{
		plan->order_column[i] = plan_add_column(plan,
			filtered(psprintf("dtecert.median_agg(%s, (%s)::pg_catalog.float8)",
							  query_param(&plan->query, INT8OID, Int64GetDatum(exact_limit)),
							  bc->columns[0].sql), where, NULL, NULL));
		return;
	}
	if (kind == CHECK_INCREASING)
	{
		plan->order_column[i] = plan_add_column(plan,
			/* one collation for all (the database's), as the agg has one */
			filtered(psprintf("dtecert.increasing_agg(%s, %s, %s, %s)",
							  query_param(&plan->query, INT8OID, Int64GetDatum(exact_limit)),
							  query_param(&plan->query, BOOLOID, BoolGetDatum(bc->check->strictly)),
							  default_collation(&bc->columns[0]),
							  default_collation_list(bc->order_by, bc->norder_by)),
					 where, element, NULL));
		return;
	}
	if (kind == CHECK_REFERENCES)
		return;					/* its anti-join runs apart */
	failure = failure_condition(bc, &plan->query);
	if (failure == NULL)
		return;

	if (plan->sample_size > 0)
		plan->sample_column[i] = add_sample(plan, bc, where, element, failure);
	if ((kind == CHECK_NOT_NULL &&
		 from_profile(plan, bc, COUNT_PROFILE_NULLS, &plan->unexpected[i])) ||
		(kind == CHECK_BE_NULL &&
		 from_profile(plan, bc, COUNT_PROFILE_VALUES, &plan->unexpected[i])))
		return;
	if (plan->sample_column[i] > 0)
		plan->unexpected[i] = count_ref(COUNT_SAMPLE, plan->sample_column[i]);
	else
		plan->unexpected[i] = count_ref(COUNT_COLUMN, add_column(plan, where, element, failure));
}

static void
plan_schema_nulls(ScanPlan *plan, BoundPolicy *bp, Relation rel)
{
	Policy	   *p = bp->policy;
	int			i;

	for (i = 0; i < p->nschema_columns; i++)
	{
		BoundColumn column;
		int			index;

		if (p->schema_columns[i].nullable != 0 ||
			!bind_column(rel, p->schema_columns[i].name, &column) ||
			column.notnull)
			continue;
		index = profile_index_of(plan, column.attnum);
		plan->schema_nulls[i] = index >= 0 ?
			count_ref(COUNT_PROFILE_NULLS, index) :
			count_ref(COUNT_COLUMN, add_column(plan, psprintf("%s IS NULL", column.sql),
											   NULL, NULL));
	}
}

int64
scan_count(ScanResult *result, int column)
{
	bool		isnull;
	Datum		value = scan_value(result, column, &isnull);

	return isnull ? 0 : DatumGetInt64(value);
}

int64
scan_count_ref(ScanPlan *plan, ScanResult *result, CountRef ref)
{
	bool		isnull;
	Datum		value;

	switch (ref.source)
	{
		case COUNT_COLUMN:
			return scan_count(result, ref.column);
		case COUNT_SAMPLE:
			value = scan_value(result, ref.column, &isnull);
			if (isnull)
				return 0;		/* no row passed the filter */
			value = GetAttributeByNum(DatumGetHeapTupleHeader(value), 1, &isnull);
			return isnull ? 0 : DatumGetInt64(value);
		case COUNT_TOTAL:
			return scan_count(result, plan->total_column);
		case COUNT_PROFILE_VALUES:
			return result->profile_counts[ref.column];
		case COUNT_PROFILE_NULLS:
			return scan_count(result, plan->total_column) -
				result->profile_counts[ref.column];
		default:
			elog(ERROR, "count %d was not computed", (int) ref.source);
	}
	return 0;					/* keep the compiler quiet */
}

Datum
scan_value(ScanResult *result, int column, bool *isnull)
{
	if (column <= 0)
		elog(ERROR, "certification result column %d was not computed", column);
	return heap_getattr(result->row, column, result->desc, isnull);
}

/* The sort key of samples: the primary key, or (tableoid, ctid). */
static void
plan_sample_key(ScanPlan *plan, Relation rel)
{
	SampleKey  *key = &plan->sample_key;
	Oid			pkey = InvalidOid;
	char		relkind = rel->rd_rel->relkind;

	if (relkind == RELKIND_RELATION || relkind == RELKIND_PARTITIONED_TABLE)
		pkey = RelationGetPrimaryKeyIndex(rel);
	if (OidIsValid(pkey))
	{
		Relation	index = index_open(pkey, AccessShareLock);
		StringInfoData sql;
		int			k;

		initStringInfo(&sql);
		for (k = 0; k < index->rd_index->indnkeyatts; k++)
		{
			AttrNumber	attnum = index->rd_index->indkey.values[k];

			appendStringInfo(&sql, "%s%s", k ? ", " : "",
							 quote_identifier(get_attname(RelationGetRelid(rel), attnum, false)));
		}
		key->nkeys = index->rd_index->indnkeyatts;
		key->key_sql = sql.data;
		key->value_first = false;
		index_close(index, AccessShareLock);
	}
	else if (relkind == RELKIND_RELATION || relkind == RELKIND_PARTITIONED_TABLE ||
			 relkind == RELKIND_MATVIEW)
	{
		key->nkeys = 2;
		key->key_sql = "tableoid::pg_catalog.regclass, ctid";
		key->value_first = true;
		key->by_ctid = true;
		key->one_relation = relkind != RELKIND_PARTITIONED_TABLE &&
			!rel->rd_rel->relhassubclass;
	}
}

/* Checks whose exact states share dtecert.exact_mem. */
static int
count_exact_states(BoundPolicy *bp)
{
	int			n = 0;
	int			i;

	for (i = 0; i < bp->nchecks; i++)
	{
		CheckKind	kind = bp->checks[i].check->kind;

		if (check_in_scan(&bp->checks[i]) &&
			(kind == CHECK_UNIQUE || kind == CHECK_DISTINCT_COUNT_BETWEEN ||
			 kind == CHECK_DISTINCT_RATIO_BETWEEN || kind == CHECK_MEDIAN_BETWEEN ||
			 kind == CHECK_INCREASING))
			n++;
	}
	return n;
}

ScanPlan *
plan_scan(BoundPolicy *bp, bool with_samples)
{
	ScanPlan   *plan = palloc0(sizeof(ScanPlan));
	Relation	rel = relation_open(bp->relid, NoLock);
	int			nexact = count_exact_states(bp);
	int64		exact_limit;
	int			i;

	query_init(&plan->query);
	plan->element = palloc0(sizeof(CountRef) * Max(bp->nchecks, 1));
	plan->unexpected = palloc0(sizeof(CountRef) * Max(bp->nchecks, 1));
	plan->unique_column = palloc0(sizeof(int) * Max(bp->nchecks, 1));
	plan->aggregate_column = palloc0(sizeof(int) * Max(bp->nchecks, 1));
	plan->order_column = palloc0(sizeof(int) * Max(bp->nchecks, 1));
	plan->sample_column = palloc0(sizeof(int) * Max(bp->nchecks, 1));
	plan->schema_nulls = palloc0(sizeof(CountRef) *
								 Max(bp->policy->nschema_columns, 1));
	plan->sample_size = (with_samples && bp->policy->samples != SAMPLES_NONE) ?
		dtecert_sample_size : 0;
	plan_sample_key(plan, rel);
	/* sizes exact states up front; -1 (never analyzed) means unknown */
	plan->expected_rows = rel->rd_rel->reltuples > 0 ? (int64) rel->rd_rel->reltuples : 0;
	/* the exact states of one certification share dtecert.exact_mem */
	exact_limit = (int64) dtecert_exact_mem * 1024 / Max(nexact, 1);

	appendStringInfoString(&plan->query.sql, "SELECT pg_catalog.count(*)");
	plan->total_column = ++plan->ncolumns;

	if (bp->policy->has_freshness && bp->freshness_error == NULL)
	{
		/* infinities are sentinels, not dates: the newest finite value */
		plan->freshness_column = plan_add_column(plan,
												 psprintf("pg_catalog.max((%s)::pg_catalog.timestamptz)"
														  " FILTER (WHERE pg_catalog.isfinite(%s))",
														  bp->freshness_column.sql,
														  bp->freshness_column.sql));
	}
	/* first the profile, whose counts the checks reuse */
	profile_plan(plan, rel);
	plan_schema_nulls(plan, bp, rel);
	for (i = 0; i < bp->nchecks; i++)
		plan_check(plan, bp, i, exact_limit);
	robustness_plan(plan, bp, rel);
	fairness_plan(plan, bp);
	explainability_plan(plan, bp, rel);

	appendStringInfo(&plan->query.sql, "\n  FROM %s", bp->relation_sql);
	relation_close(rel, NoLock);
	return plan;
}

/*
 * The exact pass for a unique check whose in-memory state overflowed: Great
 * Expectations' count (every row whose value occurs more than once) and the
 * smallest duplicated values, by sorting or hashing this check's columns.
 */
SqlQuery *
plan_unique_query(BoundPolicy *bp, BoundCheck *bc)
{
	SqlQuery   *q = palloc0(sizeof(SqlQuery));
	char	   *element = element_condition(bc);
	const char *where = bc->check->where;
	StringInfoData cols;
	int			i;

	query_init(q);
	initStringInfo(&cols);
	for (i = 0; i < bc->ncolumns; i++)
		appendStringInfo(&cols, "%s%s", i ? ", " : "", bc->columns[i].sql);
	appendStringInfo(&q->sql,
					 "SELECT COALESCE(pg_catalog.sum(d.dtecert_n), 0)::pg_catalog.int8,"
					 " (pg_catalog.array_agg(d.dtecert_v ORDER BY %s))[1:%s]"
					 "  FROM (SELECT pg_catalog.count(*) AS dtecert_n, %s AS dtecert_v, %s"
					 "          FROM %s WHERE %s AND %s GROUP BY %s"
					 "        HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1) d",
					 cols.data,
					 query_param(q, INT4OID, Int32GetDatum(dtecert_sample_size)),
					 bc->ncolumns == 1 ? psprintf("(%s)::pg_catalog.text", cols.data) :
					 psprintf("ROW(%s)::pg_catalog.text", cols.data),
					 cols.data, bp->relation_sql,
					 element ? element : "true",
					 where ? expression(where) : "true",
					 cols.data);
	return q;
}


/* The exact distinct count when the uniqueness state overflowed. */
SqlQuery *
plan_distinct_query(BoundPolicy *bp, BoundCheck *bc)
{
	SqlQuery   *q = palloc0(sizeof(SqlQuery));
	const char *where = bc->check->where;

	query_init(q);
	appendStringInfo(&q->sql,
					 "SELECT pg_catalog.count(DISTINCT %s) FROM %s WHERE %s",
					 bc->columns[0].sql, bp->relation_sql,
					 where ? expression(where) : "true");
	return q;
}

/*
 * The exact median (the mean of the two middle values for an even count,
 * as Great Expectations has it).  An ordered-set aggregate cannot share
 * the parallel scan, so it reads the column again (scans = 1).
 */
SqlQuery *
plan_median_query(BoundPolicy *bp, BoundCheck *bc)
{
	SqlQuery   *q = palloc0(sizeof(SqlQuery));
	const char *where = bc->check->where;

	query_init(q);
	appendStringInfo(&q->sql,
					 "SELECT pg_catalog.percentile_cont(0.5) WITHIN GROUP"
					 " (ORDER BY (%s)::pg_catalog.float8) FROM %s WHERE %s",
					 bc->columns[0].sql, bp->relation_sql,
					 where ? expression(where) : "true");
	return q;
}

/*
 * increasing: each value against the one before it in the row order.  A
 * window function cannot run inside the aggregate scan: a pass of its own.
 * Returns (rows that decrease, rows considered).
 */
SqlQuery *
plan_increasing_query(BoundPolicy *bp, BoundCheck *bc)
{
	SqlQuery   *q = palloc0(sizeof(SqlQuery));
	BoundColumn *col = &bc->columns[0];
	const char *where = bc->check->where;
	char	   *decrease = bc->check->strictly ?
		psprintf("NOT (d.dtecert_v %s d.dtecert_prev)", op_gt(col)) :
		psprintf("d.dtecert_v %s d.dtecert_prev", op_lt(col));
	StringInfoData order;
	int			k;

	/* the order the in-memory state sorts in: keys, then value, NULLs first */
	initStringInfo(&order);
	for (k = 0; k < bc->norder_by; k++)
		appendStringInfo(&order, "%s NULLS FIRST, ", default_collation(&bc->order_by[k]));
	appendStringInfo(&order, "%s NULLS FIRST", default_collation(col));

	query_init(q);
	appendStringInfo(&q->sql,
					 "SELECT pg_catalog.count(*) FILTER (WHERE d.dtecert_prev IS NOT NULL AND %s),"
					 " pg_catalog.count(*)"
					 "  FROM (SELECT %s AS dtecert_v,"
					 "               pg_catalog.lag(%s) OVER (ORDER BY %s) AS dtecert_prev"
					 "          FROM %s WHERE %s IS NOT NULL AND %s) d",
					 decrease, default_collation(col), default_collation(col), order.data,
					 bp->relation_sql, col->sql, where ? expression(where) : "true");
	return q;
}

/* bind.c chose the operator; its schema is named, so nothing can hijack it */
static char *
reference_condition(BoundCheck *bc, const char *outer)
{
	return psprintf("dtecert_ref.%s %s %s", bc->ref_column.sql,
					dtecert_qualified_operator(bc->ref_eq_opr), outer);
}

SqlQuery *
plan_references_query(BoundPolicy *bp, BoundCheck *bc)
{
	SqlQuery	   *q = palloc0(sizeof(SqlQuery));
	char	   *outer = psprintf("%s.%s", bp->relation_sql, bc->columns[0].sql);
	const char *where = bc->check->where;

	query_init(q);
	appendStringInfo(&q->sql,
					 "SELECT pg_catalog.count(*) FROM %s"
					 " WHERE %s IS NOT NULL AND %s"
					 " AND NOT EXISTS (SELECT 1 FROM %s AS dtecert_ref WHERE %s)",
					 bp->relation_sql, outer, where ? expression(where) : "true",
					 bc->ref_relation_sql, reference_condition(bc, outer));
	return q;
}
