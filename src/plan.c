/*-------------------------------------------------------------------------
 *
 * plan.c
 *	  Compile a bound policy into SQL (see plan.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/value.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "dtecert.h"
#include "plan.h"

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
static char *
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
			if (c->ncolumns == 0)
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
		default:
			return NULL;		/* row_count; unique and references elsewhere */
	}
}

/* pg_catalog.count(*) FILTER (WHERE a AND b AND c), skipping NULL parts. */
static void
append_count(StringInfo sql, const char *a, const char *b, const char *c)
{
	const char *parts[3] = {a, b, c};
	bool		first = true;
	int			i;

	appendStringInfoString(sql, "pg_catalog.count(*)");
	for (i = 0; i < 3; i++)
	{
		if (parts[i] == NULL)
			continue;
		appendStringInfoString(sql, first ? " FILTER (WHERE " : " AND ");
		appendStringInfoString(sql, parts[i]);
		first = false;
	}
	if (!first)
		appendStringInfoChar(sql, ')');
}

static int
add_column(ScanPlan *plan, const char *a, const char *b, const char *c)
{
	appendStringInfoString(&plan->query.sql, ",\n       ");
	append_count(&plan->query.sql, a, b, c);
	return ++plan->ncolumns;
}

bool
check_in_scan(const BoundCheck *bc)
{
	return bc->error == NULL && bc->proven_by == NULL;
}

static void
plan_check(ScanPlan *plan, BoundPolicy *bp, int i)
{
	BoundCheck *bc = &bp->checks[i];
	char	   *where = bc->check->where ? expression(bc->check->where) : NULL;
	char	   *element = element_condition(bc);
	char	   *failure;

	if (!check_in_scan(bc))
		return;
	plan->element_column[i] = (where || element) ?
		add_column(plan, where, element, NULL) : plan->total_column;

	/* unique and references need queries of their own */
	if (bc->check->kind == CHECK_UNIQUE || bc->check->kind == CHECK_REFERENCES)
		return;
	failure = failure_condition(bc, &plan->query);
	if (failure)
		plan->unexpected_column[i] = add_column(plan, where, element, failure);
}

static void
plan_schema_nulls(ScanPlan *plan, BoundPolicy *bp, Relation rel)
{
	Policy	   *p = bp->policy;
	int			i;

	for (i = 0; i < p->nschema_columns; i++)
	{
		BoundColumn column;

		if (p->schema_columns[i].nullable != 0 ||
			!bind_column(rel, p->schema_columns[i].name, &column) ||
			column.notnull)
			continue;
		plan->schema_nulls_column[i] =
			add_column(plan, psprintf("%s IS NULL", column.sql), NULL, NULL);
	}
}

ScanPlan *
plan_scan(BoundPolicy *bp)
{
	ScanPlan   *plan = palloc0(sizeof(ScanPlan));
	Relation	rel = relation_open(bp->relid, NoLock);
	int			i;

	query_init(&plan->query);
	plan->element_column = palloc0(sizeof(int) * Max(bp->nchecks, 1));
	plan->unexpected_column = palloc0(sizeof(int) * Max(bp->nchecks, 1));
	plan->schema_nulls_column = palloc0(sizeof(int) *
										Max(bp->policy->nschema_columns, 1));

	appendStringInfoString(&plan->query.sql, "SELECT pg_catalog.count(*)");
	plan->total_column = ++plan->ncolumns;

	if (bp->policy->has_freshness && bp->freshness_error == NULL)
	{
		/* infinities are sentinels, not dates: the newest finite value */
		appendStringInfo(&plan->query.sql,
						 ",\n       pg_catalog.max((%s)::pg_catalog.timestamptz)"
						 " FILTER (WHERE pg_catalog.isfinite(%s))",
						 bp->freshness_column.sql, bp->freshness_column.sql);
		plan->freshness_column = ++plan->ncolumns;
	}
	plan_schema_nulls(plan, bp, rel);
	for (i = 0; i < bp->nchecks; i++)
		plan_check(plan, bp, i);

	appendStringInfo(&plan->query.sql, "\n  FROM %s", bp->relation_sql);
	relation_close(rel, NoLock);
	return plan;
}

/*
 * Great Expectations' count for unique: every row whose value occurs more
 * than once.  (The engine replaces this query with an aggregate in the
 * shared scan.)
 */
SqlQuery *
plan_unique_query(BoundPolicy *bp, BoundCheck *bc)
{
	SqlQuery	   *q = palloc0(sizeof(SqlQuery));
	char	   *element = element_condition(bc);
	const char *where = bc->check->where;
	int			i;

	query_init(q);
	appendStringInfoString(&q->sql,
						   "SELECT COALESCE(pg_catalog.sum(d.n), 0)::pg_catalog.int8"
						   "  FROM (SELECT pg_catalog.count(*) AS n FROM ");
	appendStringInfoString(&q->sql, bp->relation_sql);
	appendStringInfo(&q->sql, " WHERE %s AND %s GROUP BY ",
					 element ? element : "true",
					 where ? expression(where) : "true");
	for (i = 0; i < bc->ncolumns; i++)
		appendStringInfo(&q->sql, "%s%s", i ? ", " : "", bc->columns[i].sql);
	appendStringInfoString(&q->sql,
						   " HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1) d");
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
