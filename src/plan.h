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

/* The shared scan; column numbers are 1-based, 0 = not computed. */
typedef struct ScanPlan
{
	SqlQuery		query;
	int			ncolumns;
	int			total_column;	/* count(*) */
	int			freshness_column;	/* max(freshness column)::timestamptz */
	int		   *element_column; /* per check: rows it considers */
	int		   *unexpected_column;	/* per check: rows that fail it */
	int		   *schema_nulls_column;	/* per schema column: NULL count */
} ScanPlan;

extern ScanPlan *plan_scan(BoundPolicy *bp);
extern bool check_in_scan(const BoundCheck *bc);
extern SqlQuery *plan_unique_query(BoundPolicy *bp, BoundCheck *bc);
extern SqlQuery *plan_references_query(BoundPolicy *bp, BoundCheck *bc);

#endif							/* DTECERT_PLAN_H */
