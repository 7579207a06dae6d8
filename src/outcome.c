/*-------------------------------------------------------------------------
 *
 * outcome.c
 *	  Outcomes of checks and tier criteria (see outcome.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "dtecert.h"
#include "outcome.h"

/* ---- a little JSON writer: commas come from the text written so far ---- */

static void
json_sep(StringInfo b)
{
	char		last;

	if (b->len == 0)
		return;
	last = b->data[b->len - 1];
	if (last != '{' && last != '[' && last != ':')
		appendStringInfoChar(b, ',');
}

static void
json_key(StringInfo b, const char *key)
{
	json_sep(b);
	escape_json(b, key);
	appendStringInfoChar(b, ':');
}

static void
json_string(StringInfo b, const char *key, const char *value)
{
	if (key)
		json_key(b, key);
	else
		json_sep(b);
	if (value)
		escape_json(b, value);
	else
		appendStringInfoString(b, "null");
}

static void
json_int(StringInfo b, const char *key, int64 value)
{
	json_key(b, key);
	appendStringInfo(b, INT64_FORMAT, value);
}

static void
json_double(StringInfo b, const char *key, double value)
{
	json_key(b, key);
	appendStringInfo(b, "%.15g", value);
}

static void
json_bool(StringInfo b, const char *key, bool value)
{
	json_key(b, key);
	appendStringInfoString(b, value ? "true" : "false");
}

static void
json_open(StringInfo b, const char *key, char bracket)
{
	if (key)
		json_key(b, key);
	else
		json_sep(b);
	appendStringInfoChar(b, bracket);
}

static void
json_close(StringInfo b, char bracket)
{
	appendStringInfoChar(b, bracket);
}

/* ---- checks ---- */

static void
expected_bound(StringInfo b, const char *key, const PolicyBound *bound,
			   bool integer)
{
	if (!bound->present)
		return;
	if (integer)
		json_int(b, key, strtoll(bound->value.text, NULL, 10));
	else
		json_string(b, key, bound->value.text);
	if (bound->strict)
		json_bool(b, psprintf("strict_%s", key), true);
}

/* What the policy asked for, with its values as written. */
static char *
expected_json(const PolicyCheck *c)
{
	StringInfoData b;
	bool		integer = c->kind == CHECK_LENGTH_BETWEEN || c->kind == CHECK_ROW_COUNT;
	int			i;

	initStringInfo(&b);
	json_open(&b, NULL, '{');
	if (c->ncolumns > 0)
	{
		json_open(&b, "columns", '[');
		for (i = 0; i < c->ncolumns; i++)
			json_string(&b, NULL, c->columns[i]);
		json_close(&b, ']');
		json_string(&b, "ignore_row_if",
					c->ignore_row_if == IGNORE_ROW_IF_NEVER ? "never" :
					c->ignore_row_if == IGNORE_ROW_IF_ANY_MISSING ?
					"any_value_is_missing" : "all_values_are_missing");
	}
	if (c->nvalues > 0)
	{
		json_open(&b, "values", '[');
		for (i = 0; i < c->nvalues; i++)
			json_string(&b, NULL, c->values[i].text);
		json_close(&b, ']');
	}
	if (c->has_equals)
		expected_bound(&b, "equals", &c->min, integer);
	else
	{
		expected_bound(&b, "min", &c->min, integer);
		expected_bound(&b, "max", &c->max, integer);
	}
	if (c->regex)
		json_string(&b, "regex", c->regex);
	if (c->ref_table)
	{
		json_string(&b, "table", c->ref_table);
		json_string(&b, "to", c->ref_column);
	}
	if (c->failing_rows)
		json_string(&b, "failing_rows", c->failing_rows);
	if (c->has_mostly)
		json_double(&b, "mostly", c->mostly);
	if (c->where)
		json_string(&b, "where", c->where);
	json_close(&b, '}');
	return b.data;
}

static char *
columns_label(const PolicyCheck *c)
{
	StringInfoData b;
	int			i;

	if (c->column || c->ncolumns == 0)
		return (char *) c->column;
	initStringInfo(&b);
	for (i = 0; i < c->ncolumns; i++)
		appendStringInfo(&b, "%s%s", i ? ", " : "", c->columns[i]);
	return b.data;
}

static void
outcome_row_count(const BoundCheck *bc, int64 rows, Outcome *o)
{
	StringInfoData b;

	o->passed = rows >= bc->min_int && rows <= bc->max_int;
	initStringInfo(&b);
	json_open(&b, NULL, '{');
	json_int(&b, "observed_value", rows);
	json_close(&b, '}');
	o->observed = b.data;
	if (!o->passed)
		o->reason = psprintf(INT64_FORMAT " rows", rows);
}

/*
 * Great Expectations' rule: with mostly p, the check passes when the
 * passing fraction of the rows it considers is >= p; without, when no row
 * fails.  No row considered (an empty table, a column of only NULLs for a
 * value check) is a pass.
 */
static void
outcome_counts(const PolicyCheck *c, int64 element, int64 unexpected, Outcome *o)
{
	StringInfoData b;
	double		fraction_passing = element > 0 ?
		(double) (element - unexpected) / (double) element : 1.0;

	o->has_counts = true;
	o->element_count = element;
	o->unexpected_count = unexpected;
	o->passed = c->has_mostly ? fraction_passing >= c->mostly : unexpected == 0;

	initStringInfo(&b);
	json_open(&b, NULL, '{');
	json_int(&b, "element_count", element);
	json_int(&b, "unexpected_count", unexpected);
	json_double(&b, "unexpected_percent",
				element > 0 ? 100.0 * unexpected / element : 0.0);
	json_close(&b, '}');
	o->observed = b.data;

	if (!o->passed)
		o->reason = c->has_mostly ?
			psprintf(INT64_FORMAT " of " INT64_FORMAT " rows fail; %.4g%% pass, mostly requires %.4g%%",
					 unexpected, element, 100.0 * fraction_passing, 100.0 * c->mostly) :
			psprintf(INT64_FORMAT " of " INT64_FORMAT " rows fail", unexpected, element);
}

void
outcome_check(BoundCheck *bc, bool counted, int64 element_count,
			  int64 unexpected_count, int scans, Outcome *o)
{
	PolicyCheck *c = bc->check;

	memset(o, 0, sizeof(Outcome));
	o->name = c->name;
	o->kind = c->kind_name;
	o->column = columns_label(c);
	o->severity = policy_severity_name(c->severity);
	o->expected = expected_json(c);
	o->scans = scans;

	if (bc->error)
		o->reason = bc->error;
	else if (bc->proven_by)
	{
		o->passed = true;
		o->proven_by = bc->proven_by;
	}
	else if (!counted)
		elog(ERROR, "check %s was not evaluated", c->name);
	else if (c->kind == CHECK_ROW_COUNT)
		outcome_row_count(bc, element_count, o);
	else
		outcome_counts(c, element_count, unexpected_count, o);
}

/* ---- the schema contract ---- */

typedef struct SchemaFindings
{
	StringInfoData missing;
	StringInfoData types;
	StringInfoData nulls;
	StringInfoData extra;
	int			problems;
} SchemaFindings;

static void
schema_finding(SchemaFindings *f, StringInfo list, const char *what)
{
	if (list->len == 0)
		appendStringInfoChar(list, '[');
	else
		appendStringInfoChar(list, ',');
	appendStringInfoString(list, what);
	f->problems++;
}

static char *
json_text(const char *s)
{
	StringInfoData b;

	initStringInfo(&b);
	escape_json(&b, s);
	return b.data;
}

static void
schema_check_column(BoundSchemaColumn *bound, Relation rel, ScanPlan *plan,
					ScanResult *result, int i, SchemaFindings *f)
{
	PolicySchemaColumn *declared = bound->declared;
	BoundColumn column;

	if (!bind_column(rel, declared->name, &column))
	{
		schema_finding(f, &f->missing, json_text(declared->name));
		return;
	}
	if (declared->type &&
		(bound->typid != column.typid ||
		 (bound->typmod != -1 && bound->typmod != column.typmod)))
		schema_finding(f, &f->types,
					   psprintf("{\"column\":%s,\"expected\":%s,\"actual\":%s}",
								json_text(declared->name), json_text(declared->type),
								json_text(format_type_with_typemod(column.typid,
																   column.typmod))));
	if (declared->nullable == 0 && !column.notnull &&
		plan->schema_nulls[i].source != COUNT_NONE &&
		scan_count_ref(plan, result, plan->schema_nulls[i]) > 0)
		schema_finding(f, &f->nulls,
					   psprintf("{\"column\":%s,\"nulls\":" INT64_FORMAT "}",
								json_text(declared->name),
								scan_count_ref(plan, result, plan->schema_nulls[i])));
}

static bool
column_declared(Policy *p, const char *name)
{
	int			i;

	for (i = 0; i < p->nschema_columns; i++)
		if (strcmp(p->schema_columns[i].name, name) == 0)
			return true;
	return false;
}

static void
schema_check_extra(Policy *p, Relation rel, SchemaFindings *f)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && !column_declared(p, NameStr(att->attname)))
			schema_finding(f, &f->extra, json_text(NameStr(att->attname)));
	}
}

static void
append_list(StringInfo b, const char *key, StringInfo list)
{
	json_key(b, key);
	appendStringInfoString(b, list->len ? list->data : "[");
	appendStringInfoChar(b, ']');
}

void
outcome_schema(BoundPolicy *bp, Relation rel, ScanPlan *plan,
			   ScanResult *result, Outcome *o, CriterionState *cs)
{
	Policy	   *p = bp->policy;
	SchemaFindings f;
	StringInfoData b;
	int			i;

	memset(o, 0, sizeof(Outcome));
	o->name = "schema";
	o->kind = "schema";
	initStringInfo(&f.missing);
	initStringInfo(&f.types);
	initStringInfo(&f.nulls);
	initStringInfo(&f.extra);
	f.problems = 0;

	for (i = 0; i < p->nschema_columns; i++)
		schema_check_column(&bp->schema_columns[i], rel, plan, result, i, &f);
	if (p->forbid_extra_columns)
		schema_check_extra(p, rel, &f);

	initStringInfo(&b);
	json_open(&b, NULL, '{');
	append_list(&b, "missing_columns", &f.missing);
	append_list(&b, "type_mismatches", &f.types);
	append_list(&b, "null_violations", &f.nulls);
	append_list(&b, "extra_columns", &f.extra);
	json_close(&b, '}');
	o->observed = b.data;

	initStringInfo(&b);
	json_open(&b, NULL, '{');
	json_open(&b, "columns", '[');
	for (i = 0; i < p->nschema_columns; i++)
	{
		json_open(&b, NULL, '{');
		json_string(&b, "name", p->schema_columns[i].name);
		json_string(&b, "type", p->schema_columns[i].type);
		json_key(&b, "nullable");
		appendStringInfoString(&b, p->schema_columns[i].nullable < 0 ? "null" :
							   p->schema_columns[i].nullable ? "true" : "false");
		json_close(&b, '}');
	}
	json_close(&b, ']');
	json_string(&b, "extra_columns", p->forbid_extra_columns ? "forbid" : "allow");
	json_close(&b, '}');
	o->expected = b.data;

	o->passed = f.problems == 0;
	if (!o->passed)
		o->reason = psprintf("%d violation%s of the schema contract", f.problems,
							 f.problems == 1 ? "" : "s");
	cs->declared = true;
	cs->passed = o->passed;
	cs->detail = o->reason;
}

/* ---- freshness ---- */

/* RFC 3339 in UTC, microseconds: the same whatever DateStyle and TimeZone. */
static char *
iso8601_utc(TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "timestamp out of range");
	return psprintf("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year, tm.tm_mon,
					tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int) fsec);
}

void
outcome_freshness(BoundPolicy *bp, ScanPlan *plan, TimestampTz now,
				  ScanResult *result, Outcome *o, CriterionState *cs)
{
	Policy	   *p = bp->policy;
	StringInfoData b;
	Datum		age = (Datum) 0;
	bool		latest_isnull = true;
	Datum		latest = (Datum) 0;

	memset(o, 0, sizeof(Outcome));
	o->name = "freshness";
	o->kind = "freshness";
	o->column = p->freshness_column;
	cs->declared = true;

	initStringInfo(&b);
	json_open(&b, NULL, '{');
	json_string(&b, "column", p->freshness_column);
	json_string(&b, "max_age", p->freshness_max_age);
	json_close(&b, '}');
	o->expected = b.data;

	if (bp->freshness_error == NULL)
		latest = scan_value(result, plan->freshness_column, &latest_isnull);
	if (bp->freshness_error)
		o->reason = bp->freshness_error;
	else if (latest_isnull)
		o->reason = "no rows with a value to date the data by";
	else
	{
		age = DirectFunctionCall2(timestamp_mi, TimestampTzGetDatum(now), latest);
		o->passed = DatumGetInt32(DirectFunctionCall2(interval_cmp, age,
													  bp->max_age)) <= 0;
		initStringInfo(&b);
		/* fixed formats: evidence must not depend on the session's DateStyle */
		json_open(&b, NULL, '{');
		json_string(&b, "latest", iso8601_utc(DatumGetTimestampTz(latest)));
		json_double(&b, "age_seconds",
					(double) (now - DatumGetTimestampTz(latest)) / USECS_PER_SEC);
		json_close(&b, '}');
		o->observed = b.data;
		if (!o->passed)
			o->reason = psprintf("the newest row is older than %s",
								 p->freshness_max_age);
	}
	cs->passed = o->passed;
	cs->detail = o->reason;
}

/* ---- lineage ---- */

static bool
input_is_certified(Oid relid)
{
	Oid			types[1] = {REGCLASSOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};
	bool		isnull;
	int			ret;

	ret = SPI_execute_with_args("SELECT dtecert.is_certified($1)", 1, types,
								values, NULL, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read the certificate of an input");
	return DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
									  SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * Lineage verified: the policy names the job and its inputs, and every
 * input resolves (a relation here, or an external namespace/name); with
 * require_certified_inputs, every input here holds a valid certificate.
 */
void
outcome_lineage(BoundPolicy *bp, Outcome *o, CriterionState *cs)
{
	Policy	   *p = bp->policy;
	StringInfoData observed;
	StringInfoData problems;
	int			i;

	memset(o, 0, sizeof(Outcome));
	o->name = "lineage";
	o->kind = "lineage";
	initStringInfo(&observed);
	initStringInfo(&problems);
	json_open(&observed, NULL, '{');
	json_string(&observed, "job", p->lineage_job);
	json_open(&observed, "inputs", '[');
	for (i = 0; i < p->nlineage_inputs; i++)
	{
		Oid			relid;
		char	   *error = bind_lineage_input(p->lineage_inputs[i], bp->namespace, &relid);
		bool		certified = false;

		json_open(&observed, NULL, '{');
		json_string(&observed, "name", p->lineage_inputs[i]);
		json_bool(&observed, "resolved", error == NULL);
		if (OidIsValid(relid))
		{
			json_string(&observed, "relation", dtecert_dataset_name(relid));
			certified = input_is_certified(relid);
			json_bool(&observed, "certified", certified);
		}
		else if (error == NULL)
			json_string(&observed, "external", p->lineage_inputs[i]);
		json_close(&observed, '}');

		if (error)
			appendStringInfo(&problems, "%s%s", problems.len ? "; " : "", error);
		else if (p->require_certified_inputs && OidIsValid(relid) && !certified)
			appendStringInfo(&problems, "%sinput %s is not certified",
							 problems.len ? "; " : "", dtecert_dataset_name(relid));
	}
	json_close(&observed, ']');
	json_close(&observed, '}');
	o->observed = observed.data;

	initStringInfo(&observed);
	json_open(&observed, NULL, '{');
	json_bool(&observed, "require_certified_inputs", p->require_certified_inputs);
	json_close(&observed, '}');
	o->expected = observed.data;

	o->passed = problems.len == 0;
	o->reason = o->passed ? NULL : problems.data;
	cs->declared = true;
	cs->passed = o->passed;
	cs->detail = o->reason;
}
