/*-------------------------------------------------------------------------
 *
 * outcome.h
 *	  Turn what the queries counted into one Outcome per check and per
 *	  tier criterion: passed or not, observed and expected values (JSON in
 *	  the shape Great Expectations reports), and the reason of a failure.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTECERT_OUTCOME_H
#define DTECERT_OUTCOME_H

#include "bind.h"
#include "certify.h"
#include "plan.h"

extern void outcome_check(BoundCheck *bc, bool counted, int64 element_count,
						  int64 unexpected_count, int scans, Outcome *o);
extern void outcome_aggregate(BoundCheck *bc, Datum value, bool isnull, Oid type,
							  int64 element_count, int scans, Outcome *o);
extern void outcome_catalog(BoundCheck *bc, Relation rel, Outcome *o);
extern void outcome_schema(BoundPolicy *bp, Relation rel, ScanPlan *plan,
						   ScanResult *result, Outcome *o, CriterionState *cs);
extern void outcome_freshness(BoundPolicy *bp, ScanPlan *plan, TimestampTz now,
							  ScanResult *result, Outcome *o, CriterionState *cs);
extern void outcome_lineage(BoundPolicy *bp, Outcome *o, CriterionState *cs);

#endif							/* DTECERT_OUTCOME_H */
