/*-------------------------------------------------------------------------
 *
 * robustness.c
 *	  Drift (DESIGN section 3, robustness): the distribution of each column
 *	  the policy watches, compared with the baseline, the profile of the
 *	  dataset's last certified certificate.
 *
 *	  A distribution is a set of bins and an exact count per bin: for numbers
 *	  (and dates and times, by their epoch) the decile edges of the data,
 *	  with below-range, above-range and NULL bins; for anything else the 20
 *	  most frequent values, with "any other value" and NULL bins.  The bins
 *	  must be known before the scan so that the scan can count exactly:
 *
 *	  - the baseline's bins come from the baseline certificate, so the
 *		current data is counted in the very bins the baseline was, and an
 *		unchanged table gives a PSI of exactly 0;
 *	  - this run's own bins (kept for when it becomes the baseline) come
 *		from a sample read before the scan (TABLESAMPLE SYSTEM, REPEATABLE,
 *		about ROBUSTNESS_SAMPLE_ROWS rows; all rows of a small table).
 *
 *	  PSI = sum over bins of (q - p) * ln(q / p), p the baseline's share of
 *	  rows in a bin and q the current one; an empty bin's share is taken as
 *	  PSI_EPSILON so that the logarithm stays finite.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "dtecert.h"
#include "robustness.h"

/* Rows the sample that sets this run's bins aims at. */
#define ROBUSTNESS_SAMPLE_ROWS	30000

/* Share given to an empty bin in PSI (a common choice; documented). */
#define PSI_EPSILON	0.0001

/* Most frequent values kept as categories. */
#define TOP_VALUES	20

static const char *const decile_fractions =
"'{0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1}'::pg_catalog.float8[]";

/* Numbers, and dates and times by their epoch, are binned by value. */
bool
robustness_binned_by_value(Oid basetypid)
{
	switch (basetypid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return true;
		default:
			return false;
	}
}

char *
robustness_value_sql(BoundColumn *column, bool numeric)
{
	if (!numeric)
		return psprintf("(%s)::pg_catalog.text", column->sql);
	if (column->basetypid == DATEOID || column->basetypid == TIMESTAMPOID ||
		column->basetypid == TIMESTAMPTZOID)
		/* read with TimeZone pinned to UTC (dtecert_pin_settings) */
		return psprintf("pg_catalog.date_part('epoch', (%s)::pg_catalog.timestamptz)",
						column->sql);
	return psprintf("(%s)::pg_catalog.float8", column->sql);
}

/* ---- the baseline ---- */

/*
 * The last certified certificate's distributions, matched to the columns
 * (a column it did not bin the same way has no baseline).
 */
static void
read_baseline(RobustnessPlan *rp, const char *dataset)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(dataset)};
	uint64		row;
	int			ret;
	int			i;

	ret = SPI_execute_with_args(
		"SELECT c.certificate_id, (c.profile OPERATOR(pg_catalog.->>) 'row_count')::pg_catalog.int8,"
		"       d.key, d.value OPERATOR(pg_catalog.->>) 'kind',"
		"       CASE WHEN d.value OPERATOR(pg_catalog.->>) 'kind' OPERATOR(pg_catalog.=) 'numeric'"
		"            THEN ARRAY(SELECT x::pg_catalog.float8 FROM pg_catalog.jsonb_array_elements_text("
		"                 d.value OPERATOR(pg_catalog.->) 'bins') x) END,"
		"       CASE WHEN d.value OPERATOR(pg_catalog.->>) 'kind' OPERATOR(pg_catalog.=) 'categorical'"
		"            THEN ARRAY(SELECT pg_catalog.jsonb_array_elements_text("
		"                 d.value OPERATOR(pg_catalog.->) 'bins')) END,"
		"       ARRAY(SELECT x::pg_catalog.int8 FROM pg_catalog.jsonb_array_elements_text("
		"             d.value OPERATOR(pg_catalog.->) 'counts') x)"
		"  FROM (SELECT * FROM dtecert.certificates"
		"         WHERE dataset OPERATOR(pg_catalog.=) $1 AND status OPERATOR(pg_catalog.=) 'certified'"
		"         ORDER BY certificate_id DESC LIMIT 1) c"
		"  LEFT JOIN LATERAL pg_catalog.jsonb_each(c.profile OPERATOR(pg_catalog.->) 'distributions') d"
		"    ON true",
		1, argtypes, args, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the baseline of %s: %s", dataset,
			 SPI_result_code_string(ret));
	for (row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *name;
		char	   *kind;
		Datum		bins;
		Datum		counts;

		rp->baseline_id = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &isnull));
		rp->baseline_rows = DatumGetInt64(SPI_getbinval(tuple, desc, 2, &isnull));
		name = SPI_getvalue(tuple, desc, 3);
		kind = SPI_getvalue(tuple, desc, 4);
		if (name == NULL || kind == NULL)
			continue;
		for (i = 0; i < rp->ncolumns; i++)
		{
			RobustColumn *rc = &rp->columns[i];

			if (strcmp(rc->column->name, name) != 0 ||
				strcmp(kind, rc->numeric ? "numeric" : "categorical") != 0)
				continue;
			bins = SPI_getbinval(tuple, desc, rc->numeric ? 5 : 6, &isnull);
			if (isnull)
				continue;
			counts = SPI_getbinval(tuple, desc, 7, &isnull);
			rc->base_bins = datumCopy(bins, false, -1);
			rc->base_counts = datumCopy(counts, false, -1);
			rc->has_baseline = true;
		}
	}
	SPI_freetuptable(SPI_tuptable);
}

/* ---- this run's own bins, from a sample ---- */

/* FROM clause of the sample: a few pages of a large table, else all of it. */
static char *
sample_source(BoundPolicy *bp, Relation rel, Datum *percent)
{
	char		relkind = rel->rd_rel->relkind;
	double		rows = rel->rd_rel->reltuples;

	if ((relkind != RELKIND_RELATION && relkind != RELKIND_MATVIEW) ||
		rows <= ROBUSTNESS_SAMPLE_ROWS)
		return bp->relation_sql;
	*percent = Float4GetDatum((float4) Min(100.0, 100.0 * ROBUSTNESS_SAMPLE_ROWS / rows));
	/* REPEATABLE: the same pages of an unchanged table give the same bins */
	return psprintf("%s TABLESAMPLE SYSTEM ($1) REPEATABLE (0)", bp->relation_sql);
}

/*
 * The bins of a value (numeric: decile edges; else the most frequent
 * values) from a sample of the table; *found is false when it held none.
 * Explainability bins its features the same way.
 */
Datum
robustness_sample_bins(BoundPolicy *bp, Relation rel, const char *value_sql,
					   bool numeric, const char *name, bool *found)
{
	Datum		percent = 0;
	char	   *source = sample_source(bp, rel, &percent);
	Oid			argtypes[1] = {FLOAT4OID};
	Datum		args[1] = {percent};
	char	   *sql;
	SavedIdentity saved;
	bool		isnull;
	Datum		bins;
	int			ret;

	if (numeric)
		sql = psprintf("SELECT ARRAY(SELECT DISTINCT e FROM pg_catalog.unnest(q.p) e ORDER BY e)"
					   "  FROM (SELECT pg_catalog.percentile_disc(%s) WITHIN GROUP (ORDER BY v) AS p"
					   "          FROM (SELECT %s AS v FROM %s) s"
					   "         WHERE v OPERATOR(pg_catalog.<>) 'NaN'::pg_catalog.float8) q",
					   decile_fractions, value_sql, source);
	else
		sql = psprintf("SELECT ARRAY(SELECT v FROM (SELECT %s AS v, pg_catalog.count(*) AS n"
					   "                              FROM %s GROUP BY 1) s"
					   "              WHERE v IS NOT NULL"
					   "              ORDER BY n DESC, v COLLATE \"C\" LIMIT %d)",
					   value_sql, source, TOP_VALUES);

	dtecert_become_owner(bp->owner, &saved);
	ret = SPI_execute_with_args(sql, percent ? 1 : 0, argtypes, args, NULL, true, 1);
	dtecert_restore_identity(&saved);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not sample column %s: %s", name,
			 SPI_result_code_string(ret));
	bins = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	*found = !isnull && ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(bins)),
									   ARR_DIMS(DatumGetArrayTypeP(bins))) > 0;
	if (*found)
		bins = datumCopy(bins, false, -1);
	SPI_freetuptable(SPI_tuptable);
	return *found ? bins : (Datum) 0;
}

static Datum
sample_bins(BoundPolicy *bp, Relation rel, RobustColumn *rc, bool *found)
{
	return robustness_sample_bins(bp, rel, rc->value_sql, rc->numeric,
								  rc->column->name, found);
}

/* ---- the scan's columns ---- */

static int
add_bins_column(ScanPlan *plan, RobustColumn *rc, Datum bins)
{
	const char *param = query_param(&plan->query, rc->numeric ? FLOAT8ARRAYOID : TEXTARRAYOID,
									bins);

	return plan_add_column(plan, psprintf("dtecert.%s(%s, %s)",
										  rc->numeric ? "bins_agg" : "categories_agg",
										  rc->value_sql, param));
}

void
robustness_plan(ScanPlan *plan, BoundPolicy *bp, Relation rel)
{
	Policy	   *p = bp->policy;
	RobustnessPlan *rp;
	int			i;

	if (!p->has_robustness || bp->robustness_error != NULL)
		return;
	rp = palloc0(sizeof(RobustnessPlan));
	rp->ncolumns = p->nrobustness_columns;
	rp->columns = palloc0(sizeof(RobustColumn) * rp->ncolumns);
	for (i = 0; i < rp->ncolumns; i++)
	{
		RobustColumn *rc = &rp->columns[i];

		rc->column = &bp->robustness_columns[i];
		rc->numeric = robustness_binned_by_value(rc->column->basetypid);
		rc->value_sql = robustness_value_sql(rc->column, rc->numeric);
	}
	read_baseline(rp, bp->dataset);

	for (i = 0; i < rp->ncolumns; i++)
	{
		RobustColumn *rc = &rp->columns[i];
		bool		found;

		rc->own_bins = sample_bins(bp, rel, rc, &found);
		if (found)
			rc->own_column = add_bins_column(plan, rc, rc->own_bins);
		if (!rc->has_baseline)
			continue;
		/* unchanged data samples the same bins: count them once */
		if (found && datumIsEqual(rc->own_bins, rc->base_bins, false, -1))
			rc->base_column = rc->own_column;
		else
			rc->base_column = add_bins_column(plan, rc, rc->base_bins);
	}
	plan->robustness = rp;
}

/* ---- reading the counts ---- */

/* An int8[] as a palloc'd array of n counts. */
static int64 *
counts_of(Datum array, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	int64	   *counts;
	int			i;

	deconstruct_array(DatumGetArrayTypeP(array), INT8OID, sizeof(int64),
					  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, n);
	counts = palloc(sizeof(int64) * Max(*n, 1));
	for (i = 0; i < *n; i++)
		counts[i] = nulls[i] ? 0 : DatumGetInt64(elems[i]);
	return counts;
}

/* The scan's counts of an output column; zeros (n of them) when no row. */
static int64 *
scan_counts(ScanResult *result, int column, int n_expected, int *n)
{
	bool		isnull;
	Datum		value = scan_value(result, column, &isnull);

	if (isnull)
	{
		*n = n_expected;
		return palloc0(sizeof(int64) * Max(n_expected, 1));
	}
	return counts_of(value, n);
}

static int64
total_of(const int64 *counts, int n)
{
	int64		total = 0;
	int			i;

	for (i = 0; i < n; i++)
		total += counts[i];
	return total;
}

/* Population stability index of two count vectors over the same bins. */
static double
psi(const int64 *base, const int64 *cur, int n)
{
	double		base_total = (double) total_of(base, n);
	double		cur_total = (double) total_of(cur, n);
	double		sum = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		double		p = base[i] > 0 ? base[i] / base_total : PSI_EPSILON;
		double		q = cur[i] > 0 ? cur[i] / cur_total : PSI_EPSILON;

		sum += (q - p) * log(q / p);
	}
	return sum;
}

static void
json_number(StringInfo b, double value)
{
	if (isnan(value) || isinf(value))
		appendStringInfoString(b, "null");
	else
		appendStringInfo(b, "%.6g", value);
}

typedef struct Drift
{
	StringInfoData observed;
	StringInfoData problems;
} Drift;

static void
drift_problem(Drift *d, const char *problem)
{
	if (d->problems.len > 0)
		appendStringInfoString(&d->problems, "; ");
	appendStringInfoString(&d->problems, problem);
}

/* One column's comparison with the baseline, appended to the observations. */
static void
compare_column(Policy *p, RobustColumn *rc, ScanResult *result, Drift *d)
{
	int			nbase;
	int			ncur;
	int64	   *base = counts_of(rc->base_counts, &nbase);
	int64	   *cur = scan_counts(result, rc->base_column, nbase, &ncur);
	int64		base_total = total_of(base, nbase);
	int64		cur_total = total_of(cur, ncur);
	double		value_psi;
	double		base_null;
	double		cur_null;

	if (ncur != nbase)
		elog(ERROR, "robustness of %s: %d bins against the baseline's %d",
			 rc->column->name, ncur, nbase);
	appendStringInfoString(&d->observed, ", \"psi\": ");
	if (base_total == 0 || cur_total == 0)
	{
		/* rows on one side only: as far apart as two distributions get */
		appendStringInfoString(&d->observed, "null}");
		if (p->has_psi_max && base_total != cur_total)
			drift_problem(d, psprintf("%s: %s rows to compare", rc->column->name,
									  cur_total == 0 ? "no" : "no baseline"));
		return;
	}
	value_psi = psi(base, cur, nbase);
	base_null = (double) base[0] / base_total;
	cur_null = (double) cur[0] / cur_total;
	json_number(&d->observed, value_psi);
	appendStringInfoString(&d->observed, ", \"null_rate\": ");
	json_number(&d->observed, cur_null);
	appendStringInfoString(&d->observed, ", \"baseline_null_rate\": ");
	json_number(&d->observed, base_null);
	appendStringInfoString(&d->observed, ", \"null_rate_change\": ");
	json_number(&d->observed, fabs(cur_null - base_null));
	appendStringInfoChar(&d->observed, '}');

	if (p->has_psi_max && value_psi > p->psi_max)
		drift_problem(d, psprintf("%s: PSI %.3g > %g", rc->column->name, value_psi,
								  p->psi_max));
	if (p->has_null_rate_change_max &&
		fabs(cur_null - base_null) > p->null_rate_change_max)
		drift_problem(d, psprintf("%s: NULL rate changed by %.3g > %g",
								  rc->column->name, fabs(cur_null - base_null),
								  p->null_rate_change_max));
}

static void
compare_row_count(Policy *p, RobustnessPlan *rp, int64 rows, Drift *d)
{
	double		change;

	appendStringInfo(&d->observed, ", \"row_count\": " INT64_FORMAT
					 ", \"baseline_row_count\": " INT64_FORMAT ", \"row_count_change\": ",
					 rows, rp->baseline_rows);
	change = rp->baseline_rows > 0 ?
		fabs((double) (rows - rp->baseline_rows)) / rp->baseline_rows :
		(rows > 0 ? INFINITY : 0);
	json_number(&d->observed, change);
	if (p->has_row_count_change_max && change > p->row_count_change_max)
		drift_problem(d, psprintf("row count changed by %.3g > %g", change,
								  p->row_count_change_max));
}

static char *
expected_limits(Policy *p)
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfoString(&b, "{\"baseline\": \"last_certified\", \"psi_max\": ");
	if (p->has_psi_max)
		json_number(&b, p->psi_max);
	else
		appendStringInfoString(&b, "null");
	appendStringInfoString(&b, ", \"null_rate_change_max\": ");
	if (p->has_null_rate_change_max)
		json_number(&b, p->null_rate_change_max);
	else
		appendStringInfoString(&b, "null");
	appendStringInfoString(&b, ", \"row_count_change_max\": ");
	if (p->has_row_count_change_max)
		json_number(&b, p->row_count_change_max);
	else
		appendStringInfoString(&b, "null");
	appendStringInfoChar(&b, '}');
	return b.data;
}

void
robustness_outcome(BoundPolicy *bp, ScanPlan *plan, ScanResult *result,
				   Outcome *o, CriterionState *cs)
{
	Policy	   *p = bp->policy;
	RobustnessPlan *rp = plan->robustness;
	Drift		d;
	int			i;

	memset(o, 0, sizeof(Outcome));
	o->name = "robustness";
	o->kind = "robustness";
	o->expected = expected_limits(p);
	cs->declared = true;
	if (bp->robustness_error != NULL)
	{
		o->reason = bp->robustness_error;
		cs->detail = o->reason;
		return;
	}
	initStringInfo(&d.observed);
	initStringInfo(&d.problems);
	if (rp->baseline_id == 0)
	{
		/* a first certification: nothing to drift from, it becomes the baseline */
		appendStringInfoString(&d.observed, "{\"baseline\": \"baseline_established\"}");
		o->observed = d.observed.data;
		o->passed = cs->passed = true;
		return;
	}
	appendStringInfo(&d.observed, "{\"baseline_certificate_id\": " INT64_FORMAT,
					 rp->baseline_id);
	compare_row_count(p, rp, scan_count(result, plan->total_column), &d);
	appendStringInfoString(&d.observed, ", \"columns\": [");
	for (i = 0; i < rp->ncolumns; i++)
	{
		RobustColumn *rc = &rp->columns[i];

		appendStringInfoString(&d.observed, i ? ", {\"column\": " : "{\"column\": ");
		escape_json(&d.observed, rc->column->name);
		if (!rc->has_baseline)
			appendStringInfoString(&d.observed, ", \"baseline\": \"baseline_established\"}");
		else
			compare_column(p, rc, result, &d);
	}
	appendStringInfoString(&d.observed, "]}");
	o->observed = d.observed.data;
	o->passed = cs->passed = d.problems.len == 0;
	if (!o->passed)
		o->reason = cs->detail = d.problems.data;
}

/* ---- what the certificate keeps ---- */

static void
json_bins(StringInfo b, RobustColumn *rc)
{
	ArrayType  *array = DatumGetArrayTypeP(rc->own_bins);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	if (rc->numeric)
		deconstruct_array(array, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
						  TYPALIGN_DOUBLE, &elems, &nulls, &n);
	else
		deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	appendStringInfoChar(b, '[');
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(b, ", ");
		if (rc->numeric)
			/* the shortest text that reads back as the same float8 */
			appendStringInfoString(b, float8out_internal(DatumGetFloat8(elems[i])));
		else
			escape_json(b, TextDatumGetCString(elems[i]));
	}
	appendStringInfoChar(b, ']');
}

char *
robustness_distributions(ScanPlan *plan, ScanResult *result)
{
	RobustnessPlan *rp = plan->robustness;
	StringInfoData b;
	bool		any = false;
	int			i;
	int			j;

	if (rp == NULL)
		return NULL;
	initStringInfo(&b);
	appendStringInfoChar(&b, '{');
	for (i = 0; i < rp->ncolumns; i++)
	{
		RobustColumn *rc = &rp->columns[i];
		int			n;
		int64	   *counts;

		if (rc->own_column == 0)
			continue;			/* no values to bin */
		counts = scan_counts(result, rc->own_column, 0, &n);
		if (n == 0)
			continue;			/* no rows */
		appendStringInfoString(&b, any ? ", " : "");
		escape_json(&b, rc->column->name);
		appendStringInfo(&b, ": {\"kind\": \"%s\", \"bins\": ",
						 rc->numeric ? "numeric" : "categorical");
		json_bins(&b, rc);
		appendStringInfoString(&b, ", \"counts\": [");
		for (j = 0; j < n; j++)
			appendStringInfo(&b, "%s" INT64_FORMAT, j ? ", " : "", counts[j]);
		appendStringInfoString(&b, "]}");
		any = true;
	}
	appendStringInfoChar(&b, '}');
	return b.data;
}
