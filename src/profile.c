/*-------------------------------------------------------------------------
 *
 * profile.c
 *	  The light column profile every certificate records, computed in the
 *	  shared scan: per column, the non-NULL count, min and max, mean and sum
 *	  for numbers, and an estimate of distinct values.  One
 *	  dtecert.profile_agg call per row computes all of it but the mean and
 *	  sum of float columns.  It is the source of
 *	  the lineage dataQualityMetrics facet and the baseline of drift checks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/typcache.h"

#include "plan.h"

/*
 * Numbers whose mean and sum dtecert.profile_agg does not compute: floats,
 * whose sum depends on the order of the rows.  (It computes those of
 * integers and numerics, exactly.)
 */
static bool
is_inexact_number(Oid basetypid)
{
	return basetypid == FLOAT4OID || basetypid == FLOAT8OID;
}

/* Function calls take at most FUNC_MAX_ARGS arguments: profile in chunks. */
#define PROFILE_CHUNK	(FUNC_MAX_ARGS - 1)

/* One dtecert.profile_agg over the columns listed since the last one. */
static void
profile_flush(ScanPlan *plan, StringInfo args, int *first)
{
	int			column;
	int			k;

	if (plan->nprofile == *first)
		return;
	column = plan_add_column(plan, psprintf("dtecert.profile_agg(%s)", args->data));
	for (k = *first; k < plan->nprofile; k++)
		plan->profile[k].profile_column = column;
	*first = plan->nprofile;
	resetStringInfo(args);
}

void
profile_plan(ScanPlan *plan, Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	StringInfoData args;
	int			first = 0;
	int			i;

	plan->profile = palloc0(sizeof(ProfileColumn) * Max(desc->natts, 1));
	initStringInfo(&args);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		ProfileColumn *pc;
		const char *col;

		if (att->attisdropped)
			continue;
		pc = &plan->profile[plan->nprofile++];
		pc->name = pstrdup(NameStr(att->attname));
		pc->attnum = att->attnum;
		pc->typid = att->atttypid;
		pc->typmod = att->atttypmod;
		pc->profile_index = plan->nprofile - first;
		col = quote_identifier(pc->name);
		appendStringInfo(&args, "%s%s", args.len ? ", " : "", col);
		if (is_inexact_number(getBaseType(pc->typid)))
		{
			pc->mean_column = plan_add_column(plan,
											  psprintf("pg_catalog.avg(%s)::pg_catalog.float8", col));
			pc->sum_column = plan_add_column(plan,
											 psprintf("pg_catalog.sum(%s)::pg_catalog.text", col));
		}
		if (plan->nprofile - first == PROFILE_CHUNK)
			profile_flush(plan, &args, &first);
	}
	profile_flush(plan, &args, &first);
}

/* The index of a column in plan->profile, or -1. */
int
profile_index_of(ScanPlan *plan, AttrNumber attnum)
{
	int			i;

	for (i = 0; i < plan->nprofile; i++)
		if (plan->profile[i].attnum == attnum)
			return i;
	return -1;
}

static char *column_fragment(ScanResult *result, ProfileColumn *pc, int64 *count);

/* Read every profiled column's non-NULL count, which checks reuse. */
void
profile_read_counts(ScanPlan *plan, ScanResult *result)
{
	int			i;

	result->profile_counts = palloc0(sizeof(int64) * Max(plan->nprofile, 1));
	for (i = 0; i < plan->nprofile; i++)
		(void) column_fragment(result, &plan->profile[i], &result->profile_counts[i]);
}

static void
json_text_field(StringInfo b, const char *key, ScanResult *result, int column)
{
	bool		isnull;
	Datum		value;

	if (column == 0)
		return;
	value = scan_value(result, column, &isnull);
	appendStringInfo(b, ", \"%s\": ", key);
	if (isnull)
		appendStringInfoString(b, "null");
	else
		escape_json(b, TextDatumGetCString(value));
}

/* A JSON number, or null for NaN and infinities (JSON has none). */
static void
json_float_field(StringInfo b, const char *key, ScanResult *result, int column)
{
	bool		isnull;
	double		value;

	if (column == 0)
		return;
	value = DatumGetFloat8(scan_value(result, column, &isnull));
	appendStringInfo(b, ", \"%s\": ", key);
	if (isnull || isnan(value) || isinf(value))
		appendStringInfoString(b, "null");
	else
		appendStringInfo(b, "%.17g", value);
}

/* The JSON members profile_agg computed for a column, or NULL (no rows). */
static char *
column_fragment(ScanResult *result, ProfileColumn *pc, int64 *count)
{
	bool		isnull;
	Datum		array = scan_value(result, pc->profile_column, &isnull);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	char	   *fragment;

	*count = 0;
	if (isnull)
		return NULL;
	deconstruct_array(DatumGetArrayTypeP(array), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	if (pc->profile_index > n || nulls[pc->profile_index - 1])
		elog(ERROR, "profile of column %s is missing", pc->name);
	fragment = TextDatumGetCString(elems[pc->profile_index - 1]);
	/* the fragment starts with "count": N */
	if (sscanf(fragment, "\"count\": " INT64_FORMAT, count) != 1)
		elog(ERROR, "profile of column %s is malformed", pc->name);
	return fragment;
}

char *
profile_json(ScanPlan *plan, ScanResult *result)
{
	int64		rows = scan_count(result, plan->total_column);
	StringInfoData b;
	int			i;

	initStringInfo(&b);
	appendStringInfo(&b, "{\"row_count\": " INT64_FORMAT ", \"columns\": [", rows);
	for (i = 0; i < plan->nprofile; i++)
	{
		ProfileColumn *pc = &plan->profile[i];
		int64		count;
		char	   *fragment = column_fragment(result, pc, &count);

		appendStringInfoString(&b, i ? ", {\"name\": " : "{\"name\": ");
		escape_json(&b, pc->name);
		appendStringInfoString(&b, ", \"type\": ");
		escape_json(&b, format_type_with_typemod(pc->typid, pc->typmod));
		appendStringInfo(&b, ", \"null_count\": " INT64_FORMAT ", \"null_fraction\": %.17g, ",
						 rows - count, rows > 0 ? (double) (rows - count) / rows : 0.0);
		appendStringInfoString(&b, fragment ? fragment :
							   "\"count\": 0, \"distinct_estimate\": 0");
		/* no rows: what avg() and sum() of a numeric column give */
		if (fragment == NULL && getBaseType(pc->typid) == NUMERICOID)
			appendStringInfoString(&b, ", \"mean\": null, \"sum\": null");
		json_float_field(&b, "mean", result, pc->mean_column);
		json_text_field(&b, "sum", result, pc->sum_column);
		appendStringInfoChar(&b, '}');
	}
	appendStringInfoString(&b, "]}");
	return b.data;
}
