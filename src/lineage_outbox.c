/*-------------------------------------------------------------------------
 *
 * lineage_outbox.c
 *	  What certify() queues in dtecert.lineage_outbox, in the caller's
 *	  transaction and as the extension's owner: the run's START and its
 *	  COMPLETE or FAIL, and the pipeline's JobEvent.  Nothing here waits on
 *	  the network; a commit that queued events wakes the worker.  Also
 *	  dtecert.retry_lineage().
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "postmaster/postmaster.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "dtecert.h"
#include "lineage.h"
#include "lineage_event.h"

PG_FUNCTION_INFO_V1(dtecert_retry_lineage);

/* The worker's latch is set when the transaction that queued events commits. */
static bool wake_at_commit = false;
static bool callback_registered = false;

static void
lineage_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (wake_at_commit)
				lineage_wake_worker();
			wake_at_commit = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			wake_at_commit = false;
			break;
		default:
			break;
	}
}

static void
wake_worker_at_commit(void)
{
	if (!callback_registered)
	{
		RegisterXactCallback(lineage_xact_callback, NULL);
		callback_registered = true;
	}
	wake_at_commit = true;
}

/*
 * Once per session, when events are meant to go somewhere (a URL is set)
 * but will stay queued: a WARNING when the worker serves another database,
 * a NOTICE when it is not running.
 */
static void
tell_if_queued(void)
{
	static bool told = false;
	char	   *database;
	LineageWorkerState state;

	if (told || lineage_url == NULL || lineage_url[0] == '\0')
		return;
	database = get_database_name(MyDatabaseId);
	state = lineage_worker_state();
	if (state != LINEAGE_NOT_PRELOADED && strcmp(database, lineage_database) != 0)
		ereport(WARNING,
				(errmsg("lineage events of database \"%s\" stay queued", database),
				 errdetail("The dtecert lineage worker serves database \"%s\" (dtecert.database).",
						   lineage_database),
				 errhint("They are kept in dtecert.lineage_outbox.")));
	else if (state == LINEAGE_NOT_PRELOADED)
		ereport(NOTICE,
				(errmsg("lineage events stay queued: the dtecert lineage worker is not running"),
				 errdetail("dtecert is not in shared_preload_libraries."),
				 errhint("They are kept in dtecert.lineage_outbox.")));
	else if (state == LINEAGE_NOT_RUNNING)
		ereport(NOTICE,
				(errmsg("lineage events stay queued: the dtecert lineage worker is not running"),
				 errdetail("It delivers them when it starts again."),
				 errhint("They are kept in dtecert.lineage_outbox.")));
	else
		return;
	told = true;
}

/* RFC 3339 in UTC, to the millisecond (never PostgreSQL's text format). */
static char *
rfc3339(TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(t) || timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "timestamp out of range for a lineage event");
	return psprintf("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year, tm.tm_mon,
					tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int) (fsec / 1000));
}

static char *
uuid_text(const pg_uuid_t *uuid)
{
	static const char hex[] = "0123456789abcdef";
	char	   *text = palloc(2 * UUID_LEN + 5);
	char	   *p = text;
	int			i;

	for (i = 0; i < UUID_LEN; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[uuid->data[i] >> 4];
		*p++ = hex[uuid->data[i] & 0x0F];
	}
	*p = '\0';
	return text;
}

static char *
dataset_namespace(void)
{
	return psprintf("postgres://%s:%d", lineage_host, PostPortNumber);
}

/* db.schema.table: OpenLineage's naming of a PostgreSQL table */
static char *
relation_dataset_name(Oid relid)
{
	return psprintf("%s.%s.%s", get_database_name(MyDatabaseId),
					get_namespace_name(get_rel_namespace(relid)),
					get_rel_name(relid));
}

/*
 * An external name, namespace/name: after a scheme, the namespace is
 * scheme://authority (s3://bucket/key: s3://bucket and key); otherwise it
 * ends at the first slash.
 */
static void
split_external(const char *input, LineageDataset *d)
{
	const char *scheme = strstr(input, "://");
	const char *slash = scheme ? strchr(scheme + 3, '/') : strchr(input, '/');

	if (slash == NULL || slash[1] == '\0')
		slash = strrchr(input, '/');
	if (slash == NULL)
	{
		d->namespace = "dtecert";
		d->name = pstrdup(input);
		return;
	}
	d->namespace = pnstrdup(input, slash - input);
	d->name = pstrdup(slash + 1);
}

static bool
is_number_type(Oid typid)
{
	switch (getBaseType(typid))
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case NUMERICOID:
		case FLOAT4OID:
		case FLOAT8OID:
			return true;
		default:
			return false;
	}
}

static void
fill_columns(LineageRun *run, Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	run->columns = palloc0(sizeof(LineageColumn) * Max(desc->natts, 1));
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		LineageColumn *c;

		if (att->attisdropped)
			continue;
		c = &run->columns[run->ncolumns++];
		c->name = pstrdup(NameStr(att->attname));
		c->type = format_type_with_typemod(att->atttypid, att->atttypmod);
		c->is_number = is_number_type(att->atttypid);
	}
}

static bool
is_column(LineageRun *run, const char *name)
{
	int			i;

	for (i = 0; name != NULL && i < run->ncolumns; i++)
		if (strcmp(run->columns[i].name, name) == 0)
			return true;
	return false;
}

/* One assertion per check; the criteria come first in cert->outcomes. */
static void
fill_assertions(LineageRun *run, Certificate *cert, BoundPolicy *bp,
				StringInfo failed)
{
	int			first = cert->noutcomes - bp->nchecks;
	int			i;

	run->assertions = palloc0(sizeof(LineageAssertion) * Max(bp->nchecks, 1));
	for (i = first; i < cert->noutcomes; i++)
	{
		Outcome    *o = &cert->outcomes[i];
		LineageAssertion *a = &run->assertions[run->nassertions++];

		a->name = o->name;
		a->kind = o->kind;
		a->column = is_column(run, o->column) ? o->column : NULL;
		a->severity = o->severity;
		a->success = o->passed;
		a->expected = o->expected;
		a->observed = o->observed;
		a->has_counts = o->has_counts;
		a->unexpected_count = o->unexpected_count;
		if (!o->passed && (o->severity == NULL || strcmp(o->severity, "warn") != 0))
			appendStringInfo(failed, "%s%s", failed->len ? ", " : "", o->name);
	}
}

/* The seal record_certificate() gave the certificate. */
static const char *
certificate_seal(int64 certificate_id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(certificate_id)};

	if (SPI_execute_with_args("SELECT core_sha256 FROM dtecert.certificates"
							  " WHERE certificate_id OPERATOR(pg_catalog.=) $1",
							  1, types, values, NULL, false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		return NULL;
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

static void
fill_verdict(LineageRun *run, Certificate *cert, StringInfo failed_checks)
{
	Verdict    *v = &cert->verdict;
	StringInfoData message;

	run->certificate_id = cert->certificate_id;
	run->chain_head = certificate_seal(cert->certificate_id);
	run->certified = v->certified;
	run->status = v->status;
	run->tier_required = v->required == TIER_NONE ? NULL : policy_tier_name(v->required);
	run->tier_achieved = v->achieved == TIER_NONE ? NULL : policy_tier_name(v->achieved);
	run->has_score = v->has_score;
	run->score = v->score;
	if (v->certified)
		return;
	initStringInfo(&message);
	appendStringInfo(&message, "%s is not certified: %s", cert->dataset,
					 v->reason ? v->reason : v->status);
	if (failed_checks->len > 0)
		appendStringInfo(&message, "; failed checks: %s", failed_checks->data);
	run->failure = message.data;
}

static void
add_input(LineageRun *run, int *size, LineageDataset d)
{
	int			i;

	for (i = 0; i < run->ninputs; i++)
		if (strcmp(run->inputs[i].namespace, d.namespace) == 0 &&
			strcmp(run->inputs[i].name, d.name) == 0)
			return;
	if (run->ninputs == *size)
	{
		*size *= 2;
		run->inputs = repalloc(run->inputs, sizeof(LineageDataset) * *size);
	}
	run->inputs[run->ninputs++] = d;
}

/* The pipeline job: the policy's lineage, and a view's catalog inputs. */
static void
fill_pipeline(LineageRun *run, BoundPolicy *bp)
{
	Policy	   *p = bp->policy;
	Oid		   *derived;
	int			nderived = lineage_catalog_inputs(bp->relid, &derived);
	int			size = 8;
	int			i;

	run->has_pipeline = p->has_lineage || nderived > 0;
	if (!run->has_pipeline)
		return;
	run->inputs = palloc(sizeof(LineageDataset) * size);
	if (p->has_lineage && p->lineage_job != NULL)
	{
		LineageDataset job;

		split_external(p->lineage_job, &job);
		run->pipeline_namespace = job.namespace;
		run->pipeline_name = job.name;
	}
	else
	{
		run->pipeline_namespace = "dtecert";
		run->pipeline_name = psprintf("%s.definition", run->dataset.name);
	}
	for (i = 0; p->has_lineage && i < p->nlineage_inputs; i++)
	{
		LineageDataset d;
		Oid			relid;

		if (bind_lineage_input(p->lineage_inputs[i], bp->namespace, &relid) != NULL)
			continue;			/* does not resolve: the lineage criterion says so */
		if (OidIsValid(relid))
		{
			d.namespace = run->dataset.namespace;
			d.name = relation_dataset_name(relid);
		}
		else
			split_external(p->lineage_inputs[i], &d);
		add_input(run, &size, d);
	}
	for (i = 0; i < nderived; i++)
	{
		LineageDataset d = {run->dataset.namespace, relation_dataset_name(derived[i])};

		add_input(run, &size, d);
	}
}

static void
fill_run(LineageRun *run, Certificate *cert, BoundPolicy *bp, Relation rel)
{
	StringInfoData failed;

	memset(run, 0, sizeof(LineageRun));
	initStringInfo(&failed);
	run->run_id = uuid_text(&cert->run_id);
	run->start_time = rfc3339(cert->issued_at);
	run->end_time = rfc3339(GetCurrentTimestamp());
	run->dataset.namespace = dataset_namespace();
	run->dataset.name = relation_dataset_name(RelationGetRelid(rel));
	run->job_namespace = "dtecert";
	run->job_name = psprintf("%s.certify", run->dataset.name);
	fill_columns(run, rel);
	run->profile = cert->profile;
	fill_assertions(run, cert, bp, &failed);
	fill_verdict(run, cert, &failed);
	fill_pipeline(run, bp);
}

static void
insert_event(Certificate *cert, const char *type, const char *event, bool of_run)
{
	Oid			types[5] = {INT8OID, TEXTOID, UUIDOID, TEXTOID, TEXTOID};
	Datum		values[5];
	char		nulls[5] = {' ', ' ', of_run ? ' ' : 'n', ' ', ' '};
	int			ret;

	values[0] = Int64GetDatum(cert->certificate_id);
	values[1] = CStringGetTextDatum(cert->dataset);
	values[2] = UUIDPGetDatum(&cert->run_id);
	values[3] = CStringGetTextDatum(type);
	values[4] = CStringGetTextDatum(event);
	ret = SPI_execute_with_args("INSERT INTO dtecert.lineage_outbox"
								"  (certificate_id, dataset, run_id, event_type, event)"
								" VALUES ($1, $2, $3, $4, $5::pg_catalog.jsonb)",
								5, types, values, nulls, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "could not queue a lineage event: %s", SPI_result_code_string(ret));
}

void
lineage_record_run(Certificate *cert, BoundPolicy *bp, Relation rel)
{
	LineageRun	run;
	char	   *start;
	char	   *end;
	char	   *job = NULL;
	SavedIdentity saved;

	fill_run(&run, cert, bp, rel);
	start = lineage_event_start(&run);
	end = lineage_event_end(&run);
	if (run.has_pipeline)
		job = lineage_event_job(&run);

	dtecert_become_extension_owner(&saved);
	insert_event(cert, "START", start, true);
	insert_event(cert, cert->verdict.certified ? "COMPLETE" : "FAIL", end, true);
	if (job != NULL)
		insert_event(cert, "JOB", job, false);
	dtecert_restore_identity(&saved);

	wake_worker_at_commit();
	tell_if_queued();
}

/*
 * dtecert.retry_lineage(failed_only): failed events are queued again (and
 * without failed_only, pending ones are due now, whatever their backoff).
 */
Datum
dtecert_retry_lineage(PG_FUNCTION_ARGS)
{
	bool		failed_only = PG_ARGISNULL(0) ? true : PG_GETARG_BOOL(0);
	Oid			types[1] = {BOOLOID};
	Datum		values[1] = {BoolGetDatum(failed_only)};
	SavedIdentity saved;
	uint64		count;
	int			ret;

	SPI_connect();
	dtecert_become_extension_owner(&saved);
	ret = SPI_execute_with_args("UPDATE dtecert.lineage_outbox"
								"   SET state = 'pending', leased_until = NULL,"
								"       next_attempt_at = pg_catalog.now()"
								" WHERE state OPERATOR(pg_catalog.=) 'failed'"
								"    OR (NOT $1 AND state OPERATOR(pg_catalog.=) 'pending')",
								1, types, values, NULL, false, 0);
	if (ret != SPI_OK_UPDATE)
		elog(ERROR, "could not queue lineage events again: %s", SPI_result_code_string(ret));
	count = SPI_processed;
	dtecert_restore_identity(&saved);
	SPI_finish();
	if (count > 0)
		wake_worker_at_commit();
	PG_RETURN_INT64((int64) count);
}
