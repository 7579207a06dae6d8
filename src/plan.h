/*-------------------------------------------------------------------------
 *
 * plan.h
 *	  Compile a bound policy into SQL: one aggregate query that evaluates
 *	  every row-level check in a single scan, plus the few queries that
 *	  cannot share it (uniqueness and referential checks without a proof).
 *
 *	  Generated SQL names every function, operator and type with its schema
 *	  and quotes every identifier; values are parameters, never text.  The
 *	  only policy text that becomes SQL is the documented expressions
 *	  (where:, sql's failing_rows), which bind.c has proven to be exactly one
 *	  expression each.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTECERT_PLAN_H
#define DTECERT_PLAN_H

#include "postgres.h"

#include "lib/stringinfo.h"

#include "bind.h"

typedef struct SqlQuery
{
	StringInfoData sql;
	int			nparams;
	int			maxparams;
	Oid		   *paramtypes;
	Datum	   *params;
} SqlQuery;

/*
 * How failing rows are ordered for samples: by (primary key..., value), or
 * by (value, tableoid, ctid) for a table without one, so that a serial and a
 * parallel scan keep the same rows.  A view has neither: its samples are
 * ordered by value alone.
 */
typedef struct SampleKey
{
	int			nkeys;			/* key columns (ctid counts as one) */
	char	   *key_sql;		/* "pk1, pk2" or "tableoid, ctid" */
	bool		value_first;	/* (value, key) rather than (key, value) */
	bool		by_ctid;		/* key is (tableoid, ctid) */
	bool		one_relation;	/* no partitions or children: tableoid is noise */
} SampleKey;

/*
 * A column of the dataset profiled in the shared scan (profile.c): most of
 * its profile is one element of a dtecert.profile_agg result; the mean and
 * sum of float columns come from PostgreSQL's own aggregates.
 */
typedef struct ProfileColumn
{
	const char *name;
	Oid			typid;
	int32		typmod;
	AttrNumber	attnum;
	int			profile_column; /* the dtecert.profile_agg output column */
	int			profile_index;	/* 1-based element of its text[] */
	int			mean_column;
	int			sum_column;
} ProfileColumn;

/*
 * Where a count comes from.  The scan computes each thing once: a check
 * without where: reads its column's non-NULL count from the profile, and a
 * sampled check counts its failing rows in the same aggregate that keeps
 * their sample, so no predicate is evaluated twice.
 */
typedef enum CountSource
{
	COUNT_NONE = 0,
	COUNT_COLUMN,				/* an int8 output column */
	COUNT_SAMPLE,				/* the matched count of a dtecert.sample_result */
	COUNT_TOTAL,				/* the table's row count */
	COUNT_PROFILE_VALUES,		/* a profiled column's non-NULL count */
	COUNT_PROFILE_NULLS			/* a profiled column's NULL count */
} CountSource;

typedef struct CountRef
{
	CountSource source;
	int			column;			/* output column, or index into profile */
} CountRef;

/* The shared scan; column numbers are 1-based, 0 = not computed. */
typedef struct ScanPlan
{
	SqlQuery	query;
	int			ncolumns;
	int			total_column;	/* count(*) */
	int			freshness_column;	/* max(freshness column)::timestamptz */
	CountRef   *element;		/* per check: rows it considers */
	CountRef   *unexpected;		/* per check: rows that fail it */
	int		   *unique_column;	/* per check: its dtecert.unique_result */
	int		   *aggregate_column;	/* per check: the aggregate it bounds */
	int		   *order_column;	/* per check: its dtecert.order_result */
	int		   *sample_column;	/* per check: its dtecert.sample_result */
	CountRef   *schema_nulls;	/* per schema column: NULL count */
	SampleKey	sample_key;
	int			sample_size;	/* 0: no samples */
	int64		expected_rows;	/* the planner's estimate of the table's rows */
	int			nprofile;
	ProfileColumn *profile;
	struct RobustnessPlan *robustness;	/* NULL: no robustness section */
	int		   *fairness_column;	/* per protected entry: group counts */
	struct ExplainPlan *explain;	/* NULL: no explainability section */
} ScanPlan;

/* The one row the shared scan returns. */
typedef struct ScanResult
{
	HeapTuple	row;
	TupleDesc	desc;
	int64	   *profile_counts; /* non-NULL count per profiled column */
} ScanResult;

extern ScanPlan *plan_scan(BoundPolicy *bp, bool with_samples);
extern int64 scan_count(ScanResult *result, int column);
extern int64 scan_count_ref(ScanPlan *plan, ScanResult *result, CountRef ref);
extern Datum scan_value(ScanResult *result, int column, bool *isnull);
extern int	plan_add_column(ScanPlan *plan, const char *aggregate_sql);
extern char *query_param(SqlQuery *q, Oid type, Datum value);

/* profile.c */
extern void profile_plan(ScanPlan *plan, Relation rel);
extern char *profile_json(ScanPlan *plan, ScanResult *result);
extern void profile_read_counts(ScanPlan *plan, ScanResult *result);
extern int	profile_index_of(ScanPlan *plan, AttrNumber attnum);
extern bool check_in_scan(const BoundCheck *bc);
extern SqlQuery *plan_unique_query(BoundPolicy *bp, BoundCheck *bc);
extern SqlQuery *plan_references_query(BoundPolicy *bp, BoundCheck *bc);
extern SqlQuery *plan_distinct_query(BoundPolicy *bp, BoundCheck *bc);
extern SqlQuery *plan_median_query(BoundPolicy *bp, BoundCheck *bc);
extern SqlQuery *plan_increasing_query(BoundPolicy *bp, BoundCheck *bc);

#endif							/* DTECERT_PLAN_H */
