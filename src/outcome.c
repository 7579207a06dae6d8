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
#include "utils/typcache.h"
#include "utils/numeric.h"
#include "catalog/pg_collation.h"
#include "utils/float.h"

#include "dtecert.h"
#include "lineage.h"
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
	bool		integer = c->kind == CHECK_LENGTH_BETWEEN || c->kind == CHECK_ROW_COUNT ||
		c->kind == CHECK_DISTINCT_COUNT_BETWEEN || c->kind == CHECK_COLUMN_COUNT;
	int			i;

	initStringInfo(&b);
	json_open(&b, NULL, '{');
	if (c->ncolumns > 0)
	{
		json_open(&b, "columns", '[');
		for (i = 0; i < c->ncolumns; i++)
			json_string(&b, NULL, c->columns[i]);
		json_close(&b, ']');
		if (c->kind == CHECK_UNIQUE || c->kind == CHECK_MULTICOLUMN_SUM)
			json_string(&b, "ignore_row_if",
						policy_ignore_row_if_name(c->kind, c->ignore_row_if));
	}
	if (c->a)
	{
		json_string(&b, "a", c->a);
		json_string(&b, "b", c->b);
		json_bool(&b, "or_equal", c->or_equal);
		json_string(&b, "ignore_row_if", policy_ignore_row_if_name(c->kind, c->ignore_row_if));
	}
	if (c->type_name)
		json_string(&b, "type", c->type_name);
	if (c->position > 0)
		json_int(&b, "position", c->position);
	if (c->kind == CHECK_INCREASING)
	{
		json_bool(&b, "strictly", c->strictly);
		json_open(&b, "order_by", '[');
		for (i = 0; i < c->norder_by; i++)
			json_string(&b, NULL, c->order_by[i]);
		json_close(&b, ']');
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

static void
outcome_init(BoundCheck *bc, int scans, Outcome *o)
{
	PolicyCheck *c = bc->check;

	memset(o, 0, sizeof(Outcome));
	o->name = c->name;
	o->kind = c->kind_name;
	o->column = c->kind == CHECK_PAIR_GREATER ? psprintf("%s, %s", c->a, c->b) :
		columns_label(c);
	o->severity = policy_severity_name(c->severity);
	o->expected = expected_json(c);
	o->scans = scans;
}

void
outcome_check(BoundCheck *bc, bool counted, int64 element_count,
			  int64 unexpected_count, int scans, Outcome *o)
{
	PolicyCheck *c = bc->check;

	outcome_init(bc, scans, o);
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

/* ---- aggregate checks: one value against its bounds ---- */

typedef struct BoundCast
{
	Oid			type;
	const char *text;
	Datum		value;
} BoundCast;

static void
bound_cast_guarded(void *arg)
{
	BoundCast  *bcast = (BoundCast *) arg;
	Oid			input;
	Oid			ioparam;

	getTypeInputInfo(bcast->type, &input, &ioparam);
	bcast->value = OidInputFunctionCall(input, (char *) bcast->text, ioparam, -1);
}

/*
 * Compare a value of some type with a bound written in the policy, cast to
 * that type (the bounds of min/max/sum take the aggregate's type).  Returns
 * an error text when the bound does not cast.
 */
static char *
compare_typed(Datum value, Oid type, Oid collation, const PolicyBound *bound, int *cmp)
{
	BoundCast	bcast = {type, bound->value.text, (Datum) 0};
	TypeCacheEntry *entry = lookup_type_cache(type, TYPECACHE_CMP_PROC_FINFO);
	ErrorData  *error;

	if (!OidIsValid(entry->cmp_proc_finfo.fn_oid))
		return psprintf("type %s has no ordering", format_type_be(type));
	if (!dtecert_try(bound_cast_guarded, &bcast, &error))
		return psprintf("bound \"%s\" is not a valid %s: %s", bound->value.text,
						format_type_be(type), error->message);
	*cmp = DatumGetInt32(FunctionCall2Coll(&entry->cmp_proc_finfo,
										   OidIsValid(collation) ? collation : DEFAULT_COLLATION_OID,
										   value, bcast.value));
	return NULL;
}

static bool
within(int cmp_min, int cmp_max, const PolicyCheck *c)
{
	bool		above_min = !c->min.present ||
	(c->min.strict ? cmp_min > 0 : cmp_min >= 0);
	bool		below_max = !c->max.present ||
	(c->max.strict ? cmp_max < 0 : cmp_max <= 0);

	return above_min && below_max;
}

/* The observed value as JSON: a number for numbers, else its text. */
static void
json_observed(StringInfo b, Datum value, Oid type)
{
	char		category;
	bool		preferred;
	char	   *text;
	Oid			output;
	bool		varlena;

	getTypeOutputInfo(type, &output, &varlena);
	text = OidOutputFunctionCall(output, value);
	get_type_category_preferred(type, &category, &preferred);
	json_key(b, "observed_value");
	if (category == TYPCATEGORY_NUMERIC && strspn(text, "-0123456789.e+") == strlen(text))
		appendStringInfoString(b, text);
	else
		escape_json(b, text);
}

/*
 * min_between, max_between, sum_between compare in the aggregate's own type;
 * mean, median, stdev and distinct ratio as numbers; distinct count as an
 * integer.  No value (an empty table, a column of only NULLs) fails.
 */
void
outcome_aggregate(BoundCheck *bc, Datum value, bool isnull, Oid type,
				  int64 element_count, int scans, Outcome *o)
{
	PolicyCheck *c = bc->check;
	Oid			collation = (c->kind == CHECK_MIN_BETWEEN || c->kind == CHECK_MAX_BETWEEN) ?
		bc->columns[0].collation : InvalidOid;
	StringInfoData b;
	int			cmp_min = 0;
	int			cmp_max = 0;
	char	   *err = NULL;

	outcome_init(bc, scans, o);
	o->has_counts = true;
	o->element_count = element_count;
	initStringInfo(&b);
	json_open(&b, NULL, '{');
	if (isnull)
	{
		json_key(&b, "observed_value");
		appendStringInfoString(&b, "null");
	}
	else
		json_observed(&b, value, type);
	json_int(&b, "element_count", element_count);
	json_close(&b, '}');
	o->observed = b.data;

	if (isnull)
	{
		o->reason = c->kind == CHECK_STDEV_BETWEEN && element_count == 1 ?
			"a standard deviation needs at least two values" :
			psprintf("no values to compute %s over", c->kind_name);
		return;
	}
	/*
	 * Every value compares in its own type, with the bound cast to it: NaN
	 * sorts above every number, and numeric means and sums stay exact.
	 */
	if (c->min.present)
		err = compare_typed(value, type, collation, &c->min, &cmp_min);
	if (err == NULL && c->max.present)
		err = compare_typed(value, type, collation, &c->max, &cmp_max);
	if (err)
		o->reason = err;
	else
	{
		o->passed = within(cmp_min, cmp_max, c);
		if (!o->passed)
			o->reason = psprintf("%s is out of bounds", c->kind_name);
	}
}

/* ---- checks of the table's shape: the catalog alone ---- */

static List *
live_columns(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	List	   *names = NIL;
	int			i;

	for (i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped)
			names = lappend(names, NameStr(TupleDescAttr(desc, i)->attname));
	return names;
}

static int
position_of(List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
		if (strcmp((char *) lfirst(lc), name) == 0)
			return foreach_current_index(lc) + 1;
	return 0;
}

static void
json_name_list(StringInfo b, const char *key, List *names)
{
	ListCell   *lc;

	json_open(b, key, '[');
	foreach(lc, names)
		json_string(b, NULL, (char *) lfirst(lc));
	json_close(b, ']');
}

void
outcome_catalog(BoundCheck *bc, Relation rel, Outcome *o)
{
	PolicyCheck *c = bc->check;
	List	   *names = live_columns(rel);
	StringInfoData b;
	int			i;

	outcome_init(bc, 0, o);
	if (bc->error)
	{
		o->reason = bc->error;
		return;
	}
	initStringInfo(&b);
	json_open(&b, NULL, '{');
	switch (c->kind)
	{
		case CHECK_COLUMN_COUNT:
			json_int(&b, "observed_value", list_length(names));
			o->passed = list_length(names) >= bc->min_int &&
				list_length(names) <= bc->max_int;
			break;
		case CHECK_COLUMNS_IN_ORDER:
			json_name_list(&b, "observed_value", names);
			o->passed = list_length(names) == c->ncolumns;
			for (i = 0; o->passed && i < c->ncolumns; i++)
				o->passed = position_of(names, c->columns[i]) == i + 1;
			break;
		case CHECK_COLUMN_EXISTS:
			i = position_of(names, c->column);
			json_key(&b, "observed_value");
			appendStringInfo(&b, "%d", i);
			o->passed = i > 0 && (c->position == 0 || c->position == i);
			break;
		case CHECK_COLUMN_TYPE:
			json_string(&b, "observed_value",
						format_type_with_typemod(bc->columns[0].typid, bc->columns[0].typmod));
			o->passed = bc->columns[0].typid == bc->type_typid &&
				(bc->type_typmod < 0 || bc->type_typmod == bc->columns[0].typmod);
			break;
		default:
			elog(ERROR, "check %s does not read the catalog alone", c->name);
	}
	json_close(&b, '}');
	o->observed = b.data;
	if (!o->passed)
		o->reason = psprintf("%s does not hold", c->kind_name);
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

/*
 * An input's status as dtecert.status reads it now (expiry is computed at
 * read time), or NULL when it has no policy; *certified as is_certified.
 */
static char *
input_status(Oid relid, bool *certified)
{
	Oid			types[1] = {REGCLASSOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};
	bool		isnull;
	int			ret;

	ret = SPI_execute_with_args("SELECT dtecert.is_certified($1),"
								"       (SELECT s.status FROM dtecert.status s"
								"         WHERE s.dataset OPERATOR(pg_catalog.=) dtecert.dataset_name($1))",
								1, types, values, NULL, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read the certificate of an input");
	*certified = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
											SPI_tuptable->tupdesc, 1, &isnull));
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
}

static void
add_problem(StringInfo problems, const char *problem)
{
	appendStringInfo(problems, "%s%s", problems->len ? "; " : "", problem);
}

/* With require_certified_inputs: an input here without a valid certificate. */
static void
check_input_certified(StringInfo observed, StringInfo problems, Policy *p, Oid relid)
{
	bool		certified;
	char	   *status = input_status(relid, &certified);

	json_bool(observed, "certified", certified);
	if (!p->require_certified_inputs || certified)
		return;
	if (status == NULL || strcmp(status, "uncertified") == 0)
		add_problem(problems, psprintf("input %s is not certified",
									   dtecert_dataset_name(relid)));
	else
		add_problem(problems, psprintf("input %s is not certified (%s)",
									   dtecert_dataset_name(relid), status));
}

static bool
oid_in(Oid relid, Oid *list, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		if (list[i] == relid)
			return true;
	return false;
}

/*
 * The inputs a view's catalog knows and the policy does not name (all of
 * them when the policy names none: its inputs are derived).
 */
static void
lineage_derived(BoundPolicy *bp, Oid *catalog, int ncatalog, Oid *declared,
				int ndeclared, StringInfo observed, StringInfo problems)
{
	Policy	   *p = bp->policy;
	int			i;

	json_open(observed, "derived", '[');
	for (i = 0; i < ncatalog; i++)
	{
		json_open(observed, NULL, '{');
		json_string(observed, "relation", dtecert_dataset_name(catalog[i]));
		if (!oid_in(catalog[i], declared, ndeclared))
		{
			check_input_certified(observed, problems, p, catalog[i]);
			if (p->nlineage_inputs > 0)
				add_problem(problems, psprintf("the view reads %s, which lineage.inputs does not name",
											   dtecert_dataset_name(catalog[i])));
		}
		json_close(observed, '}');
	}
	json_close(observed, ']');
}

/*
 * Lineage verified: the policy names the job and its inputs (a view's may
 * come from the catalog instead), every input resolves (a relation here, or
 * an external namespace/name), a view's declared inputs are the relations
 * it reads, and with require_certified_inputs every input here holds a
 * valid certificate.
 */
void
outcome_lineage(BoundPolicy *bp, Outcome *o, CriterionState *cs)
{
	Policy	   *p = bp->policy;
	StringInfoData observed;
	StringInfoData problems;
	bool		is_view = lineage_derives_inputs(bp->relid);
	Oid		   *catalog;
	int			ncatalog = lineage_catalog_inputs(bp->relid, &catalog);
	Oid		   *declared = palloc(sizeof(Oid) * Max(p->nlineage_inputs, 1));
	int			ndeclared = 0;
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

		json_open(&observed, NULL, '{');
		json_string(&observed, "name", p->lineage_inputs[i]);
		json_bool(&observed, "resolved", error == NULL);
		if (OidIsValid(relid))
		{
			json_string(&observed, "relation", dtecert_dataset_name(relid));
			check_input_certified(&observed, &problems, p, relid);
			declared[ndeclared++] = relid;
			if (is_view && !oid_in(relid, catalog, ncatalog))
				add_problem(&problems, psprintf("lineage.inputs names %s, which the view does not read",
												dtecert_dataset_name(relid)));
		}
		else if (error == NULL)
		{
			json_string(&observed, "external", p->lineage_inputs[i]);
			if (is_view)
				add_problem(&problems, psprintf("lineage.inputs names external input %s, which the view does not read",
												p->lineage_inputs[i]));
		}
		json_close(&observed, '}');

		if (error)
			add_problem(&problems, error);
	}
	json_close(&observed, ']');
	if (is_view)
		lineage_derived(bp, catalog, ncatalog, declared, ndeclared, &observed, &problems);
	else if (p->nlineage_inputs == 0)
		add_problem(&problems, "lineage.inputs names no input");
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
