/*-------------------------------------------------------------------------
 *
 * policy_test.c
 *	  Unit tests of the policy parser (src/policy.c), printing TAP.
 *
 * Every valid policy is also read back from its normalized_json, which must
 * give the same text again.  Run under valgrind to check that every path,
 * error paths included, frees what it allocates.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy.h"

static int	ntests = 0;
static int	nfailed = 0;

static void diag(const char *fmt,...) __attribute__((format(printf, 1, 2)));

static void
diag(const char *fmt,...)
{
	va_list		ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static bool
ok(bool cond, const char *name)
{
	ntests++;
	if (!cond)
		nfailed++;
	printf("%s %d - %s\n", cond ? "ok" : "not ok", ntests, name);
	return cond;
}

static const char *
kind_name(PolicyErrorKind kind)
{
	static const char *const names[] = {
		"POLICY_OK", "POLICY_ERR_SYNTAX", "POLICY_ERR_INVALID",
		"POLICY_ERR_LIMIT", "POLICY_ERR_UNSUPPORTED", "POLICY_ERR_NOMEM"
	};

	return names[kind];
}

static void
diag_error(const PolicyError *err)
{
	diag("error: %s path \"%s\" at %d:%d: %s", kind_name(err->kind),
		 err->path, err->line, err->column, err->message);
	if (err->hint[0])
		diag("hint: %s", err->hint);
}

static Policy *
parse(const char *text, PolicyError *err)
{
	return policy_parse(text, strlen(text), err);
}

/*
 * Parse a valid policy, and check that its normal form reads back to the
 * same normal form.  The caller frees the result (NULL on failure).
 */
static Policy *
valid(const char *name, const char *text)
{
	PolicyError err;
	PolicyError err2;
	Policy	   *p = parse(text, &err);
	Policy	   *again;
	bool		good;

	if (p == NULL)
	{
		ok(false, name);
		diag_error(&err);
		return NULL;
	}
	again = parse(p->normalized_json, &err2);
	good = err.kind == POLICY_OK && again != NULL &&
		strcmp(again->normalized_json, p->normalized_json) == 0;
	ok(good, name);
	if (again == NULL)
	{
		diag("normal form does not read back: %s", p->normalized_json);
		diag_error(&err2);
	}
	else if (!good)
	{
		diag("normal form:  %s", p->normalized_json);
		diag("read back as: %s", again->normalized_json);
	}
	policy_free(again);
	return p;
}

/* A valid policy whose normal form must be exactly json. */
static void
valid_json(const char *name, const char *text, const char *json)
{
	Policy	   *p = valid(name, text);

	if (p != NULL)
	{
		if (!ok(strcmp(p->normalized_json, json) == 0,
				"  ... and its normal form is as expected"))
		{
			diag("got:      %s", p->normalized_json);
			diag("expected: %s", json);
		}
	}
	policy_free(p);
}

/* Two texts of the same policy give the same normal form. */
static void
same(const char *name, const char *a, const char *b)
{
	PolicyError err;
	Policy	   *pa = parse(a, &err);
	Policy	   *pb;

	if (pa == NULL)
		diag_error(&err);
	pb = parse(b, &err);
	if (pb == NULL)
		diag_error(&err);
	if (!ok(pa && pb && strcmp(pa->normalized_json, pb->normalized_json) == 0,
			name) && pa && pb)
	{
		diag("first:  %s", pa->normalized_json);
		diag("second: %s", pb->normalized_json);
	}
	policy_free(pa);
	policy_free(pb);
}

static bool
check_error(const char *name, Policy *p, const PolicyError *err,
			PolicyErrorKind kind, const char *path, const char *message,
			int line, int column)
{
	bool		good = p == NULL && err->kind == kind &&
		(path == NULL || strcmp(err->path, path) == 0) &&
		strstr(err->message, message) != NULL &&
		(line < 0 || (err->line == line && err->column == column));

	ok(good, name);
	if (!good)
	{
		diag("expected: %s path \"%s\" at %d:%d: ...%s...", kind_name(kind),
			 path ? path : "(any)", line, column, message);
		if (p != NULL)
			diag("got a policy: %s", p->normalized_json);
		else
			diag_error(err);
	}
	policy_free(p);
	return good;
}

/*
 * An invalid policy: the error's kind, path and position (line < 0 skips
 * the position) and a substring of its message.
 */
static bool
error_at(const char *name, const char *text, PolicyErrorKind kind,
		 const char *path, const char *message, int line, int column)
{
	PolicyError err;
	Policy	   *p = parse(text, &err);

	return check_error(name, p, &err, kind, path, message, line, column);
}

static bool
error(const char *name, const char *text, PolicyErrorKind kind,
	  const char *path, const char *message)
{
	return error_at(name, text, kind, path, message, -1, -1);
}

/* error() that also checks a substring of the hint */
static void
error_hint(const char *name, const char *text, PolicyErrorKind kind,
		   const char *path, const char *message, const char *hint)
{
	PolicyError err;
	Policy	   *p = parse(text, &err);

	if (check_error(name, p, &err, kind, path, message, -1, -1) &&
		!ok(strstr(err.hint, hint) != NULL, "  ... with the expected hint"))
		diag("hint: \"%s\", expected ...%s...", err.hint, hint);
}

static double
seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double) (now.tv_sec - start->tv_sec) +
		(double) (now.tv_nsec - start->tv_nsec) / 1e9;
}

/* ----------------------------------------------------------------
 * The design's example
 * ----------------------------------------------------------------
 */

static const char design_yaml[] =
"dataset: public.customer_orders   # optional; must match set_policy's argument\n"
"tier: medium                  # low | medium | high\n"
"min_score: 0.9                # quality SLO\n"
"valid_for: 7 days             # certificate lifetime\n"
"owner: data-platform@example.com\n"
"samples: values               # values | masked | none\n"
"schema:                       # schema contract\n"
"  columns:\n"
"    order_id:    {type: bigint, nullable: false}\n"
"    customer_id: {type: integer}\n"
"    status:      {type: text}\n"
"    amount:      {type: numeric}\n"
"    ordered_at:  {type: timestamptz}\n"
"  extra_columns: allow        # allow | forbid\n"
"freshness: {column: ordered_at, max_age: 1 day}\n"
"checks:\n"
"  - not_null: order_id\n"
"  - unique: order_id\n"
"  - accepted_values: {column: status, values: [pending, shipped, delivered, cancelled, returned]}\n"
"  - between: {column: amount, min: 0, max: 10000}\n"
"  - matches: {column: email, regex: '^[^@]+@[^@]+\\.[a-z]+$', mostly: 0.99}\n"
"  - not_null: {column: region, mostly: 0.95, severity: warn}\n"
"  - row_count: {min: 1000}\n"
"  - references: {column: customer_id, table: public.customers, to: id}\n"
"  - sql: {name: no_future_orders, failing_rows: \"ordered_at > now()\"}\n"
"lineage:\n"
"  job: customer_orders_pipeline\n"
"  inputs: [raw.orders_raw]\n";

static const char design_json[] =
"{\n"
"  \"lineage\": {\"inputs\": [\"raw.orders_raw\"], \"job\": \"customer_orders_pipeline\"},\n"
"  \"checks\": [\n"
"    {\"not_null\": {\"column\": \"order_id\"}},\n"
"    {\"unique\": \"order_id\"},\n"
"    {\"accepted_values\": {\"values\": [\"pending\", \"shipped\", \"delivered\", \"cancelled\", \"returned\"], \"column\": \"status\"}},\n"
"    {\"between\": {\"column\": \"amount\", \"min\": 0, \"max\": 10000}},\n"
"    {\"matches\": {\"column\": \"email\", \"regex\": \"^[^@]+@[^@]+\\\\.[a-z]+$\", \"mostly\": 0.99}},\n"
"    {\"not_null\": {\"severity\": \"warn\", \"column\": \"region\", \"mostly\": 0.95}},\n"
"    {\"row_count\": {\"min\": 1000}},\n"
"    {\"references\": {\"to\": \"id\", \"column\": \"customer_id\", \"table\": \"public.customers\"}},\n"
"    {\"sql\": {\"failing_rows\": \"ordered_at > now()\", \"name\": \"no_future_orders\"}}\n"
"  ],\n"
"  \"dataset\": \"public.customer_orders\",\n"
"  \"tier\": \"medium\",\n"
"  \"min_score\": 0.9,\n"
"  \"valid_for\": \"7 days\",\n"
"  \"owner\": \"data-platform@example.com\",\n"
"  \"freshness\": {\"max_age\": \"1 day\", \"column\": \"ordered_at\"},\n"
"  \"schema\": {\n"
"    \"extra_columns\": \"allow\",\n"
"    \"columns\": {\n"
"      \"order_id\": {\"type\": \"bigint\", \"nullable\": false},\n"
"      \"customer_id\": {\"type\": \"integer\"},\n"
"      \"status\": {\"type\": \"text\"},\n"
"      \"amount\": {\"type\": \"numeric\"},\n"
"      \"ordered_at\": {\"type\": \"timestamptz\"}\n"
"    }\n"
"  }\n"
"}\n";

static const char design_normal[] =
"{\"dataset\": \"public.customer_orders\", \"description\": null, "
"\"tier\": \"medium\", \"min_score\": 0.9, \"valid_for\": \"7 days\", "
"\"owner\": \"data-platform@example.com\", \"samples\": \"values\", "
"\"schema\": {\"columns\": ["
"{\"name\": \"order_id\", \"type\": \"bigint\", \"nullable\": false}, "
"{\"name\": \"customer_id\", \"type\": \"integer\", \"nullable\": null}, "
"{\"name\": \"status\", \"type\": \"text\", \"nullable\": null}, "
"{\"name\": \"amount\", \"type\": \"numeric\", \"nullable\": null}, "
"{\"name\": \"ordered_at\", \"type\": \"timestamptz\", \"nullable\": null}], "
"\"extra_columns\": \"allow\"}, "
"\"freshness\": {\"column\": \"ordered_at\", \"max_age\": \"1 day\"}, "
"\"checks\": ["
"{\"not_null\": {\"name\": \"not_null(order_id)\", \"column\": \"order_id\", \"severity\": \"error\"}}, "
"{\"unique\": {\"name\": \"unique(order_id)\", \"column\": \"order_id\", \"severity\": \"error\"}}, "
"{\"accepted_values\": {\"name\": \"accepted_values(status)\", \"column\": \"status\", "
"\"values\": [\"pending\", \"shipped\", \"delivered\", \"cancelled\", \"returned\"], \"severity\": \"error\"}}, "
"{\"between\": {\"name\": \"between(amount)\", \"column\": \"amount\", \"min\": \"0\", \"max\": \"10000\", "
"\"strict_min\": false, \"strict_max\": false, \"severity\": \"error\"}}, "
"{\"matches\": {\"name\": \"matches(email)\", \"column\": \"email\", \"regex\": \"^[^@]+@[^@]+\\\\.[a-z]+$\", "
"\"severity\": \"error\", \"mostly\": 0.99}}, "
"{\"not_null\": {\"name\": \"not_null(region)\", \"column\": \"region\", \"severity\": \"warn\", \"mostly\": 0.95}}, "
"{\"row_count\": {\"name\": \"row_count\", \"min\": 1000, \"severity\": \"error\"}}, "
"{\"references\": {\"name\": \"references(customer_id)\", \"column\": \"customer_id\", "
"\"table\": \"public.customers\", \"to\": \"id\", \"severity\": \"error\"}}, "
"{\"sql\": {\"name\": \"no_future_orders\", \"failing_rows\": \"ordered_at > now()\", \"severity\": \"error\"}}], "
"\"lineage\": {\"job\": \"customer_orders_pipeline\", \"inputs\": [\"raw.orders_raw\"], "
"\"require_certified_inputs\": false}, \"robustness\": null}";

static void
test_design_example(void)
{
	Policy	   *p;
	const PolicyCheck *c;

	valid_json("design example (YAML)", design_yaml, design_normal);
	valid_json("design example (JSON, keys in another order)", design_json,
			   design_normal);

	p = valid("design example: fields", design_yaml);
	if (p == NULL)
		return;
	ok(strcmp(p->dataset, "public.customer_orders") == 0 &&
	   p->tier == TIER_MEDIUM && p->has_min_score && p->min_score == 0.9 &&
	   strcmp(p->valid_for, "7 days") == 0 &&
	   strcmp(p->owner, "data-platform@example.com") == 0 &&
	   p->description == NULL && p->samples == SAMPLES_VALUES,
	   "design example: top-level fields");
	ok(p->has_schema && p->nschema_columns == 5 &&
	   strcmp(p->schema_columns[0].name, "order_id") == 0 &&
	   strcmp(p->schema_columns[0].type, "bigint") == 0 &&
	   p->schema_columns[0].nullable == 0 &&
	   strcmp(p->schema_columns[0].path, "schema.columns.order_id") == 0 &&
	   p->schema_columns[1].nullable == -1 &&
	   strcmp(p->schema_columns[4].name, "ordered_at") == 0 &&
	   !p->forbid_extra_columns,
	   "design example: schema columns in document order");
	ok(p->has_freshness && strcmp(p->freshness_column, "ordered_at") == 0 &&
	   strcmp(p->freshness_max_age, "1 day") == 0,
	   "design example: freshness");
	ok(p->has_lineage && strcmp(p->lineage_job, "customer_orders_pipeline") == 0 &&
	   p->nlineage_inputs == 1 &&
	   strcmp(p->lineage_inputs[0], "raw.orders_raw") == 0 &&
	   !p->require_certified_inputs,
	   "design example: lineage");
	ok(p->nchecks == 9, "design example: nine checks");
	if (p->nchecks == 9)
	{
		c = &p->checks[0];
		ok(c->kind == CHECK_NOT_NULL && strcmp(c->kind_name, "not_null") == 0 &&
		   strcmp(c->name, "not_null(order_id)") == 0 &&
		   strcmp(c->column, "order_id") == 0 && c->index == 0 &&
		   strcmp(c->path, "checks[0].not_null") == 0 &&
		   c->severity == SEVERITY_ERROR && !c->has_mostly && c->mostly == 1.0 &&
		   c->where == NULL,
		   "design example: not_null short form");
		c = &p->checks[2];
		ok(c->kind == CHECK_ACCEPTED_VALUES && c->nvalues == 5 &&
		   strcmp(c->values[4].text, "returned") == 0 &&
		   strcmp(c->values[4].path, "checks[2].accepted_values.values[4]") == 0 &&
		   c->values[4].line == 19,
		   "design example: accepted_values");
		c = &p->checks[3];
		ok(c->kind == CHECK_BETWEEN && c->min.present && c->max.present &&
		   !c->min.strict && strcmp(c->min.value.text, "0") == 0 &&
		   strcmp(c->max.value.text, "10000") == 0 &&
		   strcmp(c->max.value.path, "checks[3].between.max") == 0,
		   "design example: between");
		c = &p->checks[4];
		ok(c->kind == CHECK_MATCHES &&
		   strcmp(c->regex, "^[^@]+@[^@]+\\.[a-z]+$") == 0 &&
		   c->has_mostly && c->mostly == 0.99,
		   "design example: matches");
		c = &p->checks[5];
		ok(c->severity == SEVERITY_WARN && c->mostly == 0.95,
		   "design example: not_null with severity warn");
		c = &p->checks[6];
		ok(c->kind == CHECK_ROW_COUNT && c->column == NULL &&
		   strcmp(c->name, "row_count") == 0 && c->min.present &&
		   !c->max.present && strcmp(c->min.value.text, "1000") == 0 &&
		   !c->has_equals,
		   "design example: row_count");
		c = &p->checks[7];
		ok(c->kind == CHECK_REFERENCES &&
		   strcmp(c->ref_table, "public.customers") == 0 &&
		   strcmp(c->ref_column, "id") == 0,
		   "design example: references");
		c = &p->checks[8];
		ok(c->kind == CHECK_SQL && strcmp(c->name, "no_future_orders") == 0 &&
		   strcmp(c->failing_rows, "ordered_at > now()") == 0 &&
		   c->column == NULL,
		   "design example: sql");
	}
	policy_free(p);
}

/* ----------------------------------------------------------------
 * Valid policies
 * ----------------------------------------------------------------
 */

/* A policy of one check, to compare forms of the same check. */
#define ONE(check) "checks:\n  - " check "\n"

static void
test_check_forms(void)
{
	Policy	   *p;

	same("not_null short and long forms",
		 ONE("not_null: a"), ONE("not_null: {column: a}"));
	same("be_null short and long forms",
		 ONE("be_null: a"), ONE("be_null: {column: a, name: be_null(a)}"));
	same("unique short and long forms",
		 ONE("unique: a"), ONE("unique: {column: a, severity: error}"));
	same("keys in any order",
		 ONE("between: {column: a, min: 1, max: 2, strict_min: true}"),
		 ONE("between: {strict_min: true, max: 2, min: 1, column: a}"));
	same("mostly 1 is written as given",
		 ONE("not_null: {column: a, mostly: 1}"),
		 ONE("not_null: {column: a, mostly: 1.0}"));

	p = valid("unique on several columns", ONE("unique: {columns: [a, b]}"));
	if (p)
	{
		const PolicyCheck *c = &p->checks[0];

		ok(c->column == NULL && c->ncolumns == 2 &&
		   strcmp(c->columns[1], "b") == 0 && strcmp(c->name, "unique(a,b)") == 0 &&
		   c->ignore_row_if == IGNORE_ROW_IF_ALL_MISSING &&
		   strstr(p->normalized_json, "\"columns\": [\"a\", \"b\"], \"severity\": \"error\", "
				  "\"ignore_row_if\": \"all_values_are_missing\"}") != NULL,
		   "unique on several columns: fields and normal form");
	}
	policy_free(p);

	p = valid("unique on a list of one column",
			  ONE("unique: {columns: [a], ignore_row_if: any_value_is_missing}"));
	ok(p && p->checks[0].ncolumns == 1 && p->checks[0].column == NULL &&
	   p->checks[0].ignore_row_if == IGNORE_ROW_IF_ANY_MISSING &&
	   strcmp(p->checks[0].name, "unique(a)") == 0,
	   "a list of one column stays a list");
	policy_free(p);

	p = valid("unique with ignore_row_if: never",
			  ONE("unique: {columns: [a, b], ignore_row_if: never}"));
	ok(p && p->checks[0].ignore_row_if == IGNORE_ROW_IF_NEVER,
	   "ignore_row_if never");
	policy_free(p);

	p = valid("rejected_values",
			  ONE("rejected_values: {column: s, values: [x], where: \"s <> ''\", name: r}"));
	ok(p && p->checks[0].kind == CHECK_REJECTED_VALUES &&
	   strcmp(p->checks[0].where, "s <> ''") == 0 &&
	   strcmp(p->checks[0].name, "r") == 0,
	   "rejected_values: where and name");
	policy_free(p);

	p = valid("between with strict bounds",
			  ONE("between: {column: d, min: '2024-01-01', strict_min: true, max: z, strict_max: false}"));
	ok(p && p->checks[0].min.strict && !p->checks[0].max.strict &&
	   strcmp(p->checks[0].min.value.text, "2024-01-01") == 0,
	   "between: strict_min, strict_max");
	policy_free(p);

	p = valid("between with only max", ONE("between: {column: a, max: 5}"));
	ok(p && !p->checks[0].min.present && p->checks[0].max.present &&
	   strstr(p->normalized_json, "\"max\": \"5\", \"strict_max\": false, \"severity\"") != NULL,
	   "between: only max, no strict_min in the normal form");
	policy_free(p);

	p = valid("not_matches", ONE("not_matches: {column: e, regex: '^x'}"));
	ok(p && p->checks[0].kind == CHECK_NOT_MATCHES &&
	   strcmp(p->checks[0].regex, "^x") == 0, "not_matches: regex");
	policy_free(p);

	p = valid("length_between",
			  ONE("length_between: {column: c, min: 007, max: 10, strict_max: true}"));
	ok(p && strcmp(p->checks[0].min.value.text, "7") == 0 &&
	   p->checks[0].max.strict &&
	   strstr(p->normalized_json, "\"min\": 7, \"max\": 10, \"strict_min\": false, \"strict_max\": true") != NULL,
	   "length_between: integers in canonical form, as JSON numbers");
	policy_free(p);

	p = valid("length_between with min = max", ONE("length_between: {column: c, min: 3, max: 3}"));
	policy_free(p);

	p = valid("row_count equals", ONE("row_count: {equals: 5, where: \"x > 0\"}"));
	ok(p && p->checks[0].has_equals && p->checks[0].min.present &&
	   p->checks[0].max.present &&
	   strcmp(p->checks[0].min.value.text, "5") == 0 &&
	   strcmp(p->checks[0].max.value.text, "5") == 0 &&
	   strstr(p->normalized_json, "{\"row_count\": {\"name\": \"row_count\", \"equals\": 5, "
			  "\"severity\": \"error\", \"where\": \"x > 0\"}}") != NULL,
	   "row_count equals: min = max = equals");
	policy_free(p);

	p = valid("row_count min and max", ONE("row_count: {min: 0, max: 9223372036854775807}"));
	ok(p && strcmp(p->checks[0].max.value.text, "9223372036854775807") == 0,
	   "row_count: the largest int64");
	policy_free(p);

	p = valid("sql with mostly and severity critical",
			  ONE("sql: {name: s, failing_rows: a < 0, mostly: 0.5, severity: critical}"));
	ok(p && p->checks[0].severity == SEVERITY_CRITICAL && p->checks[0].mostly == 0.5,
	   "sql: mostly and severity");
	policy_free(p);

	p = valid("an empty list of checks with a schema",
			  "checks: []\nschema: {columns: {a: }}\n");
	ok(p && p->nchecks == 0 && p->nschema_columns == 1 &&
	   p->schema_columns[0].type == NULL && p->schema_columns[0].nullable == -1,
	   "empty checks; a column with no constraint");
	policy_free(p);
}

static void
test_values_as_written(void)
{
	Policy	   *p;

	p = valid("values are kept as written",
			  ONE("accepted_values: {column: c, values: [no, yes, 01, 1.10, 'on', \"1e3\", '', true, \" x \"]}"));
	if (p)
	{
		const PolicyCheck *c = &p->checks[0];
		static const char *const want[] = {
			"no", "yes", "01", "1.10", "on", "1e3", "", "true", " x "
		};
		bool		good = c->nvalues == 9;
		int			i;

		for (i = 0; good && i < 9; i++)
			good = strcmp(c->values[i].text, want[i]) == 0;
		ok(good, "no, yes, 01, 1.10 stay text");
		ok(strstr(p->normalized_json,
				  "[\"no\", \"yes\", \"01\", \"1.10\", \"on\", \"1e3\", \"\", \"true\", \" x \"]") != NULL,
		   "values are JSON strings in the normal form");
	}
	policy_free(p);

	p = valid("between bounds are kept as written",
			  ONE("between: {column: c, min: 01, max: 1.10}"));
	ok(p && strcmp(p->checks[0].min.value.text, "01") == 0 &&
	   strcmp(p->checks[0].max.value.text, "1.10") == 0,
	   "between: 01 and 1.10 stay text");
	policy_free(p);
}

static void
test_top_level(void)
{
	Policy	   *p;

	p = valid("defaults", "checks: [{not_null: a}]\n");
	ok(p && p->dataset == NULL && p->tier == TIER_NONE && !p->has_min_score &&
	   p->min_score == 1.0 && p->samples == SAMPLES_VALUES && !p->has_schema &&
	   !p->has_freshness && !p->has_lineage && p->valid_for == NULL,
	   "defaults of an absent field");
	if (p)
		ok(strcmp(p->normalized_json,
				  "{\"dataset\": null, \"description\": null, \"tier\": null, "
				  "\"min_score\": 1, \"valid_for\": null, \"owner\": null, "
				  "\"samples\": \"values\", \"schema\": null, \"freshness\": null, "
				  "\"checks\": [{\"not_null\": {\"name\": \"not_null(a)\", "
				  "\"column\": \"a\", \"severity\": \"error\"}}], \"lineage\": null, "
				  "\"robustness\": null}") == 0,
		   "normal form of a minimal policy");
	policy_free(p);

	same("null means absent",
		 "checks: [{not_null: a}]\n",
		 "{\"dataset\": null, \"description\": null, \"tier\": null, \"min_score\": null, "
		 "\"valid_for\": ~, \"owner\": Null, \"samples\": NULL, \"schema\": null, "
		 "\"freshness\": null, \"lineage\": null, \"fairness\": null, "
		 "\"checks\": [{\"not_null\": \"a\"}]}");
	same("schema columns as a list (the normal form)",
		 "schema: {columns: {a: {type: int}, b: , c: {nullable: true}}}\n",
		 "schema: {columns: [{name: a, type: int}, {name: b, type: null}, "
		 "{name: c, nullable: true}], extra_columns: allow}\n");

	p = valid("tier low, samples masked, extra_columns forbid, min_score 0",
			  "tier: low\nsamples: masked\nmin_score: 0\ndescription: ''\n"
			  "schema: {columns: {a: {nullable: True}}, extra_columns: forbid}\n");
	ok(p && p->tier == TIER_LOW && p->samples == SAMPLES_MASKED &&
	   p->forbid_extra_columns && p->min_score == 0 && p->has_min_score &&
	   strcmp(p->description, "") == 0 && p->schema_columns[0].nullable == 1,
	   "enumerations and booleans read");
	policy_free(p);

	p = valid("samples none, lineage with require_certified_inputs",
			  "samples: none\nlineage: {job: j, inputs: [], require_certified_inputs: TRUE}\n");
	ok(p && p->samples == SAMPLES_NONE && p->nlineage_inputs == 0 &&
	   p->require_certified_inputs, "lineage: empty inputs, certified inputs");
	policy_free(p);

	p = valid("tier low needs no check and no lineage",
			  "tier: low\nfreshness: {column: t, max_age: 1 hour}\n");
	policy_free(p);

	p = valid("tier medium with a critical check and lineage",
			  "tier: medium\nchecks: [{not_null: {column: a, severity: warn}}, "
			  "{unique: {column: a, severity: critical}}]\n"
			  "lineage: {job: j, inputs: [x]}\n");
	policy_free(p);

	p = valid("min_score keeps its shortest form",
			  "min_score: 0.95\nchecks: [{not_null: a}]\n");
	ok(p && strstr(p->normalized_json, "\"min_score\": 0.95,") != NULL,
	   "0.95 prints as 0.95");
	policy_free(p);

	p = valid("min_score 1e-1", "min_score: 1e-1\nchecks: [{not_null: a}]\n");
	ok(p && strstr(p->normalized_json, "\"min_score\": 0.1,") != NULL,
	   "1e-1 prints as 0.1");
	policy_free(p);

	p = valid("JSON escaping",
			  "description: \"q\\\" b\\\\ nl\\n tab\\t \\u00e9 \\u2028 \\u0085 \\x7f \\x01\"\n"
			  "owner: \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"\n"
			  "checks: [{not_null: a}]\n");
	ok(p && strstr(p->normalized_json,
				   "\"description\": \"q\\\" b\\\\ nl\\u000a tab\\u0009 \xc3\xa9 "
				   "\\u2028 \\u0085 \\u007f \\u0001\"") != NULL &&
	   strstr(p->normalized_json, "\"owner\": \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"") != NULL,
	   "escapes: quote, backslash, controls; UTF-8 passes through");
	policy_free(p);

	p = valid("aliases are shared, not copied",
			  "checks:\n  - not_null: &col order_id\n  - unique: *col\n"
			  "  - accepted_values: {column: s, values: &v [a, b]}\n"
			  "  - rejected_values: {column: t, values: *v}\n");
	ok(p && strcmp(p->checks[1].column, "order_id") == 0 &&
	   p->checks[3].nvalues == 2 &&
	   strcmp(p->checks[3].values[0].path, "checks[3].rejected_values.values[0]") == 0,
	   "an alias reads as its anchor's node");
	policy_free(p);

	p = valid("a document marker and comments",
			  "%YAML 1.1\n---\n# comment\nchecks: [{not_null: a}]  # c\n...\n");
	policy_free(p);

}

/* ----------------------------------------------------------------
 * Errors
 * ----------------------------------------------------------------
 */

static void
test_syntax_errors(void)
{
	PolicyError err;
	Policy	   *p;
	static const char nul_text[] = "dataset: a\nowner: b\0c\n";

	error_at("unclosed flow sequence", "checks: [a, b\n",
			 POLICY_ERR_SYNTAX, "", "did not find expected ',' or ']'", 2, 1);
	error_at("mapping value in a plain scalar", "dataset: a: b\n",
			 POLICY_ERR_SYNTAX, "", "mapping values are not allowed", 1, 11);
	error_at("tab indentation", "schema:\n\tcolumns: {}\n",
			 POLICY_ERR_SYNTAX, "", "found character that cannot start any token", 2, 1);
	error_at("invalid UTF-8", "dataset: ab\xff\n",
			 POLICY_ERR_SYNTAX, "", "invalid leading UTF-8 octet", 1, 12);
	error_at("invalid UTF-8 on a later line", "tier: low\ndataset: \xc3\x28\n",
			 POLICY_ERR_SYNTAX, "", "invalid trailing UTF-8 octet", 2, 11);
	error_at("undefined alias", "checks:\n  - not_null: *nope\n",
			 POLICY_ERR_SYNTAX, "", "undefined alias \"nope\"", 2, 15);
	error_at("an alias to its own anchor", "a: &x [*x]\n",
			 POLICY_ERR_SYNTAX, "", "undefined alias", 1, 8);

	p = policy_parse(nul_text, sizeof(nul_text) - 1, &err);
	check_error("a NUL byte", p, &err, POLICY_ERR_SYNTAX, "", "NUL byte", 2, 9);
	error("a \\0 escape", "dataset: \"a\\0b\"\n", POLICY_ERR_INVALID, "",
		  "NUL character");

	p = policy_parse("", 0, &err);
	check_error("empty input", p, &err, POLICY_ERR_INVALID, "", "policy is empty", -1, -1);
	p = policy_parse(NULL, 0, &err);
	check_error("NULL input", p, &err, POLICY_ERR_INVALID, "", "policy is empty", -1, -1);
	error("only a comment", "# nothing\n", POLICY_ERR_INVALID, "", "policy is empty");
	error("an empty document", "---\n", POLICY_ERR_INVALID, "", "policy is empty");
	error("a null document", "~\n", POLICY_ERR_INVALID, "", "policy is empty");
	error("an empty mapping", "{}\n", POLICY_ERR_INVALID, "", "policy is empty");
	error("no criteria", "dataset: x\ntier: low\nchecks: []\n",
		  POLICY_ERR_INVALID, "", "policy is empty");
	error_at("two documents", "checks: [{not_null: a}]\n---\nchecks: []\n",
			 POLICY_ERR_INVALID, "", "more than one document", 2, 1);
	error_at("a top-level sequence", "- not_null: a\n",
			 POLICY_ERR_INVALID, "", "expected a mapping at the top level", 1, 1);
	error("a top-level scalar", "hello\n",
		  POLICY_ERR_INVALID, "", "expected a mapping at the top level");
	error("a top-level JSON array", "[1, 2]",
		  POLICY_ERR_INVALID, "", "expected a mapping at the top level");
}

static void
test_limits(void)
{
	char	   *text;
	char	   *q;
	struct timespec start;
	PolicyError err;
	Policy	   *p;
	double		elapsed;
	int			i;
	int			j;

	/* billion laughs: 9 levels of 9 aliases, 9^9 = 387M nodes */
	text = malloc(4096);
	q = text;
	q += sprintf(q, "a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
	for (i = 1; i <= 8; i++)
	{
		q += sprintf(q, "a%d: &a%d [", i, i);
		for (j = 0; j < 9; j++)
			q += sprintf(q, "%s*a%d", j ? ", " : "", i - 1);
		q += sprintf(q, "]\n");
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	p = parse(text, &err);
	elapsed = seconds_since(&start);
	check_error("alias bomb refused", p, &err, POLICY_ERR_LIMIT, "",
				"more than 1000000 nodes", -1, -1);
	ok(elapsed < 1.0, "  ... in less than a second");
	diag("took %.3f s", elapsed);
	free(text);

	/* 200 levels of nesting: the root mapping is the first level */
	text = malloc(1024);
	q = text;
	q += sprintf(q, "checks: ");
	for (i = 0; i < 200; i++)
		*q++ = '[';
	for (i = 0; i < 200; i++)
		*q++ = ']';
	*q = '\0';
	clock_gettime(CLOCK_MONOTONIC, &start);
	p = parse(text, &err);
	elapsed = seconds_since(&start);
	check_error("200 levels of nesting refused", p, &err, POLICY_ERR_LIMIT, "",
				"deeper than 64 levels", 1, 9 + 63);
	ok(elapsed < 1.0, "  ... in less than a second");
	diag("took %.3f s", elapsed);
	free(text);

	/* 64 levels (the root mapping and 63 sequences) are fine as a tree */
	text = malloc(1024);
	q = text;
	q += sprintf(q, "checks: [{not_null: a}]\ndescription: ");
	for (i = 0; i < 63; i++)
		*q++ = '[';
	for (i = 0; i < 63; i++)
		*q++ = ']';
	*q = '\0';
	error("64 levels are read (then refused as a wrong field)", text,
		  POLICY_ERR_INVALID, "description", "expected a string");
	free(text);

	/* 10001 checks */
	text = malloc(64 * (POLICY_MAX_CHECKS + 1) + 64);
	q = text;
	q += sprintf(q, "checks: [");
	for (i = 0; i <= POLICY_MAX_CHECKS; i++)
		q += sprintf(q, "%s{sql: {name: n%d, failing_rows: x}}", i ? "," : "", i);
	sprintf(q, "]");
	error("too many checks", text, POLICY_ERR_LIMIT, "checks", "too many checks");
	free(text);

	/* too large: the length is refused before anything is read */
	text = calloc(1, POLICY_MAX_BYTES + 2);
	memset(text, ' ', POLICY_MAX_BYTES + 1);
	p = policy_parse(text, POLICY_MAX_BYTES + 1, &err);
	check_error("input over POLICY_MAX_BYTES", p, &err, POLICY_ERR_LIMIT, "",
				"too large", -1, -1);
	free(text);

	/* many anchors and aliases stay fast (the anchor table is hashed) */
	text = malloc(40 * 60000 + 64);
	q = text;
	q += sprintf(q, "checks: [{not_null: a}]\nx: [");
	for (i = 0; i < 30000; i++)
		q += sprintf(q, "&a%d v, *a%d, ", i, i);
	sprintf(q, "]\n");
	clock_gettime(CLOCK_MONOTONIC, &start);
	p = parse(text, &err);
	elapsed = seconds_since(&start);
	check_error("30000 anchors: read, then the unknown field refused", p, &err,
				POLICY_ERR_INVALID, "", "unknown field \"x\"", -1, -1);
	/* generous, for valgrind: a linear anchor search would take minutes */
	ok(elapsed < 5.0, "  ... in less than 5 seconds");
	diag("took %.3f s", elapsed);
	free(text);

	/* a mapping of 100000 keys: duplicates are found by sorting */
	text = malloc(20 * 100000 + 64);
	q = text;
	q += sprintf(q, "schema:\n  columns:\n");
	for (i = 0; i < 100000; i++)
		q += sprintf(q, "    c%d:\n", i);
	sprintf(q, "    c5:\n");
	clock_gettime(CLOCK_MONOTONIC, &start);
	p = parse(text, &err);
	elapsed = seconds_since(&start);
	check_error("100000 columns and a duplicate", p, &err, POLICY_ERR_INVALID,
				"schema.columns", "duplicate key \"c5\"", 100003, 5);
	/* generous, for valgrind: comparing every pair would take minutes */
	ok(elapsed < 5.0, "  ... in less than 5 seconds");
	diag("took %.3f s", elapsed);
	free(text);
}

static void
test_mappings(void)
{
	error_at("duplicate top-level key", "tier: low\nchecks: []\ntier: high\n",
			 POLICY_ERR_INVALID, "", "duplicate key \"tier\"", 3, 1);
	error_at("duplicate nested key",
			 "schema:\n  columns:\n    a: {type: int, type: text}\n",
			 POLICY_ERR_INVALID, "schema.columns.a", "duplicate key \"type\"", 3, 20);
	error_at("duplicate key in a check",
			 "checks:\n  - between: {column: a, min: 1, min: 2}\n",
			 POLICY_ERR_INVALID, "checks[0].between", "duplicate key \"min\"", 2, 34);
	error("duplicate key, quoted and plain",
		  "{\"tier\": \"low\", tier: low}", POLICY_ERR_INVALID, "",
		  "duplicate key \"tier\"");
	error_at("a sequence as a key", "? [a]\n: b\n",
			 POLICY_ERR_INVALID, "", "expected a string key", 1, 3);
	error("a null key", "~: b\n", POLICY_ERR_INVALID, "", "expected a string key");
	error_hint("merge keys are not supported",
			   "checks:\n  - not_null: {column: &c a}\n  - be_null:\n      <<: {column: b}\n",
			   POLICY_ERR_INVALID, "checks[1].be_null", "unknown field \"<<\"",
			   "Merge keys");
	error_hint("unknown top-level field", "checks: []\nfoo: 1\n",
			   POLICY_ERR_INVALID, "", "unknown field \"foo\"",
			   "dataset, description, tier, min_score, valid_for, owner, samples, "
			   "schema, freshness, checks, lineage, fairness, robustness, explainability.");
	error_at("unknown field position", "checks: []\nfoo: 1\n",
			 POLICY_ERR_INVALID, "", "unknown field", 2, 1);
}

static void
test_field_errors(void)
{
	error_at("tier not a tier", "tier: extreme\n",
			 POLICY_ERR_INVALID, "tier", "expected low, medium or high", 1, 7);
	error("tier a mapping", "tier: {a: b}\n",
		  POLICY_ERR_INVALID, "tier", "expected low, medium or high");
	error("dataset not a string", "dataset: [a]\n",
		  POLICY_ERR_INVALID, "dataset", "expected a string");
	error("dataset empty", "dataset: ''\n",
		  POLICY_ERR_INVALID, "dataset", "must not be empty");
	error("description a mapping", "description: {a: b}\n",
		  POLICY_ERR_INVALID, "description", "expected a string");
	error("min_score above 1", "min_score: 1.5\n",
		  POLICY_ERR_INVALID, "min_score", "must be between 0 and 1");
	error("min_score below 0", "min_score: -0.1\n",
		  POLICY_ERR_INVALID, "min_score", "must be between 0 and 1");
	error("min_score not a number", "min_score: high\n",
		  POLICY_ERR_INVALID, "min_score", "expected a number");
	error("min_score quoted", "min_score: '0.5'\n",
		  POLICY_ERR_INVALID, "min_score", "expected a number");
	error("min_score .nan", "min_score: .nan\n",
		  POLICY_ERR_INVALID, "min_score", "expected a number");
	error("min_score .inf", "min_score: .inf\n",
		  POLICY_ERR_INVALID, "min_score", "expected a number");
	error("min_score hex", "min_score: 0x1\n",
		  POLICY_ERR_INVALID, "min_score", "expected a number");
	error("min_score 1e999 (not finite)", "min_score: 1e999\n",
		  POLICY_ERR_INVALID, "min_score", "expected a number");
	error("valid_for empty", "valid_for: \"\"\n",
		  POLICY_ERR_INVALID, "valid_for", "must not be empty");
	error("owner a list", "owner: [a]\n",
		  POLICY_ERR_INVALID, "owner", "expected a string");
	error("samples unknown", "samples: all\n",
		  POLICY_ERR_INVALID, "samples", "expected values, masked or none");

	error("schema not a mapping", "schema: [a]\n",
		  POLICY_ERR_INVALID, "schema", "expected a mapping");
	error("schema without columns", "schema: {extra_columns: allow}\n",
		  POLICY_ERR_INVALID, "schema", "missing required field \"columns\"");
	error("schema with no column", "schema: {columns: {}}\n",
		  POLICY_ERR_INVALID, "schema.columns", "expected at least one column");
	error("schema with an empty list", "schema: {columns: []}\n",
		  POLICY_ERR_INVALID, "schema.columns", "expected at least one column");
	error("schema columns a scalar", "schema: {columns: a}\n",
		  POLICY_ERR_INVALID, "schema.columns", "expected a mapping of columns");
	error("schema column a scalar", "schema: {columns: {a: bigint}}\n",
		  POLICY_ERR_INVALID, "schema.columns.a", "expected a mapping");
	error_hint("schema column unknown field", "schema: {columns: {a: {typ: int}}}\n",
			   POLICY_ERR_INVALID, "schema.columns.a", "unknown field \"typ\"",
			   "type, nullable");
	error_at("schema column type not a string",
			 "schema:\n  columns:\n    order_id: {type: [a]}\n",
			 POLICY_ERR_INVALID, "schema.columns.order_id.type", "expected a string", 3, 22);
	error("schema column nullable yes", "schema: {columns: {a: {nullable: yes}}}\n",
		  POLICY_ERR_INVALID, "schema.columns.a.nullable", "expected true or false");
	error("schema column nullable quoted", "schema: {columns: {a: {nullable: 'true'}}}\n",
		  POLICY_ERR_INVALID, "schema.columns.a.nullable", "expected true or false");
	error("schema column empty name", "schema: {columns: {'': {type: int}}}\n",
		  POLICY_ERR_INVALID, "schema.columns", "must not be empty");
	error("schema extra_columns bad", "schema: {columns: {a: }, extra_columns: deny}\n",
		  POLICY_ERR_INVALID, "schema.extra_columns", "expected allow or forbid");
	error("schema list without name", "schema: {columns: [{type: int}]}\n",
		  POLICY_ERR_INVALID, "schema.columns[0]", "missing required field \"name\"");
	error("schema list duplicate name",
		  "schema: {columns: [{name: a}, {name: b}, {name: a}]}\n",
		  POLICY_ERR_INVALID, "schema.columns[2].name", "duplicate column \"a\"");

	error("freshness without max_age", "freshness: {column: t}\n",
		  POLICY_ERR_INVALID, "freshness", "missing required field \"max_age\"");
	error("freshness max_age empty", "freshness: {column: t, max_age: ''}\n",
		  POLICY_ERR_INVALID, "freshness.max_age", "must not be empty");
	error("freshness max_age a list", "freshness: {column: t, max_age: [1]}\n",
		  POLICY_ERR_INVALID, "freshness.max_age", "expected a string");
	error("freshness a scalar", "freshness: 1 day\n",
		  POLICY_ERR_INVALID, "freshness", "expected a mapping");

	error("lineage without job", "lineage: {inputs: []}\n",
		  POLICY_ERR_INVALID, "lineage", "missing required field \"job\"");
	error("lineage without inputs", "lineage: {job: j}\n",
		  POLICY_ERR_INVALID, "lineage", "missing required field \"inputs\"");
	error("lineage inputs a string", "lineage: {job: j, inputs: a}\n",
		  POLICY_ERR_INVALID, "lineage.inputs", "expected a list");
	error("lineage input a mapping", "lineage: {job: j, inputs: [a, {b: c}]}\n",
		  POLICY_ERR_INVALID, "lineage.inputs[1]", "expected a string");
	error("lineage input null", "lineage: {job: j, inputs: [~]}\n",
		  POLICY_ERR_INVALID, "lineage.inputs[0]", "expected a string");
	error("lineage duplicate input", "lineage: {job: j, inputs: [a, b, a]}\n",
		  POLICY_ERR_INVALID, "lineage.inputs[2]", "duplicate input \"a\"");
	error("lineage require_certified_inputs no",
		  "lineage: {job: j, inputs: [], require_certified_inputs: no}\n",
		  POLICY_ERR_INVALID, "lineage.require_certified_inputs",
		  "expected true or false");
}

static void
test_check_errors(void)
{
	error("checks not a list", "checks: {not_null: a}\n",
		  POLICY_ERR_INVALID, "checks", "expected a list");
	error("check not a mapping", "checks: [not_null]\n",
		  POLICY_ERR_INVALID, "checks[0]", "expected a mapping with one key");
	error_hint("check with two keys (misindented parameters)",
			   "checks:\n  - not_null: a\n    severity: warn\n",
			   POLICY_ERR_INVALID, "checks[0]", "expected a mapping with one key",
			   "under its kind");
	error_hint("unknown kind lists every kind", ONE("not_nul: a"),
			   POLICY_ERR_INVALID, "checks[0]", "unknown check kind \"not_nul\"",
			   "not_null, be_null, unique, accepted_values, rejected_values, between, "
			   "matches, not_matches, length_between, row_count, references, sql, "
			   "min_between, max_between, mean_between, median_between, stdev_between, "
			   "sum_between, distinct_count_between, distinct_ratio_between, column_count, "
			   "columns_in_order, column_exists, column_type, pair_greater, multicolumn_sum, "
			   "increasing.");
	error("short form of between", ONE("between: a"),
		  POLICY_ERR_INVALID, "checks[0].between",
		  "expected a mapping with column and min or max");
	error("short form of accepted_values", ONE("accepted_values: a"),
		  POLICY_ERR_INVALID, "checks[0].accepted_values",
		  "expected a mapping with column and values");
	error("short form of row_count", ONE("row_count: 5"),
		  POLICY_ERR_INVALID, "checks[0].row_count",
		  "expected a mapping with min, max or equals");
	error("short form of sql", ONE("sql: x > 0"),
		  POLICY_ERR_INVALID, "checks[0].sql",
		  "expected a mapping with name and failing_rows");
	error("null short form", ONE("not_null:"),
		  POLICY_ERR_INVALID, "checks[0].not_null",
		  "expected a column name or a mapping");
	error("list short form", ONE("unique: [a, b]"),
		  POLICY_ERR_INVALID, "checks[0].unique",
		  "expected a column name or a mapping");
	error("empty column", ONE("not_null: ''"),
		  POLICY_ERR_INVALID, "checks[0].not_null", "must not be empty");
	error("missing column", ONE("not_null: {severity: warn}"),
		  POLICY_ERR_INVALID, "checks[0].not_null", "missing required field \"column\"");
	error_at("column not a string", "checks:\n  - be_null: {column: [a]}\n",
			 POLICY_ERR_INVALID, "checks[0].be_null.column", "expected a string", 2, 23);
	error_hint("unknown check field", ONE("not_null: {column: a, foo: 1}"),
			   POLICY_ERR_INVALID, "checks[0].not_null", "unknown field \"foo\"",
			   "column, name, severity, mostly, where.");
	error("severity unknown", ONE("not_null: {column: a, severity: fatal}"),
		  POLICY_ERR_INVALID, "checks[0].not_null.severity",
		  "expected error, critical or warn");
	error("where empty", ONE("not_null: {column: a, where: ''}"),
		  POLICY_ERR_INVALID, "checks[0].not_null.where", "must not be empty");
	error("name empty", ONE("not_null: {column: a, name: ''}"),
		  POLICY_ERR_INVALID, "checks[0].not_null.name", "must not be empty");
	error("mostly 0", ONE("not_null: {column: a, mostly: 0}"),
		  POLICY_ERR_INVALID, "checks[0].not_null.mostly",
		  "must be greater than 0 and at most 1");
	error("mostly 1.5", ONE("unique: {column: a, mostly: 1.5}"),
		  POLICY_ERR_INVALID, "checks[0].unique.mostly",
		  "must be greater than 0 and at most 1");
	error("mostly text", ONE("unique: {column: a, mostly: most}"),
		  POLICY_ERR_INVALID, "checks[0].unique.mostly", "expected a number");

	error("unique with column and columns", ONE("unique: {column: a, columns: [a, b]}"),
		  POLICY_ERR_INVALID, "checks[0].unique", "not both");
	error("unique with neither", ONE("unique: {name: u}"),
		  POLICY_ERR_INVALID, "checks[0].unique", "\"column\" or \"columns\"");
	error("unique ignore_row_if with column",
		  ONE("unique: {column: a, ignore_row_if: never}"),
		  POLICY_ERR_INVALID, "checks[0].unique.ignore_row_if", "only to columns");
	error("unique columns empty", ONE("unique: {columns: []}"),
		  POLICY_ERR_INVALID, "checks[0].unique.columns", "expected at least one column");
	error("unique columns a string", ONE("unique: {columns: a}"),
		  POLICY_ERR_INVALID, "checks[0].unique.columns", "expected a list");
	error("unique columns repeated", ONE("unique: {columns: [a, b, a]}"),
		  POLICY_ERR_INVALID, "checks[0].unique.columns[2]", "duplicate column \"a\"");
	error("unique ignore_row_if unknown",
		  ONE("unique: {columns: [a, b], ignore_row_if: always}"),
		  POLICY_ERR_INVALID, "checks[0].unique.ignore_row_if",
		  "expected never, all_values_are_missing or any_value_is_missing");

	error("values missing", ONE("accepted_values: {column: a}"),
		  POLICY_ERR_INVALID, "checks[0].accepted_values", "missing required field \"values\"");
	/* no accepted value fails every value; no rejected value could fail nothing */
	valid("accepted_values empty", ONE("accepted_values: {column: a, values: []}"));
	error("rejected_values empty", ONE("rejected_values: {column: a, values: []}"),
		  POLICY_ERR_INVALID, "checks[0].rejected_values.values", "expected at least one value");
	error("values a scalar", ONE("rejected_values: {column: a, values: x}"),
		  POLICY_ERR_INVALID, "checks[0].rejected_values.values", "expected a list");
	error_at("values with a null", "checks:\n  - accepted_values: {column: a, values: [x, ~]}\n",
			 POLICY_ERR_INVALID, "checks[0].accepted_values.values[1]",
			 "null is not a value; use not_null or be_null", 2, 46);
	error("values with JSON null", "{\"checks\": [{\"accepted_values\": {\"column\": \"a\", \"values\": [null]}}]}",
		  POLICY_ERR_INVALID, "checks[0].accepted_values.values[0]", "null is not a value");
	error("values with a list", ONE("accepted_values: {column: a, values: [[x]]}"),
		  POLICY_ERR_INVALID, "checks[0].accepted_values.values[0]", "expected a scalar value");

	error("between with no bound", ONE("between: {column: a}"),
		  POLICY_ERR_INVALID, "checks[0].between", "at least one of min or max is required");
	error("between strict_min without min", ONE("between: {column: a, max: 1, strict_min: true}"),
		  POLICY_ERR_INVALID, "checks[0].between.strict_min", "strict_min requires min");
	error("between strict_max yes", ONE("between: {column: a, max: 1, strict_max: yes}"),
		  POLICY_ERR_INVALID, "checks[0].between.strict_max", "expected true or false");
	error("between min null", ONE("between: {column: a, min: ~, max: 1}"),
		  POLICY_ERR_INVALID, "checks[0].between.min", "null is not a value");
	error("between min a list", ONE("between: {column: a, min: [1]}"),
		  POLICY_ERR_INVALID, "checks[0].between.min", "expected a scalar value");
	error("between missing column", ONE("between: {min: 1}"),
		  POLICY_ERR_INVALID, "checks[0].between", "missing required field \"column\"");

	/* an empty range of lengths fails every value, as in Great Expectations */
	valid("length_between min greater than max",
		  "checks:\n  - length_between: {column: a, min: 5, max: 2}\n");
	error("length_between no bound", ONE("length_between: {column: a}"),
		  POLICY_ERR_INVALID, "checks[0].length_between", "at least one of min or max");
	error("length_between negative", ONE("length_between: {column: a, min: -1}"),
		  POLICY_ERR_INVALID, "checks[0].length_between.min", "expected a non-negative integer");
	error("length_between fraction", ONE("length_between: {column: a, max: 1.5}"),
		  POLICY_ERR_INVALID, "checks[0].length_between.max", "expected a non-negative integer");
	error("length_between quoted", ONE("length_between: {column: a, max: '3'}"),
		  POLICY_ERR_INVALID, "checks[0].length_between.max", "expected a non-negative integer");
	error("length_between overflow", ONE("length_between: {column: a, max: 9223372036854775808}"),
		  POLICY_ERR_INVALID, "checks[0].length_between.max", "integer out of range");
	error("length_between strict_max without max",
		  ONE("length_between: {column: a, min: 1, strict_max: false}"),
		  POLICY_ERR_INVALID, "checks[0].length_between.strict_max", "strict_max requires max");

	error("row_count equals with min", ONE("row_count: {equals: 1, min: 1}"),
		  POLICY_ERR_INVALID, "checks[0].row_count.equals", "equals excludes min and max");
	error("row_count no bound", ONE("row_count: {name: rc}"),
		  POLICY_ERR_INVALID, "checks[0].row_count", "at least one of min, max or equals");
	error("row_count min greater than max", ONE("row_count: {min: 10, max: 9}"),
		  POLICY_ERR_INVALID, "checks[0].row_count", "min is greater than max");
	error("row_count with a column", ONE("row_count: {column: a, min: 1}"),
		  POLICY_ERR_INVALID, "checks[0].row_count", "unknown field \"column\"");
	error("row_count strict_min", ONE("row_count: {min: 1, strict_min: true}"),
		  POLICY_ERR_INVALID, "checks[0].row_count", "unknown field \"strict_min\"");

	error("matches without regex", ONE("matches: {column: a}"),
		  POLICY_ERR_INVALID, "checks[0].matches", "missing required field \"regex\"");
	/* '' matches everything: not_matches then fails every value, matches nothing */
	valid("not_matches empty regex", ONE("not_matches: {column: a, regex: ''}"));
	error("matches empty regex", ONE("matches: {column: a, regex: ''}"),
		  POLICY_ERR_INVALID, "checks[0].matches.regex", "must not be empty");
	error("references without to", ONE("references: {column: a, table: t}"),
		  POLICY_ERR_INVALID, "checks[0].references", "missing required field \"to\"");
	error("references without table", ONE("references: {column: a, to: id}"),
		  POLICY_ERR_INVALID, "checks[0].references", "missing required field \"table\"");
	error("sql without name", ONE("sql: {failing_rows: x < 0}"),
		  POLICY_ERR_INVALID, "checks[0].sql", "missing required field \"name\"");
	error("sql without failing_rows", ONE("sql: {name: s}"),
		  POLICY_ERR_INVALID, "checks[0].sql", "missing required field \"failing_rows\"");
	error("sql with a column", ONE("sql: {name: s, failing_rows: x, column: a}"),
		  POLICY_ERR_INVALID, "checks[0].sql", "unknown field \"column\"");

	error_hint("duplicate default names",
			   "checks:\n  - not_null: a\n  - unique: a\n  - not_null: {column: a}\n",
			   POLICY_ERR_INVALID, "checks[2].not_null",
			   "duplicate check name \"not_null(a)\"", "give one of them a name");
	error_at("duplicate explicit names",
			 "checks:\n  - sql: {name: s, failing_rows: x}\n  - sql: {name: s, failing_rows: y}\n",
			 POLICY_ERR_INVALID, "checks[1].sql.name", "duplicate check name \"s\"", 3, 17);
	error_hint("an explicit name equal to a default name",
			   "checks:\n  - not_null: a\n  - sql: {name: not_null(a), failing_rows: y}\n",
			   POLICY_ERR_INVALID, "checks[1].sql.name",
			   "duplicate check name \"not_null(a)\"", "checks[0].not_null");
}

/* ----------------------------------------------------------------
 * The rest of the catalog: aggregates, the table's shape, pairs, sums,
 * order
 * ----------------------------------------------------------------
 */

static const char catalog_yaml[] =
"checks:\n"
"  - min_between: {column: d, min: 2024-01-01, max: \"2024-12-31\", strict_max: true, where: \"d is not null\"}\n"
"  - max_between: {column: v, max: 01}\n"
"  - mean_between: {column: x, min: 1.10, max: 2}\n"
"  - median_between: {column: x, min: -1, max: 1e3, strict_min: true}\n"
"  - stdev_between: {column: x, max: 1.1547005383792515}\n"
"  - sum_between: {column: x, min: 20, severity: critical}\n"
"  - distinct_count_between: {column: x, min: 02, max: 10}\n"
"  - distinct_ratio_between: {column: x, min: 0.3, max: 0.7, name: ratio}\n"
"  - column_count: {equals: 4}\n"
"  - columns_in_order: {columns: [c1, c2, c3]}\n"
"  - column_exists: c1\n"
"  - column_exists: {column: c2, position: 2}\n"
"  - column_type: {column: ts, type: timestamp with time zone}\n"
"  - pair_greater: {a: x, b: w}\n"
"  - multicolumn_sum: {columns: [a, b, c], equals: 1.10, mostly: 0.8}\n"
"  - increasing: a\n"
"  - increasing: {column: b, strictly: true, order_by: ts, where: \"b > 0\"}\n";

static const char catalog_normal[] =
"{\"dataset\": null, \"description\": null, \"tier\": null, \"min_score\": 1, "
"\"valid_for\": null, \"owner\": null, \"samples\": \"values\", \"schema\": null, "
"\"freshness\": null, \"checks\": ["
"{\"min_between\": {\"name\": \"min_between(d)\", \"column\": \"d\", \"min\": \"2024-01-01\", "
"\"max\": \"2024-12-31\", \"strict_min\": false, \"strict_max\": true, \"severity\": \"error\", "
"\"where\": \"d is not null\"}}, "
"{\"max_between\": {\"name\": \"max_between(v)\", \"column\": \"v\", \"max\": \"01\", "
"\"strict_max\": false, \"severity\": \"error\"}}, "
"{\"mean_between\": {\"name\": \"mean_between(x)\", \"column\": \"x\", \"min\": \"1.10\", "
"\"max\": \"2\", \"strict_min\": false, \"strict_max\": false, \"severity\": \"error\"}}, "
"{\"median_between\": {\"name\": \"median_between(x)\", \"column\": \"x\", \"min\": \"-1\", "
"\"max\": \"1e3\", \"strict_min\": true, \"strict_max\": false, \"severity\": \"error\"}}, "
"{\"stdev_between\": {\"name\": \"stdev_between(x)\", \"column\": \"x\", "
"\"max\": \"1.1547005383792515\", \"strict_max\": false, \"severity\": \"error\"}}, "
"{\"sum_between\": {\"name\": \"sum_between(x)\", \"column\": \"x\", \"min\": \"20\", "
"\"strict_min\": false, \"severity\": \"critical\"}}, "
"{\"distinct_count_between\": {\"name\": \"distinct_count_between(x)\", \"column\": \"x\", "
"\"min\": 2, \"max\": 10, \"strict_min\": false, \"strict_max\": false, \"severity\": \"error\"}}, "
"{\"distinct_ratio_between\": {\"name\": \"ratio\", \"column\": \"x\", \"min\": \"0.3\", "
"\"max\": \"0.7\", \"strict_min\": false, \"strict_max\": false, \"severity\": \"error\"}}, "
"{\"column_count\": {\"name\": \"column_count\", \"equals\": 4, \"severity\": \"error\"}}, "
"{\"columns_in_order\": {\"name\": \"columns_in_order(c1,c2,c3)\", "
"\"columns\": [\"c1\", \"c2\", \"c3\"], \"severity\": \"error\"}}, "
"{\"column_exists\": {\"name\": \"column_exists(c1)\", \"column\": \"c1\", \"severity\": \"error\"}}, "
"{\"column_exists\": {\"name\": \"column_exists(c2)\", \"column\": \"c2\", \"position\": 2, "
"\"severity\": \"error\"}}, "
"{\"column_type\": {\"name\": \"column_type(ts)\", \"column\": \"ts\", "
"\"type\": \"timestamp with time zone\", \"severity\": \"error\"}}, "
"{\"pair_greater\": {\"name\": \"pair_greater(x,w)\", \"a\": \"x\", \"b\": \"w\", "
"\"or_equal\": false, \"severity\": \"error\", \"ignore_row_if\": \"both_values_are_missing\"}}, "
"{\"multicolumn_sum\": {\"name\": \"multicolumn_sum(a,b,c)\", \"columns\": [\"a\", \"b\", \"c\"], "
"\"equals\": \"1.10\", \"severity\": \"error\", \"mostly\": 0.8, "
"\"ignore_row_if\": \"all_values_are_missing\"}}, "
"{\"increasing\": {\"name\": \"increasing(a)\", \"column\": \"a\", \"strictly\": false, "
"\"severity\": \"error\"}}, "
"{\"increasing\": {\"name\": \"increasing(b)\", \"column\": \"b\", \"strictly\": true, "
"\"order_by\": [\"ts\"], \"severity\": \"error\", \"where\": \"b > 0\"}}], "
"\"lineage\": null, \"robustness\": null}";

static bool
text_is(const char *got, const char *want)
{
	return got != NULL && strcmp(got, want) == 0;
}

static void
test_catalog_fields(void)
{
	Policy	   *p = valid("every new kind: fields", catalog_yaml);
	const PolicyCheck *c;

	if (p == NULL || !ok(p->nchecks == 17, "every new kind: seventeen checks"))
	{
		policy_free(p);
		return;
	}
	c = &p->checks[0];
	ok(c->kind == CHECK_MIN_BETWEEN && text_is(c->column, "d") &&
	   text_is(c->min.value.text, "2024-01-01") &&
	   text_is(c->max.value.text, "2024-12-31") && c->max.strict &&
	   !c->min.strict && text_is(c->where, "d is not null") &&
	   !c->has_mostly && c->mostly == 1.0 && !c->has_equals &&
	   text_is(c->min.value.path, "checks[0].min_between.min"),
	   "min_between: bounds as written, where");
	c = &p->checks[1];
	ok(c->kind == CHECK_MAX_BETWEEN && !c->min.present &&
	   text_is(c->max.value.text, "01"), "max_between: 01 stays 01");
	c = &p->checks[2];
	ok(c->kind == CHECK_MEAN_BETWEEN && text_is(c->min.value.text, "1.10") &&
	   text_is(c->max.value.text, "2"), "mean_between: 1.10 stays 1.10");
	c = &p->checks[3];
	ok(c->kind == CHECK_MEDIAN_BETWEEN && text_is(c->max.value.text, "1e3") &&
	   c->min.strict, "median_between: 1e3 as written, strict_min");
	c = &p->checks[4];
	ok(c->kind == CHECK_STDEV_BETWEEN &&
	   text_is(c->max.value.text, "1.1547005383792515"), "stdev_between");
	c = &p->checks[5];
	ok(c->kind == CHECK_SUM_BETWEEN && c->severity == SEVERITY_CRITICAL,
	   "sum_between: severity critical");
	c = &p->checks[6];
	ok(c->kind == CHECK_DISTINCT_COUNT_BETWEEN &&
	   text_is(c->min.value.text, "2") && text_is(c->max.value.text, "10"),
	   "distinct_count_between: integers in canonical form");
	c = &p->checks[7];
	ok(c->kind == CHECK_DISTINCT_RATIO_BETWEEN && text_is(c->name, "ratio") &&
	   text_is(c->min.value.text, "0.3"), "distinct_ratio_between: name");
	c = &p->checks[8];
	ok(c->kind == CHECK_COLUMN_COUNT && c->column == NULL && c->has_equals &&
	   text_is(c->min.value.text, "4") && text_is(c->max.value.text, "4") &&
	   text_is(c->name, "column_count"),
	   "column_count: equals is min = max");
	c = &p->checks[9];
	ok(c->kind == CHECK_COLUMNS_IN_ORDER && c->column == NULL &&
	   c->ncolumns == 3 && text_is(c->columns[2], "c3") &&
	   text_is(c->name, "columns_in_order(c1,c2,c3)"),
	   "columns_in_order: columns and default name");
	c = &p->checks[10];
	ok(c->kind == CHECK_COLUMN_EXISTS && text_is(c->column, "c1") &&
	   c->position == 0 && text_is(c->name, "column_exists(c1)"),
	   "column_exists short form: no position");
	c = &p->checks[11];
	ok(c->kind == CHECK_COLUMN_EXISTS && c->position == 2,
	   "column_exists: position 2");
	c = &p->checks[12];
	ok(c->kind == CHECK_COLUMN_TYPE &&
	   text_is(c->type_name, "timestamp with time zone") &&
	   text_is(c->name, "column_type(ts)"), "column_type: type_name");
	c = &p->checks[13];
	ok(c->kind == CHECK_PAIR_GREATER && c->column == NULL &&
	   c->ncolumns == 0 && text_is(c->a, "x") && text_is(c->b, "w") &&
	   !c->or_equal && c->ignore_row_if == IGNORE_ROW_IF_ALL_MISSING &&
	   text_is(c->name, "pair_greater(x,w)"),
	   "pair_greater: defaults and default name");
	c = &p->checks[14];
	ok(c->kind == CHECK_MULTICOLUMN_SUM && c->column == NULL &&
	   c->ncolumns == 3 && c->has_equals &&
	   text_is(c->min.value.text, "1.10") && text_is(c->max.value.text, "1.10") &&
	   text_is(c->min.value.path, "checks[14].multicolumn_sum.equals") &&
	   c->has_mostly && c->mostly == 0.8 &&
	   c->ignore_row_if == IGNORE_ROW_IF_ALL_MISSING &&
	   text_is(c->name, "multicolumn_sum(a,b,c)"),
	   "multicolumn_sum: equals as written, defaults, default name");
	c = &p->checks[15];
	ok(c->kind == CHECK_INCREASING && text_is(c->column, "a") &&
	   !c->strictly && c->norder_by == 0 && c->order_by == NULL &&
	   text_is(c->name, "increasing(a)"),
	   "increasing short form: order by the primary key");
	c = &p->checks[16];
	ok(c->kind == CHECK_INCREASING && c->strictly && c->norder_by == 1 &&
	   text_is(c->order_by[0], "ts") && text_is(c->where, "b > 0"),
	   "increasing: strictly, order_by one column");
	policy_free(p);
}

static void
test_catalog_forms(void)
{
	Policy	   *p;

	valid_json("every new kind: normal form", catalog_yaml, catalog_normal);

	same("column_exists short and long forms",
		 ONE("column_exists: a"), ONE("column_exists: {column: a}"));
	same("increasing short and long forms",
		 ONE("increasing: a"), ONE("increasing: {column: a, strictly: false}"));
	same("increasing: order_by a column is a list of one",
		 ONE("increasing: {column: a, order_by: ts}"),
		 ONE("increasing: {column: a, order_by: [ts]}"));
	same("mean_between: a quoted number is the same number as written",
		 ONE("mean_between: {column: a, min: 1.10}"),
		 ONE("mean_between: {column: a, min: '1.10'}"));
	same("multicolumn_sum: a quoted equals",
		 ONE("multicolumn_sum: {columns: [a, b], equals: 3}"),
		 ONE("multicolumn_sum: {columns: [a, b], equals: \"3\"}"));
	same("pair_greater: defaults written out",
		 ONE("pair_greater: {a: x, b: w}"),
		 ONE("pair_greater: {b: w, a: x, or_equal: false, ignore_row_if: both_values_are_missing}"));
	same("multicolumn_sum: defaults written out",
		 ONE("multicolumn_sum: {columns: [a, b], equals: 0}"),
		 ONE("multicolumn_sum: {columns: [a, b], equals: 0, ignore_row_if: all_values_are_missing}"));
	same("column_count: min = max is not equals",
		 ONE("column_count: {min: 3, max: 3}"),
		 ONE("column_count: {max: 3, min: 03}"));

	p = valid("pair_greater: or_equal, either_value_is_missing, mostly, where",
			  ONE("pair_greater: {a: x, b: w, or_equal: true, ignore_row_if: either_value_is_missing, "
				  "mostly: 0.8, where: \"x > 0\"}"));
	ok(p && p->checks[0].or_equal &&
	   p->checks[0].ignore_row_if == IGNORE_ROW_IF_ANY_MISSING &&
	   p->checks[0].mostly == 0.8 && text_is(p->checks[0].where, "x > 0") &&
	   strstr(p->normalized_json, "\"or_equal\": true, \"severity\": \"error\", \"mostly\": 0.8, "
			  "\"where\": \"x > 0\", \"ignore_row_if\": \"either_value_is_missing\"}") != NULL,
	   "pair_greater: fields and normal form");
	policy_free(p);

	p = valid("pair_greater: ignore_row_if neither",
			  ONE("pair_greater: {a: x, b: w, ignore_row_if: neither}"));
	ok(p && p->checks[0].ignore_row_if == IGNORE_ROW_IF_NEVER &&
	   strstr(p->normalized_json, "\"ignore_row_if\": \"neither\"") != NULL,
	   "pair_greater: neither is IGNORE_ROW_IF_NEVER");
	policy_free(p);

	p = valid("multicolumn_sum: any_value_is_missing, where",
			  ONE("multicolumn_sum: {columns: [w, x, y], equals: -1.5e2, ignore_row_if: any_value_is_missing, "
				  "where: \"w < 1\"}"));
	ok(p && p->checks[0].ignore_row_if == IGNORE_ROW_IF_ANY_MISSING &&
	   text_is(p->checks[0].min.value.text, "-1.5e2") &&
	   strstr(p->normalized_json, "\"equals\": \"-1.5e2\", \"severity\": \"error\", "
			  "\"where\": \"w < 1\", \"ignore_row_if\": \"any_value_is_missing\"}") != NULL,
	   "multicolumn_sum: fields and normal form");
	policy_free(p);

	p = valid("multicolumn_sum: ignore_row_if never",
			  ONE("multicolumn_sum: {columns: [a], equals: 1, ignore_row_if: never}"));
	ok(p && p->checks[0].ignore_row_if == IGNORE_ROW_IF_NEVER &&
	   p->checks[0].ncolumns == 1, "multicolumn_sum: never, one column");
	policy_free(p);

	p = valid("increasing: order_by several columns",
			  ONE("increasing: {column: a, order_by: [day, seq], mostly: 0.9}"));
	ok(p && p->checks[0].norder_by == 2 && text_is(p->checks[0].order_by[1], "seq") &&
	   strstr(p->normalized_json, "\"strictly\": false, \"order_by\": [\"day\", \"seq\"], "
			  "\"severity\": \"error\", \"mostly\": 0.9}") != NULL,
	   "increasing: order_by list, mostly");
	policy_free(p);

	p = valid("column_count: min and max",
			  ONE("column_count: {min: 1, max: 1600, severity: warn, name: cc}"));
	ok(p && !p->checks[0].has_equals && text_is(p->checks[0].max.value.text, "1600") &&
	   strstr(p->normalized_json, "{\"column_count\": {\"name\": \"cc\", \"min\": 1, \"max\": 1600, "
			  "\"severity\": \"warn\"}}") != NULL,
	   "column_count: min and max as JSON numbers, no strict_*");
	policy_free(p);

	p = valid("column_exists: the largest position",
			  ONE("column_exists: {column: a, position: 2147483647}"));
	ok(p && p->checks[0].position == 2147483647, "column_exists: position INT_MAX");
	policy_free(p);

	p = valid("numeric bounds: min = max, and signs",
			  ONE("stdev_between: {column: a, min: +1.0, max: 1}"));
	ok(p && text_is(p->checks[0].min.value.text, "+1.0"),
	   "stdev_between: +1.0 stays as written; 1.0 <= 1");
	policy_free(p);

	p = valid("numeric bounds compare as numbers, not text",
			  ONE("mean_between: {column: a, min: 9, max: 10}"));
	policy_free(p);

	p = valid("value bounds are not compared here",
			  ONE("max_between: {column: s, min: b, max: a}"));
	policy_free(p);

	p = valid("distinct_count_between: min = max",
			  ONE("distinct_count_between: {column: a, min: 3, max: 3, strict_max: true}"));
	ok(p && p->checks[0].max.strict, "distinct_count_between: strict_max");
	policy_free(p);

	p = valid("tier medium counts the new kinds",
			  "tier: medium\nlineage: {job: j, inputs: []}\n"
			  "checks:\n  - column_exists: a\n  - mean_between: {column: a, max: 1, severity: critical}\n");
	ok(p && p->nchecks == 2, "tier medium: column_exists and mean_between count");
	policy_free(p);

	p = valid("the JSON normal form of every kind reads back", catalog_normal);
	ok(p && strcmp(p->normalized_json, catalog_normal) == 0,
	   "the normal form is a fixed point");
	policy_free(p);
}

static void
test_catalog_errors(void)
{
	/* the aggregate *_between kinds */
	error_hint("mostly on min_between", "checks:\n  - min_between: {column: a, min: 1, mostly: 0.9}\n",
			   POLICY_ERR_INVALID, "checks[0].min_between.mostly",
			   "mostly does not apply to min_between, an aggregate check",
			   "passes or fails as a whole");
	error_at("mostly on distinct_ratio_between: where",
			 "checks:\n  - distinct_ratio_between: {mostly: 0.9, column: a, min: 1}\n",
			 POLICY_ERR_INVALID, "checks[0].distinct_ratio_between.mostly",
			 "mostly does not apply to distinct_ratio_between, an aggregate check", 2, 30);
	error("mostly on sum_between comes before other errors",
		  ONE("sum_between: {mostly: 0.9}"),
		  POLICY_ERR_INVALID, "checks[0].sum_between.mostly", "does not apply");
	error("min_between without column", ONE("min_between: {min: 1}"),
		  POLICY_ERR_INVALID, "checks[0].min_between", "missing required field \"column\"");
	error("max_between without bound", ONE("max_between: {column: a}"),
		  POLICY_ERR_INVALID, "checks[0].max_between", "at least one of min or max is required");
	error("sum_between min null", ONE("sum_between: {column: a, min: ~}"),
		  POLICY_ERR_INVALID, "checks[0].sum_between.min", "null is not a value");
	error("median_between strict_max without max",
		  ONE("median_between: {column: a, min: 1, strict_max: true}"),
		  POLICY_ERR_INVALID, "checks[0].median_between.strict_max", "strict_max requires max");
	error("short form of mean_between", ONE("mean_between: a"),
		  POLICY_ERR_INVALID, "checks[0].mean_between", "expected a mapping with column and min or max");
	error("mean_between min text", ONE("mean_between: {column: a, min: abc}"),
		  POLICY_ERR_INVALID, "checks[0].mean_between.min", "expected a number");
	error("mean_between min null", ONE("mean_between: {column: a, min: null, max: 1}"),
		  POLICY_ERR_INVALID, "checks[0].mean_between.min", "expected a number");
	error("stdev_between max a list", ONE("stdev_between: {column: a, max: [1]}"),
		  POLICY_ERR_INVALID, "checks[0].stdev_between.max", "expected a number");
	error("stdev_between max .inf", ONE("stdev_between: {column: a, max: .inf}"),
		  POLICY_ERR_INVALID, "checks[0].stdev_between.max", "expected a number");
	error("median_between max hexadecimal", ONE("median_between: {column: a, max: 0x10}"),
		  POLICY_ERR_INVALID, "checks[0].median_between.max", "expected a number");
	error("distinct_ratio_between quoted text", ONE("distinct_ratio_between: {column: a, max: 'half'}"),
		  POLICY_ERR_INVALID, "checks[0].distinct_ratio_between.max", "expected a number");
	error_at("mean_between min greater than max",
			 "checks:\n  - mean_between: {column: a, min: 2, max: 1.5}\n",
			 POLICY_ERR_INVALID, "checks[0].mean_between", "min is greater than max", 2, 36);
	error("distinct_ratio_between min greater than max (as numbers)",
		  ONE("distinct_ratio_between: {column: a, min: 0.7, max: 0.30}"),
		  POLICY_ERR_INVALID, "checks[0].distinct_ratio_between", "min is greater than max");
	error("median_between 10 > 9 as numbers", ONE("median_between: {column: a, min: 10, max: 9}"),
		  POLICY_ERR_INVALID, "checks[0].median_between", "min is greater than max");
	error("distinct_count_between min greater than max",
		  ONE("distinct_count_between: {column: a, min: 5, max: 2}"),
		  POLICY_ERR_INVALID, "checks[0].distinct_count_between", "min is greater than max");
	error("distinct_count_between negative", ONE("distinct_count_between: {column: a, min: -1}"),
		  POLICY_ERR_INVALID, "checks[0].distinct_count_between.min", "expected a non-negative integer");
	error("distinct_count_between fraction", ONE("distinct_count_between: {column: a, max: 1.5}"),
		  POLICY_ERR_INVALID, "checks[0].distinct_count_between.max", "expected a non-negative integer");
	error("distinct_count_between no bound", ONE("distinct_count_between: {column: a, where: x}"),
		  POLICY_ERR_INVALID, "checks[0].distinct_count_between", "at least one of min or max");
	error("mostly on row_count", ONE("row_count: {min: 1, mostly: 0.5}"),
		  POLICY_ERR_INVALID, "checks[0].row_count.mostly",
		  "mostly does not apply to row_count, an aggregate check");

	/* column_count */
	error_hint("mostly on column_count", ONE("column_count: {equals: 3, mostly: 0.5}"),
			   POLICY_ERR_INVALID, "checks[0].column_count.mostly",
			   "mostly does not apply to column_count, a check of the table's columns",
			   "passes or fails as a whole");
	error_hint("where on column_count", ONE("column_count: {equals: 3, where: \"a > 0\"}"),
			   POLICY_ERR_INVALID, "checks[0].column_count", "unknown field \"where\"",
			   "Allowed fields are: min, max, equals, name, severity.");
	error("column_count with a column", ONE("column_count: {column: a, min: 1}"),
		  POLICY_ERR_INVALID, "checks[0].column_count", "unknown field \"column\"");
	error("column_count no bound", ONE("column_count: {name: cc}"),
		  POLICY_ERR_INVALID, "checks[0].column_count", "at least one of min, max or equals is required");
	error("column_count min greater than max", ONE("column_count: {min: 4, max: 3}"),
		  POLICY_ERR_INVALID, "checks[0].column_count", "min is greater than max");
	error("column_count equals with max", ONE("column_count: {equals: 3, max: 3}"),
		  POLICY_ERR_INVALID, "checks[0].column_count.equals", "equals excludes min and max");
	error("column_count equals text", ONE("column_count: {equals: hello}"),
		  POLICY_ERR_INVALID, "checks[0].column_count.equals", "expected a non-negative integer");
	error("column_count strict_min", ONE("column_count: {min: 1, strict_min: true}"),
		  POLICY_ERR_INVALID, "checks[0].column_count", "unknown field \"strict_min\"");
	error("short form of column_count", ONE("column_count: 3"),
		  POLICY_ERR_INVALID, "checks[0].column_count", "expected a mapping with min, max or equals");

	/* columns_in_order */
	error("columns_in_order without columns", ONE("columns_in_order: {name: o}"),
		  POLICY_ERR_INVALID, "checks[0].columns_in_order", "missing required field \"columns\"");
	error("columns_in_order empty", ONE("columns_in_order: {columns: []}"),
		  POLICY_ERR_INVALID, "checks[0].columns_in_order.columns", "expected at least one column");
	error("columns_in_order a string", ONE("columns_in_order: {columns: a}"),
		  POLICY_ERR_INVALID, "checks[0].columns_in_order.columns", "expected a list of column names");
	error("columns_in_order repeated", ONE("columns_in_order: {columns: [a, b, a]}"),
		  POLICY_ERR_INVALID, "checks[0].columns_in_order.columns[2]", "duplicate column \"a\"");
	error("columns_in_order empty name", ONE("columns_in_order: {columns: [a, '']}"),
		  POLICY_ERR_INVALID, "checks[0].columns_in_order.columns[1]", "must not be empty");
	error("columns_in_order where", ONE("columns_in_order: {columns: [a], where: x}"),
		  POLICY_ERR_INVALID, "checks[0].columns_in_order", "unknown field \"where\"");
	error("columns_in_order mostly", ONE("columns_in_order: {columns: [a], mostly: 0.5}"),
		  POLICY_ERR_INVALID, "checks[0].columns_in_order.mostly",
		  "mostly does not apply to columns_in_order");
	error("columns_in_order ignore_row_if", ONE("columns_in_order: {columns: [a], ignore_row_if: never}"),
		  POLICY_ERR_INVALID, "checks[0].columns_in_order", "unknown field \"ignore_row_if\"");
	error("short form of columns_in_order", ONE("columns_in_order: [a, b]"),
		  POLICY_ERR_INVALID, "checks[0].columns_in_order", "expected a mapping with columns");

	/* column_exists */
	error_hint("column_exists position 0", ONE("column_exists: {column: a, position: 0}"),
			   POLICY_ERR_INVALID, "checks[0].column_exists.position",
			   "position must be at least 1", "1-based");
	error("column_exists position negative", ONE("column_exists: {column: a, position: -1}"),
		  POLICY_ERR_INVALID, "checks[0].column_exists.position", "expected a positive integer");
	error("column_exists position fraction", ONE("column_exists: {column: a, position: 1.5}"),
		  POLICY_ERR_INVALID, "checks[0].column_exists.position", "expected a positive integer");
	error("column_exists position quoted", ONE("column_exists: {column: a, position: '2'}"),
		  POLICY_ERR_INVALID, "checks[0].column_exists.position", "expected a positive integer");
	error("column_exists position null", ONE("column_exists: {column: a, position: }"),
		  POLICY_ERR_INVALID, "checks[0].column_exists.position", "expected a positive integer");
	error("column_exists position overflow", ONE("column_exists: {column: a, position: 2147483648}"),
		  POLICY_ERR_INVALID, "checks[0].column_exists.position", "integer out of range");
	error("column_exists without column", ONE("column_exists: {position: 1}"),
		  POLICY_ERR_INVALID, "checks[0].column_exists", "missing required field \"column\"");
	error("column_exists mostly", ONE("column_exists: {column: a, mostly: 1}"),
		  POLICY_ERR_INVALID, "checks[0].column_exists.mostly",
		  "mostly does not apply to column_exists, a check of the table's columns");
	error("column_exists where", ONE("column_exists: {column: a, where: x}"),
		  POLICY_ERR_INVALID, "checks[0].column_exists", "unknown field \"where\"");
	error("null short form of column_exists", ONE("column_exists:"),
		  POLICY_ERR_INVALID, "checks[0].column_exists", "expected a column name or a mapping");

	/* column_type */
	error("column_type without type", ONE("column_type: {column: a}"),
		  POLICY_ERR_INVALID, "checks[0].column_type", "missing required field \"type\"");
	error("column_type without column", ONE("column_type: {type: int}"),
		  POLICY_ERR_INVALID, "checks[0].column_type", "missing required field \"column\"");
	error("column_type empty type", ONE("column_type: {column: a, type: ''}"),
		  POLICY_ERR_INVALID, "checks[0].column_type.type", "must not be empty");
	error("column_type type a list", ONE("column_type: {column: a, type: [int, bigint]}"),
		  POLICY_ERR_INVALID, "checks[0].column_type.type", "expected a string");
	error("column_type mostly", ONE("column_type: {column: a, type: int, mostly: 0.9}"),
		  POLICY_ERR_INVALID, "checks[0].column_type.mostly", "mostly does not apply to column_type");
	error("short form of column_type", ONE("column_type: a"),
		  POLICY_ERR_INVALID, "checks[0].column_type", "expected a mapping with column and type");

	/* pair_greater */
	error("pair_greater without a", ONE("pair_greater: {b: w}"),
		  POLICY_ERR_INVALID, "checks[0].pair_greater", "missing required field \"a\"");
	error("pair_greater without b", ONE("pair_greater: {a: x}"),
		  POLICY_ERR_INVALID, "checks[0].pair_greater", "missing required field \"b\"");
	error("pair_greater a empty", ONE("pair_greater: {a: '', b: w}"),
		  POLICY_ERR_INVALID, "checks[0].pair_greater.a", "must not be empty");
	error("pair_greater b a list", ONE("pair_greater: {a: x, b: [w]}"),
		  POLICY_ERR_INVALID, "checks[0].pair_greater.b", "expected a string");
	error("pair_greater a = b", ONE("pair_greater: {a: x, b: x}"),
		  POLICY_ERR_INVALID, "checks[0].pair_greater.b", "a and b must be different columns");
	error("pair_greater or_equal yes", ONE("pair_greater: {a: x, b: w, or_equal: yes}"),
		  POLICY_ERR_INVALID, "checks[0].pair_greater.or_equal", "expected true or false");
	error("pair_greater ignore_row_if of columns",
		  ONE("pair_greater: {a: x, b: w, ignore_row_if: any_value_is_missing}"),
		  POLICY_ERR_INVALID, "checks[0].pair_greater.ignore_row_if",
		  "expected neither, both_values_are_missing or either_value_is_missing");
	error("pair_greater with column", ONE("pair_greater: {a: x, b: w, column: c}"),
		  POLICY_ERR_INVALID, "checks[0].pair_greater", "unknown field \"column\"");
	error("short form of pair_greater", ONE("pair_greater: x"),
		  POLICY_ERR_INVALID, "checks[0].pair_greater", "expected a mapping with a and b");
	error("pair_greater mostly 0", ONE("pair_greater: {a: x, b: w, mostly: 0}"),
		  POLICY_ERR_INVALID, "checks[0].pair_greater.mostly", "must be greater than 0");

	/* multicolumn_sum */
	error("multicolumn_sum without equals", ONE("multicolumn_sum: {columns: [a, b]}"),
		  POLICY_ERR_INVALID, "checks[0].multicolumn_sum", "missing required field \"equals\"");
	error("multicolumn_sum without columns", ONE("multicolumn_sum: {equals: 1}"),
		  POLICY_ERR_INVALID, "checks[0].multicolumn_sum", "missing required field \"columns\"");
	error("multicolumn_sum empty columns", ONE("multicolumn_sum: {columns: [], equals: 1}"),
		  POLICY_ERR_INVALID, "checks[0].multicolumn_sum.columns", "expected at least one column");
	error("multicolumn_sum repeated column", ONE("multicolumn_sum: {columns: [a, a], equals: 1}"),
		  POLICY_ERR_INVALID, "checks[0].multicolumn_sum.columns[1]", "duplicate column \"a\"");
	error("multicolumn_sum equals text", ONE("multicolumn_sum: {columns: [a, b], equals: one}"),
		  POLICY_ERR_INVALID, "checks[0].multicolumn_sum.equals", "expected a number");
	error("multicolumn_sum equals null", ONE("multicolumn_sum: {columns: [a, b], equals: ~}"),
		  POLICY_ERR_INVALID, "checks[0].multicolumn_sum.equals", "expected a number");
	error("multicolumn_sum min", ONE("multicolumn_sum: {columns: [a, b], equals: 1, min: 0}"),
		  POLICY_ERR_INVALID, "checks[0].multicolumn_sum", "unknown field \"min\"");
	error("multicolumn_sum ignore_row_if of pairs",
		  ONE("multicolumn_sum: {columns: [a, b], equals: 1, ignore_row_if: either_value_is_missing}"),
		  POLICY_ERR_INVALID, "checks[0].multicolumn_sum.ignore_row_if",
		  "expected never, all_values_are_missing or any_value_is_missing");
	error("short form of multicolumn_sum", ONE("multicolumn_sum: [a, b]"),
		  POLICY_ERR_INVALID, "checks[0].multicolumn_sum", "expected a mapping with columns and equals");

	/* increasing */
	error("increasing without column", ONE("increasing: {strictly: true}"),
		  POLICY_ERR_INVALID, "checks[0].increasing", "missing required field \"column\"");
	error("increasing strictly 1", ONE("increasing: {column: a, strictly: 1}"),
		  POLICY_ERR_INVALID, "checks[0].increasing.strictly", "expected true or false");
	error("increasing order_by empty list", ONE("increasing: {column: a, order_by: []}"),
		  POLICY_ERR_INVALID, "checks[0].increasing.order_by", "expected at least one column");
	error("increasing order_by null", ONE("increasing: {column: a, order_by: ~}"),
		  POLICY_ERR_INVALID, "checks[0].increasing.order_by",
		  "expected a column name or a list of column names");
	error("increasing order_by a mapping", ONE("increasing: {column: a, order_by: {ts: asc}}"),
		  POLICY_ERR_INVALID, "checks[0].increasing.order_by",
		  "expected a column name or a list of column names");
	error("increasing order_by empty name", ONE("increasing: {column: a, order_by: ''}"),
		  POLICY_ERR_INVALID, "checks[0].increasing.order_by", "must not be empty");
	error("increasing order_by repeated", ONE("increasing: {column: a, order_by: [d, t, d]}"),
		  POLICY_ERR_INVALID, "checks[0].increasing.order_by[2]", "duplicate column \"d\"");
	error("increasing order_by nested list", ONE("increasing: {column: a, order_by: [[d]]}"),
		  POLICY_ERR_INVALID, "checks[0].increasing.order_by[0]", "expected a string");
	error("list short form of increasing", ONE("increasing: [a]"),
		  POLICY_ERR_INVALID, "checks[0].increasing", "expected a column name or a mapping");

	/* names */
	error_hint("duplicate default pair_greater names",
			   "checks:\n  - pair_greater: {a: x, b: w}\n  - pair_greater: {a: x, b: w, or_equal: true}\n",
			   POLICY_ERR_INVALID, "checks[1].pair_greater",
			   "duplicate check name \"pair_greater(x,w)\"", "checks[0].pair_greater");
	error("duplicate default column_count names",
		  "checks:\n  - column_count: {min: 1}\n  - column_count: {max: 5}\n",
		  POLICY_ERR_INVALID, "checks[1].column_count", "duplicate check name \"column_count\"");
}

#define FAIRNESS_SECTION \
	"fairness: {protected: [race], label: y, prediction: p, " \
	"limits: {disparate_impact: {min: 0.8}}}\n"

static void
test_tiers(void)
{
	Policy	   *p;

	error_at("tier medium without checks",
			 "tier: medium\nlineage: {job: j, inputs: []}\n",
			 POLICY_ERR_INVALID, "tier",
			 "tier medium requires at least one check of severity error or critical", 1, 7);
	error_at("tier medium with only warn checks",
			 "tier: medium\nlineage: {job: j, inputs: []}\nchecks:\n  - not_null: {column: a, severity: warn}\n",
			 POLICY_ERR_INVALID, "checks",
			 "tier medium requires at least one check of severity error or critical", 4, 3);
	error("tier medium with empty checks",
		  "tier: medium\nchecks: []\n", POLICY_ERR_INVALID, "checks",
		  "requires at least one check");
	error("tier medium without lineage", "tier: medium\nchecks: [{not_null: a}]\n",
		  POLICY_ERR_INVALID, "tier", "tier medium requires a lineage section");
	error("tier high without lineage", "tier: high\nchecks: [{not_null: a}]\n",
		  POLICY_ERR_INVALID, "tier", "tier high requires a lineage section");
	error("tier high missing all three sections",
		  "tier: high\nchecks: [{not_null: a}]\nlineage: {job: j, inputs: []}\n",
		  POLICY_ERR_INVALID, "tier",
		  "tier high requires the fairness, robustness and explainability sections");
	error("tier high missing two sections",
		  "tier: high\nchecks: [{not_null: a}]\nlineage: {job: j, inputs: []}\n"
		  FAIRNESS_SECTION,
		  POLICY_ERR_INVALID, "tier",
		  "tier high requires the robustness and explainability sections");
	error("tier high missing one section",
		  "tier: high\nchecks: [{not_null: a}]\nlineage: {job: j, inputs: []}\n"
		  FAIRNESS_SECTION "explainability: {model_card: x, features: [a]}\n",
		  POLICY_ERR_INVALID, "tier", "tier high requires the robustness section");
	p = valid("tier high with all sections",
			  "tier: high\nchecks: [{not_null: a}]\nlineage: {job: j, inputs: []}\n"
			  "robustness: {columns: [a], psi_max: 0.25}\n" FAIRNESS_SECTION
			  "explainability: {model_card: x, features: [a]}\n");
	ok(p && p->tier == TIER_HIGH && p->has_fairness && p->has_explainability &&
	   p->has_robustness, "tier high: the three sections read");
	policy_free(p);
	p = valid("fairness at tier low",
			  "tier: low\nchecks: [{not_null: a}]\n" FAIRNESS_SECTION);
	ok(p && p->has_fairness, "fairness may be declared at any tier");
	policy_free(p);
	error("robustness without columns", "checks: [{not_null: a}]\nrobustness: {psi_max: 0.2}\n",
		  POLICY_ERR_INVALID, "robustness", "missing required field \"columns\"");
	error("fields are read in order",
		  "tier: low\nmin_score: 2\n" FAIRNESS_SECTION,
		  POLICY_ERR_INVALID, "min_score", "must be between 0 and 1");
}

static void
test_fairness(void)
{
	Policy	   *p;

	p = valid("fairness: every field",
			  "fairness:\n"
			  "  protected: [race, [race, sex]]\n"
			  "  label: two_year_recid\n"
			  "  prediction: \"decile_score >= 5\"\n"
			  "  reference_group: {race: Caucasian, sex: 1}\n"
			  "  min_group_size: 30\n"
			  "  limits: {disparate_impact: {min: 0.8}, "
			  "false_positive_rate_difference: {max: 0.1}}\n");
	ok(p && p->has_fairness && p->nfairness_protected == 2 &&
	   p->fairness_protected[0].ncolumns == 1 &&
	   p->fairness_protected[1].ncolumns == 2 &&
	   strcmp(p->fairness_protected[1].columns[1], "sex") == 0 &&
	   strcmp(p->fairness_label, "two_year_recid") == 0 &&
	   strcmp(p->fairness_prediction, "decile_score >= 5") == 0 &&
	   p->nreference == 2 && strcmp(p->reference_values[1], "1") == 0 &&
	   p->min_group_size == 30 &&
	   p->fairness_limits[FAIRNESS_DISPARATE_IMPACT].has_min &&
	   p->fairness_limits[FAIRNESS_DISPARATE_IMPACT].min == 0.8 &&
	   !p->fairness_limits[FAIRNESS_DISPARATE_IMPACT].has_max &&
	   p->fairness_limits[FAIRNESS_FALSE_POSITIVE_RATE_DIFFERENCE].max == 0.1,
	   "fairness: protected entries, reference group, limits");
	if (p)
		ok(strstr(p->normalized_json,
				  "\"fairness\": {\"protected\": [[\"race\"], [\"race\", \"sex\"]], "
				  "\"label\": \"two_year_recid\", \"prediction\": \"decile_score >= 5\", "
				  "\"reference_group\": {\"race\": \"Caucasian\", \"sex\": \"1\"}, "
				  "\"min_group_size\": 30, \"limits\": {\"disparate_impact\": "
				  "{\"min\": 0.8, \"max\": null}, \"false_positive_rate_difference\": "
				  "{\"min\": null, \"max\": 0.1}}}") != NULL,
		   "fairness: normal form");
	policy_free(p);
	same("fairness: the normal form reads back",
		 "fairness: {protected: [a], label: y, prediction: p, "
		 "limits: {equalized_odds_difference: {max: 0.2}}}\n",
		 "fairness: {protected: [[a]], label: y, prediction: p, reference_group: null, "
		 "min_group_size: 1, limits: {equalized_odds_difference: {min: null, max: 0.2}}}\n");

	error("fairness: no protected", "fairness: {label: y, prediction: p, "
		  "limits: {disparate_impact: {min: 0.8}}}\n",
		  POLICY_ERR_INVALID, "fairness", "missing required field \"protected\"");
	error("fairness: empty protected", "fairness: {protected: [], label: y, prediction: p, "
		  "limits: {disparate_impact: {min: 0.8}}}\n",
		  POLICY_ERR_INVALID, "fairness.protected", "expected a non-empty list");
	error("fairness: duplicate protected entry",
		  "fairness: {protected: [[a, b], [a, b]], label: y, prediction: p, "
		  "limits: {disparate_impact: {min: 0.8}}}\n",
		  POLICY_ERR_INVALID, "fairness.protected[1]", "duplicate protected entry");
	error("fairness: no limits", "fairness: {protected: [a], label: y, prediction: p}\n",
		  POLICY_ERR_INVALID, "fairness", "missing required field \"limits\"");
	error("fairness: unknown metric", "fairness: {protected: [a], label: y, prediction: p, "
		  "limits: {accuracy: {min: 0.8}}}\n",
		  POLICY_ERR_INVALID, "fairness.limits.accuracy", "unknown metric \"accuracy\"");
	error("fairness: a limit without a bound", "fairness: {protected: [a], label: y, "
		  "prediction: p, limits: {disparate_impact: {}}}\n",
		  POLICY_ERR_INVALID, "fairness.limits.disparate_impact", "expected min or max");
	error("fairness: min above max", "fairness: {protected: [a], label: y, "
		  "prediction: p, limits: {disparate_impact: {min: 0.9, max: 0.8}}}\n",
		  POLICY_ERR_INVALID, "fairness.limits.disparate_impact", "min is greater than max");
	error("fairness: reference group of an unprotected column",
		  "fairness: {protected: [a], label: y, prediction: p, reference_group: {b: x}, "
		  "limits: {disparate_impact: {min: 0.8}}}\n",
		  POLICY_ERR_INVALID, "fairness.reference_group.b", "\"b\" is not a protected column");
	error("fairness: min_group_size 0",
		  "fairness: {protected: [a], label: y, prediction: p, min_group_size: 0, "
		  "limits: {disparate_impact: {min: 0.8}}}\n",
		  POLICY_ERR_INVALID, "fairness.min_group_size", "must be between 1 and");

	p = valid("explainability: defaults",
			  "explainability: {model_card: \"https://example.com/card\", features: [age, sex], "
			  "prediction: \"score > 3\"}\n");
	ok(p && p->has_explainability && p->nexplain_features == 2 &&
	   p->min_features_explained == 1 && p->min_information == 0.001 &&
	   strcmp(p->explain_prediction, "score > 3") == 0,
	   "explainability: features and defaults");
	policy_free(p);
	error("explainability: no model card",
		  "explainability: {features: [a], prediction: p}\n",
		  POLICY_ERR_INVALID, "explainability", "missing required field \"model_card\"");
	error("explainability: empty model card",
		  "explainability: {model_card: '', features: [a], prediction: p}\n",
		  POLICY_ERR_INVALID, "explainability.model_card", "must not be empty");
	error("explainability: no prediction anywhere",
		  "explainability: {model_card: x, features: [a]}\n",
		  POLICY_ERR_INVALID, "explainability", "explainability needs a prediction");
	error("explainability: more features to explain than listed",
		  "explainability: {model_card: x, features: [a], prediction: p, "
		  "min_features_explained: 2}\n",
		  POLICY_ERR_INVALID, "explainability.min_features_explained", "must not exceed");
}

static void
test_robustness(void)
{
	Policy	   *p;

	p = valid("robustness at any tier",
			  "tier: low\nrobustness: {columns: [a, \"B c\"], psi_max: 0.25, "
			  "null_rate_change_max: 0.05}\n");
	ok(p && p->has_robustness && p->nrobustness_columns == 2 &&
	   strcmp(p->robustness_columns[1], "B c") == 0 &&
	   strcmp(p->robustness_baseline, "last_certified") == 0 &&
	   p->has_psi_max && p->psi_max == 0.25 && p->has_null_rate_change_max &&
	   p->null_rate_change_max == 0.05 && !p->has_row_count_change_max,
	   "robustness: columns, limits and the default baseline");
	if (p)
		ok(strstr(p->normalized_json,
				  "\"robustness\": {\"baseline\": \"last_certified\", \"columns\": [\"a\", \"B c\"], "
				  "\"psi_max\": 0.25, \"null_rate_change_max\": 0.05, "
				  "\"row_count_change_max\": null}") != NULL,
		   "robustness: normal form");
	policy_free(p);
	same("robustness: the normal form reads back",
		 "robustness: {columns: [x], row_count_change_max: 0.5}\n",
		 "robustness: {baseline: last_certified, columns: [x], psi_max: null, "
		 "null_rate_change_max: null, row_count_change_max: 0.5}\n");

	error("robustness: no limit", "robustness: {columns: [x]}\n",
		  POLICY_ERR_INVALID, "robustness", "robustness needs at least one limit");
	error("robustness: empty columns", "robustness: {columns: [], psi_max: 1}\n",
		  POLICY_ERR_INVALID, "robustness.columns", "expected a non-empty list");
	error("robustness: duplicate column", "robustness: {columns: [x, x], psi_max: 1}\n",
		  POLICY_ERR_INVALID, "robustness.columns[1]", "duplicate column \"x\"");
	error("robustness: negative psi_max", "robustness: {columns: [x], psi_max: -0.1}\n",
		  POLICY_ERR_INVALID, "robustness.psi_max", "must not be negative");
	error("robustness: a rate above 1",
		  "robustness: {columns: [x], null_rate_change_max: 1.5}\n",
		  POLICY_ERR_INVALID, "robustness.null_rate_change_max", "must be between 0 and 1");
	error("robustness: psi_max not a number", "robustness: {columns: [x], psi_max: lots}\n",
		  POLICY_ERR_INVALID, "robustness.psi_max", "expected a number");
	error("robustness: unknown field", "robustness: {columns: [x], psi_max: 1, bins: 10}\n",
		  POLICY_ERR_INVALID, "robustness", "unknown field \"bins\"");
	error("robustness: a reference table baseline is not supported yet",
		  "robustness: {baseline: public.reference, columns: [x], psi_max: 1}\n",
		  POLICY_ERR_UNSUPPORTED, "robustness.baseline", "only \"last_certified\"");
}

static void
test_names(void)
{
	ok(strcmp(policy_tier_name(TIER_HIGH), "high") == 0 &&
	   policy_tier_name(TIER_NONE) == NULL &&
	   strcmp(policy_severity_name(SEVERITY_CRITICAL), "critical") == 0 &&
	   strcmp(policy_check_kind_name(CHECK_SQL), "sql") == 0 &&
	   strcmp(policy_check_kind_name(CHECK_LENGTH_BETWEEN), "length_between") == 0 &&
	   policy_check_kind_name(CHECK_KIND_COUNT) == NULL,
	   "name functions");
	ok(CHECK_SQL == 11 && CHECK_INCREASING == 26 && CHECK_KIND_COUNT == 27 &&
	   strcmp(policy_check_kind_name(CHECK_MIN_BETWEEN), "min_between") == 0 &&
	   strcmp(policy_check_kind_name(CHECK_DISTINCT_RATIO_BETWEEN),
			  "distinct_ratio_between") == 0 &&
	   strcmp(policy_check_kind_name(CHECK_COLUMNS_IN_ORDER), "columns_in_order") == 0 &&
	   strcmp(policy_check_kind_name(CHECK_INCREASING), "increasing") == 0,
	   "the new kinds come after the old ones, with their names");
	ok(strcmp(policy_ignore_row_if_name(CHECK_UNIQUE, IGNORE_ROW_IF_NEVER), "never") == 0 &&
	   strcmp(policy_ignore_row_if_name(CHECK_MULTICOLUMN_SUM, IGNORE_ROW_IF_ANY_MISSING),
			  "any_value_is_missing") == 0 &&
	   strcmp(policy_ignore_row_if_name(CHECK_PAIR_GREATER, IGNORE_ROW_IF_NEVER), "neither") == 0 &&
	   strcmp(policy_ignore_row_if_name(CHECK_PAIR_GREATER, IGNORE_ROW_IF_ALL_MISSING),
			  "both_values_are_missing") == 0 &&
	   strcmp(policy_ignore_row_if_name(CHECK_PAIR_GREATER, IGNORE_ROW_IF_ANY_MISSING),
			  "either_value_is_missing") == 0 &&
	   policy_ignore_row_if_name(CHECK_UNIQUE, (PolicyIgnoreRowIf) 3) == NULL,
	   "policy_ignore_row_if_name");
}

int
main(void)
{
	test_design_example();
	test_check_forms();
	test_values_as_written();
	test_top_level();
	test_syntax_errors();
	test_limits();
	test_mappings();
	test_field_errors();
	test_check_errors();
	test_catalog_fields();
	test_catalog_forms();
	test_catalog_errors();
	test_tiers();
	test_robustness();
	test_fairness();
	test_names();
	printf("1..%d\n", ntests);
	if (nfailed > 0)
		diag("%d of %d tests failed", nfailed, ntests);
	return nfailed > 0 ? 1 : 0;
}
