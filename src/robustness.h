/*-------------------------------------------------------------------------
 *
 * robustness.h
 *	  Drift against the baseline certificate: the bins counted in the shared
 *	  scan, the robustness criterion, and the distributions a certificate
 *	  keeps (robustness.c; the counting aggregates are in agg_bins.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTECERT_ROBUSTNESS_H
#define DTECERT_ROBUSTNESS_H

#include "postgres.h"

#include "certify.h"
#include "plan.h"

typedef struct RobustColumn
{
	BoundColumn *column;
	bool		numeric;		/* binned by edges; else by its top values */
	char	   *value_sql;		/* the value the bins apply to */
	/* this run's bins, from a sample: float8[] edges or text[] values */
	Datum		own_bins;		/* 0: the sample held no value */
	int			own_column;		/* scan output: their int8[] counts */
	/* the baseline's bins, when it binned this column the same way */
	bool		has_baseline;
	Datum		base_bins;
	Datum		base_counts;	/* int8[], as the baseline counted them */
	int			base_column;	/* scan output: today's counts in them */
} RobustColumn;

typedef struct RobustnessPlan
{
	int			ncolumns;
	RobustColumn *columns;
	int64		baseline_id;	/* the baseline certificate; 0: none yet */
	int64		baseline_rows;
} RobustnessPlan;

/* Adds the bins' aggregates to the shared scan (plan_scan calls it). */
extern void robustness_plan(ScanPlan *plan, BoundPolicy *bp, Relation rel);
extern void robustness_outcome(BoundPolicy *bp, ScanPlan *plan,
							   ScanResult *result, Outcome *o,
							   CriterionState *cs);
/* {"column": {"kind", "bins", "counts"}, ...}, or NULL without robustness */
extern char *robustness_distributions(ScanPlan *plan, ScanResult *result);

/* binning, shared with explainability.c */
extern bool robustness_binned_by_value(Oid basetypid);
extern char *robustness_value_sql(BoundColumn *column, bool numeric);
extern Datum robustness_sample_bins(BoundPolicy *bp, Relation rel,
									const char *value_sql, bool numeric,
									const char *name, bool *found);

#endif							/* DTECERT_ROBUSTNESS_H */
