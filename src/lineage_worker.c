/*-------------------------------------------------------------------------
 *
 * lineage_worker.c
 *	  The dtecert lineage worker (DESIGN section 7): it serves the database
 *	  named by dtecert.database and delivers its outbox at least once, in
 *	  order per run.
 *
 *	  A round: claim a batch (FOR UPDATE SKIP LOCKED, with a lease), commit;
 *	  deliver each event outside any transaction; record each result in a
 *	  short transaction of its own: delivered; retried later with
 *	  exponential backoff capped by dtecert.lineage_backoff_max; or failed
 *	  (refused by the endpoint), kept with its answer.  A run's event waits
 *	  until every earlier event of the run is delivered, so START always
 *	  precedes COMPLETE or FAIL.  After an error the worker backs off as a
 *	  whole (the endpoint is likely down); when the endpoint answers again,
 *	  every pending event is due at once.
 *
 *	  It sleeps on its latch, which committing certifications set; a reload
 *	  (SIGHUP) or a shutdown (SIGTERM) is seen within 100 ms, even during a
 *	  transfer.  At start it releases the leases a dead worker left, and it
 *	  purges delivered events older than dtecert.lineage_retention.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/pmsignal.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "lineage.h"
#include "lineage_send.h"

#define BATCH_SIZE		100
#define IDLE_MS			10000	/* look at the outbox at least this often */
#define FIRST_BACKOFF_MS 1000
#define LEASE			"10 minutes"
#define PURGE_EVERY_MS	60000

typedef struct ClaimedEvent
{
	int64		event_id;
	char	   *run_id;			/* or NULL (a JobEvent) */
	char	   *event;
	int			attempts;
} ClaimedEvent;

typedef struct WorkerState
{
	int			consecutive_failures;
	TimestampTz backoff_until;	/* no delivery before then */
	TimestampTz last_purge;
} WorkerState;

/* ---- transactions ---- */

static void
begin_tx(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

/* Memory of one round, reset before the next (a commit leaves us in Top). */
static MemoryContext round_context = NULL;

static void
end_tx(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	MemoryContextSwitchTo(round_context);
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
}

static void
run_sql(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls,
		int expected)
{
	int			ret = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);

	if (ret != expected)
		elog(ERROR, "dtecert lineage worker: query failed: %s", SPI_result_code_string(ret));
}

/* Is the extension (at a version with an outbox) installed here? */
static bool
outbox_exists(void)
{
	bool		isnull;

	run_sql("SELECT pg_catalog.to_regclass('dtecert.lineage_outbox') IS NOT NULL",
			0, NULL, NULL, NULL, SPI_OK_SELECT);
	return DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
									  &isnull));
}

/* ---- backoff ---- */

static int
backoff_ms(int failures)
{
	int64		ms = FIRST_BACKOFF_MS;

	while (--failures > 0 && ms < lineage_backoff_max_ms)
		ms *= 2;
	return (int) Min(ms, (int64) lineage_backoff_max_ms);
}

/* ---- claiming ---- */

/*
 * Due events, oldest first, skipping those whose run has an earlier event
 * that is not delivered and not claimed in the same batch.
 */
static const char *const claim_sql =
"WITH candidate AS ("
"  SELECT o.event_id, o.run_id FROM dtecert.lineage_outbox o"
"   WHERE o.state = 'pending' AND o.next_attempt_at <= pg_catalog.now()"
"     AND (o.leased_until IS NULL OR o.leased_until < pg_catalog.now())"
"     AND NOT EXISTS (SELECT FROM dtecert.lineage_outbox p"
"                      WHERE p.run_id = o.run_id AND p.event_id < o.event_id"
"                        AND (p.state = 'failed'"
"                             OR (p.state = 'pending' AND (p.next_attempt_at > pg_catalog.now()"
"                                 OR p.leased_until >= pg_catalog.now()))))"
"   ORDER BY o.event_id LIMIT $1"
"   FOR UPDATE OF o SKIP LOCKED),"
" ready AS ("
"  SELECT c.event_id FROM candidate c"
"   WHERE NOT EXISTS (SELECT FROM dtecert.lineage_outbox p"
"                      WHERE p.run_id = c.run_id AND p.event_id < c.event_id"
"                        AND p.state <> 'delivered'"
"                        AND p.event_id NOT IN (SELECT event_id FROM candidate)))"
"UPDATE dtecert.lineage_outbox o"
"   SET leased_until = pg_catalog.now() + interval '" LEASE "'"
"  FROM ready WHERE o.event_id = ready.event_id"
" RETURNING o.event_id, o.run_id::text, o.event::text, o.attempts";

static int
compare_events(const void *a, const void *b)
{
	int64		x = ((const ClaimedEvent *) a)->event_id;
	int64		y = ((const ClaimedEvent *) b)->event_id;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* Claim a batch (in the caller's transaction); returns how many. */
static int
claim_batch(ClaimedEvent *batch, MemoryContext mcxt)
{
	Oid			types[1] = {INT4OID};
	Datum		values[1] = {Int32GetDatum(BATCH_SIZE)};
	MemoryContext old;
	uint64		i;
	bool		isnull;

	run_sql(claim_sql, 1, types, values, NULL, SPI_OK_UPDATE_RETURNING);
	old = MemoryContextSwitchTo(mcxt);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		batch[i].event_id = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &isnull));
		batch[i].run_id = SPI_getvalue(tuple, desc, 2);
		batch[i].event = SPI_getvalue(tuple, desc, 3);
		batch[i].attempts = DatumGetInt32(SPI_getbinval(tuple, desc, 4, &isnull));
	}
	MemoryContextSwitchTo(old);
	qsort(batch, SPI_processed, sizeof(ClaimedEvent), compare_events);
	return (int) SPI_processed;
}

/* Milliseconds until the next pending event is due (IDLE_MS at most). */
static long
ms_until_due(void)
{
	bool		isnull;
	Datum		ms;

	run_sql("SELECT pg_catalog.ceil(pg_catalog.date_part('epoch',"
			"   min(next_attempt_at) - pg_catalog.clock_timestamp()) * 1000)::pg_catalog.int8"
			"  FROM dtecert.lineage_outbox WHERE state = 'pending'",
			0, NULL, NULL, NULL, SPI_OK_SELECT);
	ms = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		return IDLE_MS;
	return Max(10, Min(IDLE_MS, DatumGetInt64(ms)));
}

/* ---- recording results ---- */

static void
record_result(ClaimedEvent *e, SendResult *r)
{
	Oid			types[5] = {INT8OID, TEXTOID, INT4OID, TEXTOID, INT4OID};
	Datum		values[5];
	char		nulls[5] = {' ', ' ', r->http_status ? ' ' : 'n', r->error ? ' ' : 'n', ' '};
	const char *state = r->outcome == SEND_DELIVERED ? "delivered" :
		(r->outcome == SEND_REFUSED ? "failed" : "pending");

	values[0] = Int64GetDatum(e->event_id);
	values[1] = CStringGetTextDatum(state);
	values[2] = Int32GetDatum(r->http_status);
	values[3] = r->error ? CStringGetTextDatum(r->error) : (Datum) 0;
	values[4] = Int32GetDatum(backoff_ms(e->attempts + 1));
	begin_tx("dtecert lineage worker: recording a delivery");
	run_sql("UPDATE dtecert.lineage_outbox"
			"   SET state = $2, attempts = attempts + 1, leased_until = NULL,"
			"       last_attempt_at = pg_catalog.now(), http_status = $3,"
			"       last_error = CASE WHEN $2 = 'delivered' THEN last_error ELSE $4 END,"
			"       delivered_at = CASE WHEN $2 = 'delivered' THEN pg_catalog.now() END,"
			"       next_attempt_at = CASE WHEN $2 = 'pending'"
			"         THEN pg_catalog.now() + $5 * interval '1 millisecond'"
			"         ELSE next_attempt_at END"
			" WHERE event_id = $1",
			5, types, values, nulls, SPI_OK_UPDATE);
	end_tx();
}

/* Events claimed but not attempted: no attempt counted, due again now. */
static void
release(ClaimedEvent *batch, int from, int n)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	int			i;

	if (from >= n)
		return;
	begin_tx("dtecert lineage worker: releasing events");
	for (i = from; i < n; i++)
	{
		values[0] = Int64GetDatum(batch[i].event_id);
		run_sql("UPDATE dtecert.lineage_outbox SET leased_until = NULL WHERE event_id = $1",
				1, types, values, NULL, SPI_OK_UPDATE);
	}
	end_tx();
}

/* The endpoint answers again: whatever was backing off is due now. */
static void
endpoint_recovered(void)
{
	begin_tx("dtecert lineage worker: endpoint recovered");
	run_sql("UPDATE dtecert.lineage_outbox SET next_attempt_at = pg_catalog.now()"
			" WHERE state = 'pending' AND next_attempt_at > pg_catalog.now()",
			0, NULL, NULL, NULL, SPI_OK_UPDATE);
	end_tx();
}

/* ---- signals ---- */

static char *delivery_settings = NULL;
static char served_database[NAMEDATALEN];

/* What a transfer in flight depends on (the api key never leaves memory). */
static char *
current_delivery_settings(void)
{
	return psprintf("%s\n%s", lineage_url, lineage_api_key ? lineage_api_key : "");
}

/* A reload; true when where or how events go changed. */
static bool
reload_settings(void)
{
	char	   *before;
	bool		changed;

	if (!ConfigReloadPending)
		return false;
	ConfigReloadPending = false;
	ProcessConfigFile(PGC_SIGHUP);
	if (strcmp(lineage_database, served_database) != 0)
	{
		ereport(LOG,
				(errmsg("dtecert lineage worker: dtecert.database is now \"%s\", restarting to serve it",
						lineage_database)));
		proc_exit(1);			/* restarted after bgw_restart_time */
	}
	before = delivery_settings;
	delivery_settings = MemoryContextStrdup(TopMemoryContext, current_delivery_settings());
	changed = before == NULL || strcmp(before, delivery_settings) != 0;
	if (before)
	{
		explicit_bzero(before, strlen(before));
		pfree(before);
	}
	return changed;
}

/* Polled during a transfer: stop it for a shutdown or a changed endpoint. */
static bool
transfer_interrupted(void)
{
	if (!PostmasterIsAlive())
		proc_exit(1);
	if (ProcDiePending)
		return true;
	return reload_settings();
}

/* ---- delivering ---- */

static bool
same_run(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Was an earlier event of e's run in this batch left undelivered? */
static bool
run_blocked(ClaimedEvent *batch, int i, bool *delivered)
{
	int			j;

	for (j = 0; j < i; j++)
		if (!delivered[j] && same_run(batch[j].run_id, batch[i].run_id))
			return true;
	return false;
}

static void
failed_attempt(WorkerState *ws, SendResult *r)
{
	ws->consecutive_failures++;
	ws->backoff_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													backoff_ms(ws->consecutive_failures));
	if (ws->consecutive_failures == 1)
		ereport(LOG,
				(errmsg("dtecert lineage worker: could not deliver an event, retrying with backoff: %s",
						r->error ? r->error : "no answer")));
}

/*
 * Deliver a claimed batch in order; returns false when delivery stopped
 * (an endpoint error, a signal): the rest of the batch is released.
 */
static bool
deliver_batch(WorkerState *ws, ClaimedEvent *batch, int n)
{
	bool	   *delivered = palloc0(sizeof(bool) * Max(n, 1));
	int			next = n;		/* the first event left to release */
	int			i;

	for (i = 0; i < n && next == n; i++)
	{
		SendResult	r;

		if (run_blocked(batch, i, delivered))
		{
			release(batch, i, i + 1);
			continue;
		}
		lineage_send(lineage_url, lineage_api_key, batch[i].event,
					 transfer_interrupted, &r);
		CHECK_FOR_INTERRUPTS();
		if (r.outcome == SEND_INTERRUPTED)
		{
			next = i;
			break;
		}
		record_result(&batch[i], &r);
		delivered[i] = r.outcome == SEND_DELIVERED;
		if (r.outcome == SEND_DELIVERED && ws->consecutive_failures > 0)
		{
			ws->consecutive_failures = 0;
			endpoint_recovered();
		}
		else if (r.outcome == SEND_RETRY)
		{
			failed_attempt(ws, &r);
			next = i + 1;
		}
		else if (r.outcome == SEND_REFUSED)
			ereport(LOG,
					(errmsg("dtecert lineage worker: the endpoint refused event %lld: %s",
							(long long) batch[i].event_id, r.error)));
	}
	release(batch, next, n);
	return next == n;
}

/* One round; returns how long to sleep (0: go on at once). */
static long
delivery_round(WorkerState *ws)
{
	ClaimedEvent batch[BATCH_SIZE];
	int			n = 0;
	bool		exists;
	long		sleep_ms = IDLE_MS;

	begin_tx("dtecert lineage worker: claiming events");
	exists = outbox_exists();
	if (exists)
		n = claim_batch(batch, round_context);
	if (exists && n < BATCH_SIZE)
		sleep_ms = ms_until_due();
	end_tx();
	if (n == 0)
		return sleep_ms;
	if (!deliver_batch(ws, batch, n))
		return 0;				/* the loop applies any backoff */
	return n == BATCH_SIZE ? 0 : sleep_ms;
}

/* ---- housekeeping ---- */

static void
release_dead_leases(void)
{
	begin_tx("dtecert lineage worker: releasing leases");
	if (outbox_exists())
	{
		run_sql("UPDATE dtecert.lineage_outbox SET leased_until = NULL"
				" WHERE leased_until IS NOT NULL",
				0, NULL, NULL, NULL, SPI_OK_UPDATE);
		if (SPI_processed > 0)
			ereport(LOG,
					(errmsg("dtecert lineage worker: released %llu events claimed by a previous worker",
							(unsigned long long) SPI_processed)));
	}
	end_tx();
}

static int64
purge_interval_ms(void)
{
	return Max(1000, Min((int64) PURGE_EVERY_MS, (int64) lineage_retention_s * 1000));
}

/* Delete delivered events older than the retention; returns ms until the next purge. */
static long
purge_delivered(WorkerState *ws)
{
	Oid			types[1] = {INT4OID};
	Datum		values[1] = {Int32GetDatum(lineage_retention_s)};
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz next = TimestampTzPlusMilliseconds(ws->last_purge, purge_interval_ms());

	if (ws->last_purge != 0 && now < next)
		return (long) ((next - now) / 1000) + 1;
	ws->last_purge = now;
	begin_tx("dtecert lineage worker: purging delivered events");
	if (outbox_exists())
		run_sql("DELETE FROM dtecert.lineage_outbox"
				" WHERE state = 'delivered'"
				"   AND delivered_at < pg_catalog.now() - $1 * interval '1 second'",
				1, types, values, NULL, SPI_OK_DELETE);
	end_tx();
	return (long) purge_interval_ms();
}

static void
wait_for(long ms)
{
	if (ms <= 0)
		return;
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
}

static void
worker_loop(WorkerState *ws)
{
	for (;;)
	{
		long		sleep_ms = IDLE_MS;
		TimestampTz now;

		MemoryContextSwitchTo(round_context);
		MemoryContextReset(round_context);
		CHECK_FOR_INTERRUPTS();
		if (reload_settings())
		{
			/* a new endpoint: no reason to wait for the old one's backoff */
			ws->backoff_until = 0;
			ws->consecutive_failures = 0;
		}
		now = GetCurrentTimestamp();
		if (now < ws->backoff_until)
			sleep_ms = Max(1, (long) ((ws->backoff_until - now) / 1000));
		else if (lineage_url[0] != '\0')
			sleep_ms = delivery_round(ws);
		sleep_ms = Min(sleep_ms, purge_delivered(ws));
		wait_for(sleep_ms);
	}
}

void
dtecert_lineage_worker_main(Datum main_arg)
{
	WorkerState ws = {0, 0, 0};

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	strlcpy(served_database, lineage_database, NAMEDATALEN);
	BackgroundWorkerInitializeConnection(served_database, NULL, 0);
	pgstat_report_appname("dtecert lineage worker");
	lineage_worker_attach();
	on_proc_exit(lineage_send_cleanup, (Datum) 0);
	SetConfigOption("search_path", "pg_catalog", PGC_SUSET, PGC_S_OVERRIDE);
	/* a lost "delivered" mark costs a duplicate, never an event */
	SetConfigOption("synchronous_commit", "off", PGC_SUSET, PGC_S_OVERRIDE);
	delivery_settings = MemoryContextStrdup(TopMemoryContext, current_delivery_settings());
	round_context = AllocSetContextCreate(TopMemoryContext, "dtecert lineage round",
										  ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(round_context);
	ereport(LOG,
			(errmsg("dtecert lineage worker started for database \"%s\"", lineage_database)));
	release_dead_leases();
	worker_loop(&ws);
}
