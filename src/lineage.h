/*-------------------------------------------------------------------------
 *
 * lineage.h
 *	  OpenLineage events of certifications (DESIGN section 7): written to
 *	  dtecert.lineage_outbox in the certifying transaction, delivered by a
 *	  background worker.  (Placeholder: the lineage work replaces it.)
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

#endif							/* DTECERT_LINEAGE_H */
