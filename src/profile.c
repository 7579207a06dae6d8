/*-------------------------------------------------------------------------
 *
 * profile.c
 *	  The light column profile every certificate records, computed in the
 *	  shared scan: per column, the non-NULL count, min and max, mean and sum
 *	  for numbers, and an estimate of distinct values.  It is the source of
 *	  the lineage dataQualityMetrics facet and the baseline of drift checks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/typcache.h"

#include "plan.h"

static bool
is_number(Oid basetypid)
{
	switch (basetypid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			return true;
		default:
			return false;
	}
}

/* Does pg_catalog have min() and max() for exactly this type? */
static bool
has_min_max(Oid basetypid)
{
	List	   *name = list_make2(makeString("pg_catalog"), makeString("min"));

	return OidIsValid(LookupFuncName(name, 1, &basetypid, true));
}

static void
profile_column(ScanPlan *plan, ProfileColumn *pc, const char *col)
{
	Oid			basetypid = getBaseType(pc->typid);
	char		category;
	bool		preferred;

	get_type_category_preferred(basetypid, &category, &preferred);
	pc->nonnull_column = plan_add_column(plan, psprintf("pg_catalog.count(%s)", col));
	if (category == TYPCATEGORY_STRING)
	{
		/* byte order: cheap and the same under every collation */
		pc->min_column = plan_add_column(plan,
										 psprintf("pg_catalog.min((%s)::pg_catalog.text COLLATE pg_catalog.\"C\")", col));
		pc->max_column = plan_add_column(plan,
										 psprintf("pg_catalog.max((%s)::pg_catalog.text COLLATE pg_catalog.\"C\")", col));
	}
	else if (has_min_max(basetypid))
	{
		pc->min_column = plan_add_column(plan,
										 psprintf("pg_catalog.min(%s)::pg_catalog.text", col));
		pc->max_column = plan_add_column(plan,
										 psprintf("pg_catalog.max(%s)::pg_catalog.text", col));
	}
	if (is_number(basetypid))
	{
		pc->mean_column = plan_add_column(plan,
										  psprintf("pg_catalog.avg(%s)::pg_catalog.float8", col));
		pc->sum_column = plan_add_column(plan,
										 psprintf("pg_catalog.sum(%s)::pg_catalog.text", col));
	}
	pc->distinct_column = plan_add_column(plan,
										  psprintf("dtecert.distinct_estimate(%s)", col));
}

void
profile_plan(ScanPlan *plan, Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	plan->profile = palloc0(sizeof(ProfileColumn) * Max(desc->natts, 1));
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		ProfileColumn *pc;

		if (att->attisdropped)
			continue;
		pc = &plan->profile[plan->nprofile++];
		pc->name = pstrdup(NameStr(att->attname));
		pc->typid = att->atttypid;
		pc->typmod = att->atttypmod;
		profile_column(plan, pc, quote_identifier(pc->name));
	}
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
		int64		nonnull = scan_count(result, pc->nonnull_column);

		appendStringInfoString(&b, i ? ", {\"name\": " : "{\"name\": ");
		escape_json(&b, pc->name);
		appendStringInfoString(&b, ", \"type\": ");
		escape_json(&b, format_type_with_typemod(pc->typid, pc->typmod));
		appendStringInfo(&b, ", \"count\": " INT64_FORMAT ", \"null_count\": " INT64_FORMAT,
						 nonnull, rows - nonnull);
		appendStringInfo(&b, ", \"null_fraction\": %.17g",
						 rows > 0 ? (double) (rows - nonnull) / rows : 0.0);
		appendStringInfo(&b, ", \"distinct_estimate\": " INT64_FORMAT,
						 scan_count(result, pc->distinct_column));
		json_text_field(&b, "min", result, pc->min_column);
		json_text_field(&b, "max", result, pc->max_column);
		json_float_field(&b, "mean", result, pc->mean_column);
		json_text_field(&b, "sum", result, pc->sum_column);
		appendStringInfoChar(&b, '}');
	}
	appendStringInfoString(&b, "]}");
	return b.data;
}
