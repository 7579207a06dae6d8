/*-------------------------------------------------------------------------
 *
 * lineage_event.h
 *	  A certification run as plain C values, and the OpenLineage 2-0-2
 *	  events built from it (lineage_event.c, the only file that uses
 *	  json-c: its json_object clashes with utils/builtins.h).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTECERT_LINEAGE_EVENT_H
#define DTECERT_LINEAGE_EVENT_H

#include "postgres.h"

/* Who wrote the events (OpenLineage "producer" and every "_producer"). */
#define LINEAGE_PRODUCER \
	"https://github.com/dtecert/dtecert/tree/v" DTECERT_VERSION
/* The schema of dtecert's own run facet, documented in docs/lineage.md. */
#define LINEAGE_FACET_SCHEMA_URL \
	"https://github.com/dtecert/dtecert/blob/v" DTECERT_VERSION \
	"/docs/lineage.md#the-dtecert_certificate-run-facet"

typedef struct LineageDataset
{
	const char *namespace;		/* postgres://host:port, or an external one */
	const char *name;			/* db.schema.table */
} LineageDataset;

typedef struct LineageColumn
{
	const char *name;
	const char *type;			/* format_type */
	bool		is_number;		/* min, max and sum are metrics */
} LineageColumn;

/* One check's result (tier criteria are not assertions). */
typedef struct LineageAssertion
{
	const char *name;
	const char *kind;
	const char *column;			/* a single column, or NULL */
	const char *severity;
	bool		success;
	const char *expected;		/* JSON text, or NULL */
	const char *observed;		/* JSON text, or NULL */
	bool		has_counts;
	int64		unexpected_count;
} LineageAssertion;

typedef struct LineageRun
{
	const char *run_id;
	const char *start_time;		/* RFC 3339, UTC */
	const char *end_time;
	const char *job_namespace;
	const char *job_name;		/* db.schema.table.certify */
	LineageDataset dataset;
	LineageColumn *columns;
	int			ncolumns;
	const char *profile;		/* the certificate's profile (JSON), or NULL */
	LineageAssertion *assertions;
	int			nassertions;

	/* the verdict */
	int64		certificate_id;
	bool		certified;
	const char *status;
	const char *tier_required;	/* or NULL */
	const char *tier_achieved;	/* or NULL */
	bool		has_score;
	double		score;
	const char *failure;		/* errorMessage of a FAIL event */
	const char *chain_head;		/* the certificate's seal: the dataset's
								 * chain head when it was issued */

	/* the pipeline job: a JobEvent when has_pipeline */
	bool		has_pipeline;
	const char *pipeline_namespace;
	const char *pipeline_name;
	LineageDataset *inputs;
	int			ninputs;
} LineageRun;

extern char *lineage_event_start(const LineageRun *run);
extern char *lineage_event_end(const LineageRun *run);	/* COMPLETE or FAIL */
extern char *lineage_event_job(const LineageRun *run);

#endif							/* DTECERT_LINEAGE_EVENT_H */
