/*-------------------------------------------------------------------------
 *
 * lineage.h
 *	  OpenLineage events of certifications (DESIGN section 7): written to
 *	  dtecert.lineage_outbox in the certifying transaction, delivered by a
 *	  background worker.
 *
 *	  lineage_guc.c      settings
 *	  lineage_shmem.c    _PG_init part, shared memory, waking the worker
 *	  lineage_outbox.c   what certify() queues; retry_lineage()
 *	  lineage_catalog.c  a view's inputs, from its rewrite rule
 *	  lineage_event.c    the events as JSON (json-c only)
 *	  lineage_send.c     delivery over HTTP (libcurl only) and to a file
 *	  lineage_worker.c   the background worker
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTECERT_LINEAGE_H
#define DTECERT_LINEAGE_H

#include "postgres.h"

#include "utils/relcache.h"

#include "bind.h"
#include "certify.h"

/* _PG_init: settings, and when preloaded the worker and its shared memory */
extern void lineage_init(void);

/* certify(): queue the run's events, after the certificate is recorded */
extern void lineage_record_run(Certificate *cert, BoundPolicy *bp, Relation rel);

/* Settings (lineage_guc.c) */
extern char *lineage_database;
extern char *lineage_url;
extern char *lineage_api_key;
extern char *lineage_host;
extern int	lineage_connect_timeout_ms;
extern int	lineage_timeout_ms;
extern int	lineage_backoff_max_ms;
extern int	lineage_retention_s;
extern void lineage_define_gucs(void);

/* Shared memory (lineage_shmem.c) */
typedef enum LineageWorkerState
{
	LINEAGE_NOT_PRELOADED,		/* no worker in this server at all */
	LINEAGE_NOT_RUNNING,		/* registered, but not running now */
	LINEAGE_RUNNING
} LineageWorkerState;

extern LineageWorkerState lineage_worker_state(void);
extern void lineage_wake_worker(void);
extern void lineage_worker_attach(void);

/* A view's or materialized view's inputs (lineage_catalog.c) */
extern int	lineage_catalog_inputs(Oid relid, Oid **inputs);
extern bool lineage_derives_inputs(Oid relid);

/* The worker's entry point (lineage_worker.c) */
extern PGDLLEXPORT void dtecert_lineage_worker_main(Datum main_arg);

#endif							/* DTECERT_LINEAGE_H */
