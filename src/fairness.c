/*-------------------------------------------------------------------------
 *
 * fairness.c
 *	  Fairness of a prediction against an observed label across groups
 *	  (DESIGN section 3; definitions as in Fairlearn and AIF360, spelled out
 *	  in docs/ml-trust.md).
 *
 *	  For each protected entry (a column, or an intersection of columns)
 *	  the shared scan counts, per group, the confusion matrix (tp, fp, tn,
 *	  fn) with dtecert.group_counts_agg.  From it, per group: base rate,
 *	  selection rate, TPR, FPR, TNR, FNR, PPV; and across the groups of at
 *	  least min_group_size evaluated rows (a group with a NULL value is
 *	  reported, never compared), the summary metrics:
 *
 *	  - without a reference group, a difference is max - min over the
 *		groups, and disparate_impact is min / max of the selection rates;
 *	  - with one, a difference is the largest |group - reference|, and
 *		disparate_impact the smallest group / reference ratio;
 *	  - equalized_odds_difference is the larger of the TPR and FPR
 *		differences; average_odds_difference the largest
 *		|((FPR_a - FPR_b) + (TPR_a - TPR_b)) / 2| over the pairs compared.
 *
 *	  A rate whose denominator is zero is undefined (null) and leaves its
 *	  group out of that metric; a metric compared over fewer than two groups
 *	  is null, and a limit on a null metric fails, saying why.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"

#include "mltrust.h"

/* The rates of a group, NAN where undefined. */
typedef enum Rate
{
	RATE_BASE = 0,
	RATE_SELECTION,
	RATE_TPR,
	RATE_FPR,
	RATE_TNR,
	RATE_FNR,
	RATE_PPV,
	RATE_COUNT
} Rate;

static const char *const rate_names[RATE_COUNT] = {
	"base_rate", "selection_rate", "tpr", "fpr", "tnr", "fnr", "ppv"
};

typedef struct FairGroup
{
	GroupCounts *counts;
	int64		evaluated;		/* tp + fp + tn + fn */
	bool		included;		/* compared in the metrics */
	bool		reference;
	double		rates[RATE_COUNT];
} FairGroup;

typedef struct FairEntry
{
	PolicyGroupSet *set;
	FairGroup  *groups;
	int			ngroups;
	char	  **reference_key;	/* NULL: no reference group for this entry */
	FairGroup  *reference;		/* the reference group, when compared */
	double		metrics[FAIRNESS_METRIC_COUNT];
	char	   *why_null;		/* why metrics are null, when they are */
} FairEntry;

/* ---- shared with explainability.c ---- */

/* ARRAY[(a)::text, (b)::text]::text[] */
char *
group_key_sql(BoundColumn *columns, int ncolumns)
{
	StringInfoData sql;
	int			i;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "ARRAY[");
	for (i = 0; i < ncolumns; i++)
		appendStringInfo(&sql, "%s(%s)::pg_catalog.text", i ? ", " : "", columns[i].sql);
	appendStringInfoString(&sql, "]::pg_catalog.text[]");
	return sql.data;
}

void
json_double(StringInfo b, double value)
{
	if (isnan(value) || isinf(value))
		appendStringInfoString(b, "null");
	else
		appendStringInfoString(b, float8out_internal(value));
}

static int64
count_of(Datum d)
{
	return DatumGetInt64(DirectFunctionCall1(int8in, CStringGetDatum(TextDatumGetCString(d))));
}

/* The groups of a dtecert.group_counts_agg column; none when no row. */
GroupCounts *
group_counts_read(ScanResult *result, int column, int nkeys, int *ngroups)
{
	bool		isnull;
	Datum		value = scan_value(result, column, &isnull);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			width = 6 + nkeys;
	GroupCounts *groups;
	int			i;
	int			k;

	*ngroups = 0;
	if (isnull)
		return NULL;
	deconstruct_array(DatumGetArrayTypeP(value), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	if (n % width != 0)
		elog(ERROR, "dtecert: group counts of %d elements, not rows of %d", n, width);
	*ngroups = n / width;
	groups = palloc0(sizeof(GroupCounts) * Max(*ngroups, 1));
	for (i = 0; i < *ngroups; i++)
	{
		GroupCounts *g = &groups[i];
		Datum	   *row = elems + i * width;

		g->tp = count_of(row[0]);
		g->fp = count_of(row[1]);
		g->tn = count_of(row[2]);
		g->fn = count_of(row[3]);
		g->missing = count_of(row[4]);
		g->bad_label = count_of(row[5]);
		g->key = palloc0(sizeof(char *) * nkeys);
		for (k = 0; k < nkeys; k++)
		{
			if (nulls[i * width + 6 + k])
				g->has_null_key = true;
			else
				g->key[k] = TextDatumGetCString(row[6 + k]);
		}
	}
	return groups;
}

/* ---- the plan ---- */

void
fairness_plan(ScanPlan *plan, BoundPolicy *bp)
{
	Policy	   *p = bp->policy;
	int			i;

	if (!p->has_fairness || bp->fairness_error != NULL)
		return;
	plan->fairness_column = palloc0(sizeof(int) * p->nfairness_protected);
	for (i = 0; i < p->nfairness_protected; i++)
		plan->fairness_column[i] =
			plan_add_column(plan, psprintf("dtecert.group_counts_agg(%s, %s, %s)",
										   group_key_sql(bp->fairness_columns[i],
														 p->fairness_protected[i].ncolumns),
										   bp->label_sql, bp->prediction_sql));
}

/* ---- per group ---- */

static double
ratio(int64 num, int64 den)
{
	return den > 0 ? (double) num / den : NAN;
}

static void
group_rates(FairGroup *g)
{
	GroupCounts *c = g->counts;

	g->evaluated = c->tp + c->fp + c->tn + c->fn;
	g->rates[RATE_BASE] = ratio(c->tp + c->fn, g->evaluated);
	g->rates[RATE_SELECTION] = ratio(c->tp + c->fp, g->evaluated);
	g->rates[RATE_TPR] = ratio(c->tp, c->tp + c->fn);
	g->rates[RATE_FPR] = ratio(c->fp, c->fp + c->tn);
	g->rates[RATE_TNR] = ratio(c->tn, c->fp + c->tn);
	g->rates[RATE_FNR] = ratio(c->fn, c->tp + c->fn);
	g->rates[RATE_PPV] = ratio(c->tp, c->tp + c->fp);
}

/* The entry's reference key, when reference_group gives all its columns. */
static char **
reference_key(Policy *p, PolicyGroupSet *set)
{
	char	  **key = palloc0(sizeof(char *) * set->ncolumns);
	int			i;
	int			j;

	for (i = 0; i < set->ncolumns; i++)
	{
		for (j = 0; j < p->nreference; j++)
			if (strcmp(p->reference_columns[j], set->columns[i]) == 0)
				key[i] = (char *) p->reference_values[j];
		if (key[i] == NULL)
			return NULL;
	}
	return key;
}

static bool
key_equals(GroupCounts *c, char **key, int nkeys)
{
	int			i;

	if (c->has_null_key)
		return false;
	for (i = 0; i < nkeys; i++)
		if (strcmp(c->key[i], key[i]) != 0)
			return false;
	return true;
}

/* ---- the metrics ---- */

/* max - min over the groups compared, or the largest |g - reference| */
static double
rate_difference(FairEntry *e, Rate rate)
{
	double		lo = INFINITY;
	double		hi = -INFINITY;
	int			n = 0;
	int			i;

	for (i = 0; i < e->ngroups; i++)
	{
		double		r = e->groups[i].rates[rate];

		if (!e->groups[i].included || isnan(r))
			continue;
		if (e->reference != NULL)
		{
			if (isnan(e->reference->rates[rate]))
				return NAN;
			r = fabs(r - e->reference->rates[rate]);
			lo = 0;
		}
		lo = Min(lo, r);
		hi = Max(hi, r);
		n++;
	}
	return n >= 2 ? hi - lo : NAN;
}

static double
disparate_impact(FairEntry *e)
{
	double		lo = INFINITY;
	double		hi = -INFINITY;
	int			n = 0;
	int			i;

	for (i = 0; i < e->ngroups; i++)
	{
		double		r = e->groups[i].rates[RATE_SELECTION];

		if (!e->groups[i].included || isnan(r))
			continue;
		lo = Min(lo, r);
		hi = Max(hi, r);
		n++;
	}
	if (n < 2)
		return NAN;
	if (e->reference == NULL)
		return hi > 0 ? lo / hi : NAN;
	return e->reference->rates[RATE_SELECTION] > 0 ?
		lo / e->reference->rates[RATE_SELECTION] : NAN;
}

static double
odds_gap(FairGroup *a, FairGroup *b)
{
	return fabs(((a->rates[RATE_FPR] - b->rates[RATE_FPR]) +
				 (a->rates[RATE_TPR] - b->rates[RATE_TPR])) / 2);
}

/* The largest |average odds difference| over the pairs compared. */
static double
average_odds(FairEntry *e)
{
	double		worst = NAN;
	int			i;
	int			j;

	for (i = 0; i < e->ngroups; i++)
	{
		FairGroup  *a = &e->groups[i];

		if (!a->included || isnan(a->rates[RATE_FPR]) || isnan(a->rates[RATE_TPR]))
			continue;
		for (j = 0; j < e->ngroups; j++)
		{
			FairGroup  *b = &e->groups[j];
			double		gap;

			if (j == i || !b->included || isnan(b->rates[RATE_FPR]) ||
				isnan(b->rates[RATE_TPR]) ||
				(e->reference != NULL && b != e->reference))
				continue;
			gap = odds_gap(a, b);
			worst = isnan(worst) ? gap : Max(worst, gap);
		}
	}
	return worst;
}

static void
entry_metrics(FairEntry *e)
{
	double	   *m = e->metrics;

	m[FAIRNESS_DEMOGRAPHIC_PARITY_DIFFERENCE] = rate_difference(e, RATE_SELECTION);
	m[FAIRNESS_DISPARATE_IMPACT] = disparate_impact(e);
	m[FAIRNESS_EQUAL_OPPORTUNITY_DIFFERENCE] = rate_difference(e, RATE_TPR);
	m[FAIRNESS_FALSE_POSITIVE_RATE_DIFFERENCE] = rate_difference(e, RATE_FPR);
	m[FAIRNESS_FALSE_NEGATIVE_RATE_DIFFERENCE] = rate_difference(e, RATE_FNR);
	m[FAIRNESS_EQUALIZED_ODDS_DIFFERENCE] =
		(isnan(m[FAIRNESS_EQUAL_OPPORTUNITY_DIFFERENCE]) ||
		 isnan(m[FAIRNESS_FALSE_POSITIVE_RATE_DIFFERENCE])) ? NAN :
		Max(m[FAIRNESS_EQUAL_OPPORTUNITY_DIFFERENCE],
			m[FAIRNESS_FALSE_POSITIVE_RATE_DIFFERENCE]);
	m[FAIRNESS_AVERAGE_ODDS_DIFFERENCE] = average_odds(e);
}

/* Groups, inclusion and the reference of one protected entry. */
static void
build_entry(Policy *p, FairEntry *e, GroupCounts *counts, int ncounts)
{
	int			nincluded = 0;
	int			i;

	e->ngroups = ncounts;
	e->groups = palloc0(sizeof(FairGroup) * Max(ncounts, 1));
	e->reference_key = reference_key(p, e->set);
	for (i = 0; i < ncounts; i++)
	{
		FairGroup  *g = &e->groups[i];

		g->counts = &counts[i];
		group_rates(g);
		g->included = !counts[i].has_null_key && g->evaluated >= p->min_group_size;
		nincluded += g->included;
		if (e->reference_key && g->included &&
			key_equals(g->counts, e->reference_key, e->set->ncolumns))
		{
			g->reference = true;
			e->reference = g;
		}
	}
	if (ncounts == 0)
		e->why_null = "no rows";
	else if (nincluded < 2)
		e->why_null = psprintf("%d group%s of at least %lld rows with a label and a prediction",
							   nincluded, nincluded == 1 ? "" : "s",
							   (long long) p->min_group_size);
	if (e->reference_key && e->reference == NULL)
	{
		/* every metric compares with the reference: none can be computed */
		if (e->why_null == NULL)
			e->why_null = "the reference group has no rows, or fewer than min_group_size";
		for (i = 0; i < FAIRNESS_METRIC_COUNT; i++)
			e->metrics[i] = NAN;
		return;
	}
	entry_metrics(e);
}

/* ---- the evidence ---- */

static void
json_key_object(StringInfo b, PolicyGroupSet *set, char **key)
{
	int			i;

	appendStringInfoChar(b, '{');
	for (i = 0; i < set->ncolumns; i++)
	{
		if (i > 0)
			appendStringInfoString(b, ", ");
		escape_json(b, set->columns[i]);
		appendStringInfoString(b, ": ");
		if (key[i] == NULL)
			appendStringInfoString(b, "null");
		else
			escape_json(b, key[i]);
	}
	appendStringInfoChar(b, '}');
}

static void
json_group(StringInfo b, Policy *p, FairEntry *e, FairGroup *g)
{
	GroupCounts *c = g->counts;
	int			i;

	appendStringInfoString(b, "{\"group\": ");
	json_key_object(b, e->set, c->key);
	appendStringInfo(b, ", \"size\": " INT64_FORMAT ", \"evaluated\": " INT64_FORMAT
					 ", \"included\": %s, \"excluded_because\": ",
					 g->evaluated + c->missing + c->bad_label, g->evaluated,
					 g->included ? "true" : "false");
	if (g->included)
		appendStringInfoString(b, "null");
	else if (c->has_null_key)
		appendStringInfoString(b, "\"a protected value is NULL\"");
	else
		appendStringInfo(b, "\"fewer than min_group_size (%lld) rows\"",
						 (long long) p->min_group_size);
	appendStringInfo(b, ", \"reference\": %s", g->reference ? "true" : "false");
	appendStringInfo(b, ", \"tp\": " INT64_FORMAT ", \"fp\": " INT64_FORMAT
					 ", \"tn\": " INT64_FORMAT ", \"fn\": " INT64_FORMAT
					 ", \"missing\": " INT64_FORMAT,
					 c->tp, c->fp, c->tn, c->fn, c->missing);
	for (i = 0; i < RATE_COUNT; i++)
	{
		appendStringInfo(b, ", \"%s\": ", rate_names[i]);
		json_double(b, g->rates[i]);
	}
	appendStringInfoChar(b, '}');
}

static void
json_entry(StringInfo b, Policy *p, FairEntry *e)
{
	int			i;

	appendStringInfoString(b, "{\"columns\": [");
	for (i = 0; i < e->set->ncolumns; i++)
	{
		appendStringInfoString(b, i ? ", " : "");
		escape_json(b, e->set->columns[i]);
	}
	appendStringInfoString(b, "], \"reference_group\": ");
	if (e->reference_key)
		json_key_object(b, e->set, e->reference_key);
	else
		appendStringInfoString(b, "null");
	appendStringInfoString(b, ", \"groups\": [");
	for (i = 0; i < e->ngroups; i++)
	{
		appendStringInfoString(b, i ? ", " : "");
		json_group(b, p, e, &e->groups[i]);
	}
	appendStringInfoString(b, "], \"metrics\": {");
	for (i = 0; i < FAIRNESS_METRIC_COUNT; i++)
	{
		appendStringInfo(b, "%s\"%s\": ", i ? ", " : "",
						 policy_fairness_metric_name((FairnessMetric) i));
		json_double(b, e->metrics[i]);
	}
	appendStringInfoString(b, "}, \"metrics_null_because\": ");
	if (e->why_null)
		escape_json(b, e->why_null);
	else
		appendStringInfoString(b, "null");
	appendStringInfoChar(b, '}');
}

static char *
expected_json(Policy *p)
{
	StringInfoData b;
	bool		first = true;
	int			m;

	initStringInfo(&b);
	appendStringInfo(&b, "{\"min_group_size\": %lld, \"limits\": {",
					 (long long) p->min_group_size);
	for (m = 0; m < FAIRNESS_METRIC_COUNT; m++)
	{
		PolicyFairnessLimit *l = &p->fairness_limits[m];

		if (!l->has_min && !l->has_max)
			continue;
		appendStringInfo(&b, "%s\"%s\": {\"min\": ", first ? "" : ", ",
						 policy_fairness_metric_name((FairnessMetric) m));
		json_double(&b, l->has_min ? l->min : NAN);
		appendStringInfoString(&b, ", \"max\": ");
		json_double(&b, l->has_max ? l->max : NAN);
		appendStringInfoChar(&b, '}');
		first = false;
	}
	appendStringInfoString(&b, "}}");
	return b.data;
}

/* ---- the verdict ---- */

static void
add_problem(StringInfo problems, const char *problem)
{
	if (problems->len > 0)
		appendStringInfoString(problems, "; ");
	appendStringInfoString(problems, problem);
}

static char *
entry_name(PolicyGroupSet *set)
{
	StringInfoData b;
	int			i;

	initStringInfo(&b);
	for (i = 0; i < set->ncolumns; i++)
		appendStringInfo(&b, "%s%s", i ? " x " : "", set->columns[i]);
	return b.data;
}

static void
check_limits(Policy *p, FairEntry *e, StringInfo problems)
{
	char	   *name = entry_name(e->set);
	int64		bad = 0;
	int			m;
	int			i;

	for (i = 0; i < e->ngroups; i++)
		bad += e->groups[i].counts->bad_label;
	if (bad > 0)
		add_problem(problems, psprintf("%s: " INT64_FORMAT " rows have a label other than 0 and 1",
									   name, bad));
	for (m = 0; m < FAIRNESS_METRIC_COUNT; m++)
	{
		PolicyFairnessLimit *l = &p->fairness_limits[m];
		const char *metric = policy_fairness_metric_name((FairnessMetric) m);
		double		v = e->metrics[m];

		if (!l->has_min && !l->has_max)
			continue;
		if (isnan(v))
			add_problem(problems, psprintf("%s by %s cannot be computed (%s)", metric, name,
										   e->why_null ? e->why_null : "a rate is undefined"));
		else if (l->has_min && v < l->min)
			add_problem(problems, psprintf("%s by %s is %.4g < %g", metric, name, v, l->min));
		else if (l->has_max && v > l->max)
			add_problem(problems, psprintf("%s by %s is %.4g > %g", metric, name, v, l->max));
	}
}

void
fairness_outcome(BoundPolicy *bp, ScanPlan *plan, ScanResult *result,
				 Outcome *o, CriterionState *cs)
{
	Policy	   *p = bp->policy;
	StringInfoData observed;
	StringInfoData problems;
	int			i;

	memset(o, 0, sizeof(Outcome));
	o->name = "fairness";
	o->kind = "fairness";
	o->expected = expected_json(p);
	cs->declared = true;
	if (bp->fairness_error != NULL)
	{
		o->reason = cs->detail = bp->fairness_error;
		return;
	}
	initStringInfo(&observed);
	initStringInfo(&problems);
	appendStringInfo(&observed, "{\"min_group_size\": %lld, \"protected\": [",
					 (long long) p->min_group_size);
	for (i = 0; i < p->nfairness_protected; i++)
	{
		FairEntry	e = {0};
		GroupCounts *counts;
		int			ncounts;

		e.set = &p->fairness_protected[i];
		counts = group_counts_read(result, plan->fairness_column[i], e.set->ncolumns,
								   &ncounts);
		build_entry(p, &e, counts, ncounts);
		appendStringInfoString(&observed, i ? ", " : "");
		json_entry(&observed, p, &e);
		check_limits(p, &e, &problems);
	}
	appendStringInfoString(&observed, "]}");
	o->observed = observed.data;
	o->passed = cs->passed = problems.len == 0;
	if (!o->passed)
		o->reason = cs->detail = problems.data;
}
