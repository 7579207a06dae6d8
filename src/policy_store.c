/*-------------------------------------------------------------------------
 *
 * policy_store.c
 *	  set_policy(), drop_policy() and reading a dataset's current policy.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "bind.h"
#include "dtecert.h"

PG_FUNCTION_INFO_V1(dtecert_set_policy);
PG_FUNCTION_INFO_V1(dtecert_drop_policy);
PG_FUNCTION_INFO_V1(dtecert_dataset_name_sql);

static int
policy_error_code(PolicyErrorKind kind)
{
	switch (kind)
	{
		case POLICY_ERR_LIMIT:
			return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
		case POLICY_ERR_UNSUPPORTED:
			return ERRCODE_FEATURE_NOT_SUPPORTED;
		case POLICY_ERR_NOMEM:
			return ERRCODE_OUT_OF_MEMORY;
		default:
			return ERRCODE_INVALID_PARAMETER_VALUE;
	}
}

static void
report_policy_error(const PolicyError *err)
{
	ereport(ERROR,
			(errcode(policy_error_code(err->kind)),
			 err->path[0] ?
			 errmsg("invalid policy: %s: %s", err->path, err->message) :
			 errmsg("invalid policy: %s", err->message),
			 err->line > 0 ?
			 errdetail("At line %d, column %d of the policy.", err->line, err->column) : 0,
			 err->hint[0] ? errhint("%s", err->hint) : 0));
}

static void
free_policy_callback(void *arg)
{
	policy_free((Policy *) arg);
}

/*
 * Parse a policy.  The parser's memory is malloc'ed; it is released when
 * mcxt goes, so an error anywhere later cannot leak it.
 */
Policy *
dtecert_parse_policy(const char *text, size_t len, MemoryContext mcxt)
{
	MemoryContextCallback *callback;
	PolicyError err;
	Policy	   *policy;

	callback = MemoryContextAlloc(mcxt, sizeof(MemoryContextCallback));
	policy = policy_parse(text, len, &err);
	if (policy == NULL)
		report_policy_error(&err);
	callback->func = free_policy_callback;
	callback->arg = policy;
	MemoryContextRegisterResetCallback(mcxt, callback);
	return policy;
}

/*
 * The dataset's current policy, or NULL when it has none.  Needs SPI.  The
 * stored normal form is JSON, which the same parser reads back.
 */
Policy *
dtecert_current_policy(const char *dataset, int *version, MemoryContext mcxt)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(dataset)};
	bool		isnull;
	char	   *spec;
	int			ret;

	ret = SPI_execute_with_args("SELECT version, spec::pg_catalog.text"
								"  FROM dtecert.policies"
								" WHERE dataset OPERATOR(pg_catalog.=) $1"
								" ORDER BY version DESC LIMIT 1",
								1, argtypes, args, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the policy of %s: %s", dataset,
			 SPI_result_code_string(ret));
	if (SPI_processed == 0)
		return NULL;
	*version = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 1, &isnull));
	spec = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	if (spec == NULL)
		return NULL;			/* dropped */
	return dtecert_parse_policy(spec, strlen(spec), mcxt);
}

static Relation
open_dataset(FunctionCallInfo fcinfo)
{
	dtecert_check_not_null_arg(fcinfo, 0, "dataset");
	return dtecert_open_dataset(PG_GETARG_OID(0));
}

/* The optional "dataset:" key must name the relation set_policy was given. */
static void
check_dataset_key(Policy *policy, Relation rel, const char *dataset)
{
	char	   *error;
	Oid			relid;

	if (policy->dataset == NULL)
		return;
	relid = bind_relation_name(policy->dataset, RelationGetNamespace(rel), &error);
	if (relid != RelationGetRelid(rel))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid policy: dataset: \"%s\" does not name %s",
						policy->dataset, dataset),
				 error ? errdetail("%s.", error) : 0,
				 errhint("Remove the dataset key or make it name the table the policy is set on.")));
}

/* Names of the tier criteria, which check_results uses as check names. */
static const char *const criterion_names[] = {
	"schema", "freshness", "quality", "lineage", "fairness", "robustness",
	"explainability"
};

static void
check_reserved_names(Policy *policy)
{
	int			i;
	int			j;

	for (i = 0; i < policy->nchecks; i++)
		for (j = 0; j < lengthof(criterion_names); j++)
			if (strcmp(policy->checks[i].name, criterion_names[j]) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid policy: %s.name: \"%s\" is reserved for the tier criterion",
								policy->checks[i].path, policy->checks[i].name),
						 errhint("Give the check another name.")));
}

/* A policy must declare at least one criterion that can fail. */
static void
check_declares_something(Policy *policy)
{
	int			i;

	if (policy->has_schema || policy->has_freshness || policy->has_lineage ||
		policy->has_robustness || policy->has_fairness ||
		policy->has_explainability)
		return;
	for (i = 0; i < policy->nchecks; i++)
		if (policy->checks[i].severity != SEVERITY_WARN)
			return;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid policy: it declares nothing that can fail"),
			 errdetail("A certificate from such a policy would prove nothing."),
			 errhint("Add a schema contract, a freshness rule, a lineage, robustness, fairness or explainability section, or a check of severity error or critical.")));
}

static int
store_policy_version(Relation rel, const char *dataset, const char *spec,
					 const char *source, const char *sha256)
{
	Oid			argtypes[7] = {TEXTOID, OIDOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, TIMESTAMPTZOID};
	Datum		args[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	SavedIdentity saved;
	bool		isnull;
	int			ret;
	int			version;

	args[0] = CStringGetTextDatum(dataset);
	args[1] = ObjectIdGetDatum(RelationGetRelid(rel));
	args[2] = spec ? CStringGetTextDatum(spec) : (Datum) 0;
	args[3] = source ? CStringGetTextDatum(source) : (Datum) 0;
	args[4] = sha256 ? CStringGetTextDatum(sha256) : (Datum) 0;
	args[5] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));
	args[6] = TimestampTzGetDatum(GetCurrentTimestamp());
	nulls[2] = nulls[3] = nulls[4] = spec ? ' ' : 'n';

	dtecert_become_extension_owner(&saved);
	ret = SPI_execute_with_args(
		"INSERT INTO dtecert.policies"
		"  (dataset, version, relation_oid, spec, source, sha256, set_by, set_at)"
		" SELECT $1, COALESCE(pg_catalog.max(version), 0) OPERATOR(pg_catalog.+) 1,"
		"        $2, $3::pg_catalog.jsonb, $4, $5, $6, $7"
		"   FROM dtecert.policies WHERE dataset OPERATOR(pg_catalog.=) $1"
		" RETURNING version",
		7, argtypes, args, nulls, false, 1);
	dtecert_restore_identity(&saved);
	if (ret != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "could not store the policy of %s: %s", dataset,
			 SPI_result_code_string(ret));
	version = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
										  SPI_tuptable->tupdesc, 1, &isnull));
	return version;
}

Datum
dtecert_set_policy(PG_FUNCTION_ARGS)
{
	MemoryContext mcxt = CurrentMemoryContext;
	Relation	rel = open_dataset(fcinfo);
	char	   *dataset = dtecert_dataset_name(RelationGetRelid(rel));
	text	   *spec_text;
	char	   *source;
	Policy	   *policy;
	int			version;

	dtecert_check_owner(RelationGetRelid(rel),
						psprintf("set the policy of %s", dataset));
	dtecert_check_not_null_arg(fcinfo, 1, "spec");
	spec_text = PG_GETARG_TEXT_PP(1);
	source = text_to_cstring(spec_text);

	policy = dtecert_parse_policy(source, strlen(source), mcxt);
	check_dataset_key(policy, rel, dataset);
	check_declares_something(policy);
	check_reserved_names(policy);

	SPI_connect();
	MemoryContextSwitchTo(mcxt);
	(void) bind_policy(policy, rel, true);

	dtecert_lock_dataset(dataset);
	version = store_policy_version(rel, dataset, policy->normalized_json, source,
								   dtecert_sha256_hex(policy->normalized_json,
													  strlen(policy->normalized_json)));
	SPI_finish();
	relation_close(rel, NoLock);
	PG_RETURN_INT32(version);
}

Datum
dtecert_drop_policy(PG_FUNCTION_ARGS)
{
	MemoryContext mcxt = CurrentMemoryContext;
	Relation	rel = open_dataset(fcinfo);
	char	   *dataset = dtecert_dataset_name(RelationGetRelid(rel));
	int			version;

	dtecert_check_owner(RelationGetRelid(rel),
						psprintf("drop the policy of %s", dataset));
	SPI_connect();
	MemoryContextSwitchTo(mcxt);
	dtecert_lock_dataset(dataset);
	if (dtecert_current_policy(dataset, &version, mcxt) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("dataset %s has no policy", dataset)));
	(void) store_policy_version(rel, dataset, NULL, NULL, NULL);
	SPI_finish();
	relation_close(rel, NoLock);
	PG_RETURN_VOID();
}

Datum
dtecert_dataset_name_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(dtecert_dataset_name(PG_GETARG_OID(0))));
}
