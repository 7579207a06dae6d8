/*-------------------------------------------------------------------------
 *
 * mltrust.h
 *	  The high tier's model criteria (DESIGN section 3): fairness
 *	  (fairness.c) and explainability (explainability.c), both counted in
 *	  the shared scan by dtecert.group_counts_agg (agg_groups.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTECERT_MLTRUST_H
#define DTECERT_MLTRUST_H

#include "postgres.h"

#include "certify.h"
#include "plan.h"

/* One group of a dtecert.group_counts_agg result. */
typedef struct GroupCounts
{
	int64		tp;
	int64		fp;
	int64		tn;
	int64		fn;
	int64		missing;		/* label or prediction NULL */
	int64		bad_label;		/* label neither 0 nor 1 */
	char	  **key;			/* nkeys elements, NULL for a NULL value */
	bool		has_null_key;
} GroupCounts;

extern GroupCounts *group_counts_read(ScanResult *result, int column, int nkeys,
									  int *ngroups);
extern char *group_key_sql(BoundColumn *columns, int ncolumns);
extern void json_double(StringInfo b, double value);

/* fairness.c */
extern void fairness_plan(ScanPlan *plan, BoundPolicy *bp);
extern void fairness_outcome(BoundPolicy *bp, ScanPlan *plan, ScanResult *result,
							 Outcome *o, CriterionState *cs);

/* explainability.c */
extern void explainability_plan(ScanPlan *plan, BoundPolicy *bp, Relation rel);
extern void explainability_outcome(BoundPolicy *bp, ScanPlan *plan,
								   ScanResult *result, Outcome *o,
								   CriterionState *cs);

#endif							/* DTECERT_MLTRUST_H */
