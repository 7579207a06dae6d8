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
 * sum of non-integer numbers come from PostgreSQL's own aggregates.
 */
typedef struct ProfileColumn
{
	const char *name;
	Oid			typid;
	int32		typmod;
	int			profile_column; /* the dtecert.profile_agg output column */
	int			profile_index;	/* 1-based element of its text[] */
	int			mean_column;
	int			sum_column;
} ProfileColumn;

/* The shared scan; column numbers are 1-based, 0 = not computed. */
typedef struct ScanPlan
{
	SqlQuery	query;
	int			ncolumns;
	int			total_column;	/* count(*) */
	int			freshness_column;	/* max(freshness column)::timestamptz */
	int		   *element_column; /* per check: rows it considers */
	int		   *unexpected_column;	/* per check: rows that fail it */
	int		   *unique_column;	/* per check: its dtecert.unique_result */
	int		   *sample_column;	/* per check: its failing samples */
	int		   *schema_nulls_column;	/* per schema column: NULL count */
	SampleKey	sample_key;
	int			sample_size;	/* 0: no samples */
	int64		expected_rows;	/* the planner's estimate of the table's rows */
	int			nprofile;
	ProfileColumn *profile;
} ScanPlan;

/* The one row the shared scan returns. */
typedef struct ScanResult
{
	HeapTuple	row;
	TupleDesc	desc;
} ScanResult;

extern ScanPlan *plan_scan(BoundPolicy *bp, bool with_samples);
extern int64 scan_count(ScanResult *result, int column);
extern Datum scan_value(ScanResult *result, int column, bool *isnull);
extern int	plan_add_column(ScanPlan *plan, const char *aggregate_sql);

/* profile.c */
extern void profile_plan(ScanPlan *plan, Relation rel);
extern char *profile_json(ScanPlan *plan, ScanResult *result);
extern bool check_in_scan(const BoundCheck *bc);
extern SqlQuery *plan_unique_query(BoundPolicy *bp, BoundCheck *bc);
extern SqlQuery *plan_references_query(BoundPolicy *bp, BoundCheck *bc);

#endif							/* DTECERT_PLAN_H */
