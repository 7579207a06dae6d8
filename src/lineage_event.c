/*-------------------------------------------------------------------------
 *
 * lineage_event.c
 *	  OpenLineage 2-0-2 events of a certification run, built with json-c:
 *	  a START RunEvent, then COMPLETE (certified) or FAIL (with an
 *	  errorMessage facet naming what failed), and a JobEvent of the
 *	  pipeline job the policy declares.  The dataset is the run's input,
 *	  carrying the schema, dataQualityMetrics and dataQualityAssertions
 *	  facets (in inputFacets, mirrored into facets as dbt does).
 *
 *	  No JSON null is ever written, nor a NaN or an infinity (not JSON):
 *	  a value that is missing or not finite is left out.  Every json-c
 *	  object hangs from one root as soon as it is made, and the root is
 *	  freed in PG_FINALLY, so an error leaks nothing.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "lineage_event.h"

#define OL_SPEC		"https://openlineage.io/spec/2-0-2/OpenLineage.json"
#define OL_FACETS	"https://openlineage.io/spec/facets/"

/* a facet's _schemaURL: <file $id>#/$defs/<name> */
#define FACET_URL(version, name) OL_FACETS version "/" name ".json#/$defs/" name

typedef struct Build
{
	json_object *root;
	json_object *profile;		/* the parsed profile, or NULL */
	char	   *text;			/* the event, serialized (palloc'd) */
} Build;

/* ---- json-c, failing loudly instead of writing a null ---- */

static void
out_of_memory(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_OUT_OF_MEMORY),
			 errmsg("out of memory while building a lineage event")));
}

/* Attach value (freshly made) to obj; on failure value is freed. */
static void
put(json_object *obj, const char *key, json_object *value)
{
	if (value == NULL)
		out_of_memory();
	if (json_object_object_add(obj, key, value) != 0)
	{
		json_object_put(value);
		out_of_memory();
	}
}

static void
push(json_object *array, json_object *value)
{
	if (value == NULL)
		out_of_memory();
	if (json_object_array_add(array, value) != 0)
	{
		json_object_put(value);
		out_of_memory();
	}
}

static json_object *
child_object(json_object *parent, const char *key)
{
	json_object *obj = json_object_new_object();

	put(parent, key, obj);
	return obj;
}

static json_object *
child_array(json_object *parent, const char *key)
{
	json_object *array = json_object_new_array();

	put(parent, key, array);
	return array;
}

static json_object *
array_object(json_object *array)
{
	json_object *obj = json_object_new_object();

	push(array, obj);
	return obj;
}

static void
put_string(json_object *obj, const char *key, const char *value)
{
	if (value != NULL)
		put(obj, key, json_object_new_string(value));
}

static void
put_int(json_object *obj, const char *key, int64 value)
{
	put(obj, key, json_object_new_int64(value));
}

static void
put_double(json_object *obj, const char *key, double value)
{
	if (isfinite(value))
		put(obj, key, json_object_new_double(value));
}

static void
put_bool(json_object *obj, const char *key, bool value)
{
	put(obj, key, json_object_new_boolean(value));
}

static json_object *
facet(json_object *facets, const char *key, const char *schema_url)
{
	json_object *f = child_object(facets, key);

	put_string(f, "_producer", LINEAGE_PRODUCER);
	put_string(f, "_schemaURL", schema_url);
	return f;
}

/* ---- reading the profile and check results (JSON text) ---- */

static json_object *
parse(const char *text)
{
	return text ? json_tokener_parse(text) : NULL;
}

static json_object *
field(json_object *obj, const char *key)
{
	json_object *value;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &value))
		return NULL;
	return value;
}

/* A finite number from a JSON number or a numeric string; false if none. */
static bool
number_of(json_object *value, double *result)
{
	const char *text;
	char	   *end;

	if (value == NULL)
		return false;
	if (json_object_is_type(value, json_type_int) ||
		json_object_is_type(value, json_type_double))
		*result = json_object_get_double(value);
	else if (json_object_is_type(value, json_type_string))
	{
		text = json_object_get_string(value);
		*result = strtod(text, &end);
		if (end == text || *end != '\0')
			return false;
	}
	else
		return false;
	return isfinite(*result);
}

static void
put_number_of(json_object *obj, const char *key, json_object *value)
{
	double		number;

	if (number_of(value, &number))
		put_double(obj, key, number);
}

static void
put_int_of(json_object *obj, const char *key, json_object *value)
{
	if (value != NULL && json_object_is_type(value, json_type_int))
		put_int(obj, key, json_object_get_int64(value));
}

/* The distinct estimate (HyperLogLog), never more than the values counted. */
static void
put_distinct_count(json_object *metrics, json_object *column)
{
	json_object *estimate = field(column, "distinct_estimate");
	json_object *count = field(column, "count");
	int64		n;

	if (estimate == NULL || !json_object_is_type(estimate, json_type_int))
		return;
	n = json_object_get_int64(estimate);
	if (count != NULL && json_object_is_type(count, json_type_int))
		n = Min(n, json_object_get_int64(count));
	put_int(metrics, "distinctCount", n);
}

/* A check's expectation, unless it has none to tell ({}). */
static void
put_expected(json_object *obj, const char *expected)
{
	if (expected != NULL && strcmp(expected, "{}") != 0)
		put_string(obj, "expected", expected);
}

static const LineageColumn *
find_column(const LineageRun *run, const char *name)
{
	int			i;

	for (i = 0; i < run->ncolumns; i++)
		if (strcmp(run->columns[i].name, name) == 0)
			return &run->columns[i];
	return NULL;
}

/* A value as a string: strings as they are, anything else as JSON. */
static const char *
text_of(json_object *value)
{
	if (value == NULL)
		return NULL;
	if (json_object_is_type(value, json_type_string))
		return json_object_get_string(value);
	return json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN |
										  JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* ---- facets ---- */

static void
schema_facet(json_object *facets, const LineageRun *run)
{
	json_object *fields = child_array(facet(facets, "schema",
											FACET_URL("1-2-0", "SchemaDatasetFacet")),
									  "fields");
	int			i;

	for (i = 0; i < run->ncolumns; i++)
	{
		json_object *f = array_object(fields);

		put_string(f, "name", run->columns[i].name);
		put_string(f, "type", run->columns[i].type);
		put_int(f, "ordinal_position", i + 1);
	}
}

static void
datasource_facet(json_object *facets, const LineageRun *run)
{
	json_object *f = facet(facets, "dataSource",
						   FACET_URL("1-0-1", "DatasourceDatasetFacet"));

	put_string(f, "name", run->dataset.namespace);
	put_string(f, "uri", run->dataset.namespace);
}

static void
column_metrics(json_object *metrics, const LineageRun *run, json_object *column)
{
	const char *name = text_of(field(column, "name"));
	const LineageColumn *col = name ? find_column(run, name) : NULL;
	json_object *m;

	if (name == NULL)
		return;
	m = child_object(metrics, name);
	put_int_of(m, "nullCount", field(column, "null_count"));
	put_distinct_count(m, column);
	put_int_of(m, "count", field(column, "count"));
	if (col == NULL || !col->is_number)
		return;
	put_number_of(m, "min", field(column, "min"));
	put_number_of(m, "max", field(column, "max"));
	put_number_of(m, "sum", field(column, "sum"));
}

static void
metrics_facet(Build *b, json_object *facets, const LineageRun *run,
			  const char *schema_url)
{
	json_object *f = facet(facets, "dataQualityMetrics", schema_url);
	json_object *metrics = child_object(f, "columnMetrics");
	json_object *columns = field(b->profile, "columns");
	size_t		i;

	put_int_of(f, "rowCount", field(b->profile, "row_count"));
	if (columns == NULL || !json_object_is_type(columns, json_type_array))
		return;
	for (i = 0; i < json_object_array_length(columns); i++)
		column_metrics(metrics, run, json_object_array_get_idx(columns, i));
}

/* What a check saw: its observed value, else its count of failing rows. */
static void
put_actual(json_object *obj, const LineageAssertion *a)
{
	json_object *observed = parse(a->observed);
	json_object *value = field(observed, "observed_value");

	PG_TRY();
	{
		if (value != NULL && !json_object_is_type(value, json_type_null))
			put_string(obj, "actual", text_of(value));
		else if (a->has_counts)
			put_string(obj, "actual", psprintf(INT64_FORMAT, a->unexpected_count));
	}
	PG_FINALLY();
	{
		if (observed)
			json_object_put(observed);
	}
	PG_END_TRY();
}

static void
assertions_facet(json_object *facets, const LineageRun *run)
{
	json_object *list = child_array(facet(facets, "dataQualityAssertions",
										  FACET_URL("1-1-0", "DataQualityAssertionsDatasetFacet")),
									"assertions");
	int			i;

	for (i = 0; i < run->nassertions; i++)
	{
		const LineageAssertion *a = &run->assertions[i];
		json_object *item = array_object(list);

		put_string(item, "assertion", a->kind);
		put_bool(item, "success", a->success);
		put_string(item, "column", a->column);
		put_string(item, "severity", a->severity);
		put_string(item, "name", a->name);
		put_expected(item, a->expected);
		put_actual(item, a);
	}
}

/* The dataset, as the certification job's input. */
static void
dataset_input(Build *b, json_object *inputs, const LineageRun *run, bool with_results)
{
	json_object *input = array_object(inputs);
	json_object *facets;
	json_object *input_facets;

	put_string(input, "namespace", run->dataset.namespace);
	put_string(input, "name", run->dataset.name);
	facets = child_object(input, "facets");
	schema_facet(facets, run);
	datasource_facet(facets, run);
	if (!with_results)
		return;
	input_facets = child_object(input, "inputFacets");
	metrics_facet(b, input_facets, run,
				  FACET_URL("1-0-3", "DataQualityMetricsInputDatasetFacet"));
	assertions_facet(input_facets, run);
	metrics_facet(b, facets, run, FACET_URL("1-0-0", "DataQualityMetricsDatasetFacet"));
	assertions_facet(facets, run);
}

static void
job_type_facet(json_object *facets, const char *job_type)
{
	json_object *f = facet(facets, "jobType", FACET_URL("2-0-4", "JobTypeJobFacet"));

	put_string(f, "processingType", "BATCH");
	put_string(f, "integration", "DTECERT");
	put_string(f, "jobType", job_type);
}

static void
test_facet(json_object *facets, const LineageRun *run)
{
	json_object *tests = child_array(facet(facets, "test",
										   FACET_URL("1-0-1", "TestRunFacet")),
									 "tests");
	int			i;

	for (i = 0; i < run->nassertions; i++)
	{
		const LineageAssertion *a = &run->assertions[i];
		json_object *t = array_object(tests);

		put_string(t, "name", a->name);
		put_string(t, "status", a->success ? "pass" : "fail");
		put_string(t, "severity", a->severity);
		put_string(t, "type", a->kind);
		put_expected(t, a->expected);
		put_actual(t, a);
	}
}

/* dtecert's own run facet: which certificate this run issued. */
static void
certificate_facet(json_object *facets, const LineageRun *run)
{
	json_object *f = facet(facets, "dtecert_certificate", LINEAGE_FACET_SCHEMA_URL);

	put_int(f, "certificateId", run->certificate_id);
	put_string(f, "status", run->status);
	put_bool(f, "certified", run->certified);
	put_string(f, "tierRequired", run->tier_required);
	put_string(f, "tierAchieved", run->tier_achieved);
	if (run->has_score)
		put_double(f, "qualityScore", run->score);
	/* copies of the event kept elsewhere expose a rewritten history */
	if (run->chain_head)
		put_string(f, "chainHead", run->chain_head);
}

static void
run_facets(json_object *run_obj, const LineageRun *run, const char *type)
{
	json_object *facets = child_object(run_obj, "facets");
	json_object *engine = facet(facets, "processing_engine",
								FACET_URL("1-1-1", "ProcessingEngineRunFacet"));

	put_string(engine, "version", PG_VERSION);
	put_string(engine, "name", "PostgreSQL");
	put_string(engine, "openlineageAdapterVersion", DTECERT_VERSION);
	if (strcmp(type, "START") == 0)
		return;
	test_facet(facets, run);
	certificate_facet(facets, run);
	if (strcmp(type, "FAIL") == 0)
	{
		json_object *error = facet(facets, "errorMessage",
								   FACET_URL("1-0-1", "ErrorMessageRunFacet"));

		put_string(error, "message", run->failure ? run->failure : "not certified");
		put_string(error, "programmingLanguage", "SQL");
	}
}

/* ---- events ---- */

static void
header(json_object *root, const char *time, const char *schema)
{
	put_string(root, "eventTime", time);
	put_string(root, "producer", LINEAGE_PRODUCER);
	put_string(root, "schemaURL", schema);
}

static void
build_run_event(Build *b, const LineageRun *run, const char *type)
{
	json_object *root = b->root;
	json_object *run_obj;
	json_object *job;
	bool		start = strcmp(type, "START") == 0;

	put_string(root, "eventType", type);
	header(root, start ? run->start_time : run->end_time, OL_SPEC "#/$defs/RunEvent");
	run_obj = child_object(root, "run");
	put_string(run_obj, "runId", run->run_id);
	run_facets(run_obj, run, type);
	job = child_object(root, "job");
	put_string(job, "namespace", run->job_namespace);
	put_string(job, "name", run->job_name);
	job_type_facet(child_object(job, "facets"), "TEST");
	dataset_input(b, child_array(root, "inputs"), run, !start);
	(void) child_array(root, "outputs");
}

static void
build_job_event(Build *b, const LineageRun *run, const char *type)
{
	json_object *root = b->root;
	json_object *job;
	json_object *inputs;
	json_object *output;
	int			i;

	header(root, run->end_time, OL_SPEC "#/$defs/JobEvent");
	job = child_object(root, "job");
	put_string(job, "namespace", run->pipeline_namespace);
	put_string(job, "name", run->pipeline_name);
	job_type_facet(child_object(job, "facets"), "JOB");
	inputs = child_array(root, "inputs");
	for (i = 0; i < run->ninputs; i++)
	{
		json_object *input = array_object(inputs);

		put_string(input, "namespace", run->inputs[i].namespace);
		put_string(input, "name", run->inputs[i].name);
	}
	output = array_object(child_array(root, "outputs"));
	put_string(output, "namespace", run->dataset.namespace);
	put_string(output, "name", run->dataset.name);
}

typedef void (*build_fn) (Build *b, const LineageRun *run, const char *type);

static void
free_build(Build *b)
{
	if (b->profile)
		json_object_put(b->profile);
	if (b->root)
		json_object_put(b->root);
	b->profile = NULL;
	b->root = NULL;
}

/* Build one event and return it as JSON text, in palloc'd memory. */
static char *
serialize(build_fn build, const LineageRun *run, const char *type)
{
	Build		b = {NULL, NULL, NULL};
	Build	   *volatile bp = &b;

	PG_TRY();
	{
		bp->root = json_object_new_object();
		if (bp->root == NULL)
			out_of_memory();
		bp->profile = parse(run->profile);
		build(bp, run, type);
		bp->text = pstrdup(json_object_to_json_string_ext(bp->root,
														  JSON_C_TO_STRING_PLAIN |
														  JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	PG_CATCH();
	{
		free_build(bp);
		PG_RE_THROW();
	}
	PG_END_TRY();
	free_build(&b);
	return b.text;
}

char *
lineage_event_start(const LineageRun *run)
{
	return serialize(build_run_event, run, "START");
}

char *
lineage_event_end(const LineageRun *run)
{
	return serialize(build_run_event, run, run->certified ? "COMPLETE" : "FAIL");
}

char *
lineage_event_job(const LineageRun *run)
{
	return serialize(build_job_event, run, "JOB");
}
