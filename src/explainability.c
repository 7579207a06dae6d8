/*-------------------------------------------------------------------------
 *
 * explainability.c
 *	  Explainability (DESIGN section 3): a model card reference, and for
 *	  each listed feature its association with the prediction, counted in
 *	  the shared scan:
 *
 *	  - mutual information I(bin; prediction) in bits, over the feature's
 *		bins: for numbers (and dates, by their epoch) the decile edges of a
 *		sample, as robustness bins them, with below-range and NULL bins; for
 *		anything else its 20 most frequent values, "any other value" and
 *		NULL.  The counts per bin are dtecert.group_counts_agg's, with the
 *		prediction as the label, so tp counts "predicted positive" and tn
 *		"predicted negative";
 *	  - for numbers, the point-biserial correlation, which is Pearson's r
 *		between the value and the prediction as 0/1 (pg_catalog.corr).
 *
 *	  The criterion passes when every feature exists and at least
 *	  min_features_explained of them carry more than min_information bits.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"

#include "mltrust.h"
#include "robustness.h"

typedef struct ExplainFeature
{
	BoundColumn *column;
	bool		numeric;
	int			nbins;			/* from the sample; 0 when it held no value */
	int			bins_column;	/* scan output: group counts per bin */
	int			corr_column;	/* scan output: point-biserial r (numbers) */
	double		information;	/* bits, filled when the outcome is read */
	double		correlation;
} ExplainFeature;

typedef struct ExplainPlan
{
	int			nfeatures;
	ExplainFeature *features;
} ExplainPlan;

/* The bin of a row, as the one-element key of dtecert.group_counts_agg. */
static char *
bin_key_sql(ScanPlan *plan, ExplainFeature *f, const char *value, Datum bins)
{
	char	   *param = query_param(&plan->query,
									f->numeric ? FLOAT8ARRAYOID : TEXTARRAYOID, bins);

	if (f->numeric)
		return psprintf("ARRAY[pg_catalog.width_bucket(%s, %s)::pg_catalog.text]",
						value, param);
	return psprintf("ARRAY[(CASE WHEN %s IS NULL THEN NULL"
					" ELSE COALESCE(pg_catalog.array_position(%s, %s), 0) END)::pg_catalog.text]",
					value, param, value);
}

void
explainability_plan(ScanPlan *plan, BoundPolicy *bp, Relation rel)
{
	Policy	   *p = bp->policy;
	ExplainPlan *ep;
	const char *pred = bp->explain_prediction_sql;
	int			i;

	if (!p->has_explainability || bp->explain_error != NULL)
		return;
	ep = palloc0(sizeof(ExplainPlan));
	ep->nfeatures = p->nexplain_features;
	ep->features = palloc0(sizeof(ExplainFeature) * ep->nfeatures);
	for (i = 0; i < ep->nfeatures; i++)
	{
		ExplainFeature *f = &ep->features[i];
		char	   *value;
		Datum		bins;
		bool		found;

		f->column = &bp->explain_features[i];
		f->numeric = robustness_binned_by_value(f->column->basetypid);
		value = robustness_value_sql(f->column, f->numeric);
		bins = robustness_sample_bins(bp, rel, value, f->numeric, f->column->name, &found);
		if (!found)
			continue;			/* no value to bin: no information */
		f->nbins = ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(bins)),
								  ARR_DIMS(DatumGetArrayTypeP(bins)));
		f->bins_column =
			plan_add_column(plan, psprintf("dtecert.group_counts_agg(%s, ((%s)::pg_catalog.int4)::pg_catalog.int8, %s)",
										   bin_key_sql(plan, f, value, bins), pred, pred));
		if (f->numeric)
			f->corr_column =
				plan_add_column(plan, psprintf("pg_catalog.corr(((%s)::pg_catalog.int4)::pg_catalog.float8, %s)",
											   pred, value));
	}
	plan->explain = ep;
}

/* I(bin; prediction) in bits from the counts per bin. */
static double
mutual_information(GroupCounts *bins, int nbins)
{
	double		total = 0;
	double		pos = 0;
	double		mi = 0;
	int			i;

	for (i = 0; i < nbins; i++)
	{
		total += bins[i].tp + bins[i].tn;
		pos += bins[i].tp;
	}
	if (total == 0 || pos == 0 || pos == total)
		return 0;				/* a constant prediction carries nothing */
	for (i = 0; i < nbins; i++)
	{
		double		n_bin = bins[i].tp + bins[i].tn;

		if (bins[i].tp > 0)
			mi += bins[i].tp / total * log2(bins[i].tp * total / (n_bin * pos));
		if (bins[i].tn > 0)
			mi += bins[i].tn / total * log2(bins[i].tn * total / (n_bin * (total - pos)));
	}
	return Max(mi, 0);			/* rounding can make 0 slightly negative */
}

static void
read_feature(ExplainFeature *f, ScanResult *result)
{
	GroupCounts *bins;
	int			nbins;
	bool		isnull;
	Datum		r;

	f->information = 0;
	f->correlation = NAN;
	if (f->bins_column == 0)
		return;
	bins = group_counts_read(result, f->bins_column, 1, &nbins);
	f->information = mutual_information(bins, nbins);
	if (f->corr_column == 0)
		return;
	r = scan_value(result, f->corr_column, &isnull);
	if (!isnull)
		f->correlation = DatumGetFloat8(r);
}

static int
by_information(const void *a, const void *b)
{
	const ExplainFeature *fa = *(ExplainFeature *const *) a;
	const ExplainFeature *fb = *(ExplainFeature *const *) b;

	if (fa->information != fb->information)
		return fa->information > fb->information ? -1 : 1;
	return strcmp(fa->column->name, fb->column->name);
}

static char *
expected_json(Policy *p)
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfo(&b, "{\"model_card\": \"required\", \"min_features_explained\": %lld, "
					 "\"min_information\": ", (long long) p->min_features_explained);
	json_double(&b, p->min_information);
	appendStringInfoChar(&b, '}');
	return b.data;
}

static void
json_feature(StringInfo b, Policy *p, ExplainFeature *f)
{
	appendStringInfoString(b, "{\"feature\": ");
	escape_json(b, f->column->name);
	appendStringInfo(b, ", \"kind\": \"%s\", \"bins\": %d, \"mutual_information\": ",
					 f->numeric ? "numeric" : "categorical", f->nbins);
	json_double(b, f->information);
	appendStringInfoString(b, ", \"point_biserial\": ");
	json_double(b, f->correlation);
	appendStringInfo(b, ", \"explained\": %s}",
					 f->information > p->min_information ? "true" : "false");
}

void
explainability_outcome(BoundPolicy *bp, ScanPlan *plan, ScanResult *result,
					   Outcome *o, CriterionState *cs)
{
	Policy	   *p = bp->policy;
	ExplainPlan *ep = plan->explain;
	ExplainFeature **ranked;
	StringInfoData observed;
	int			explained = 0;
	int			i;

	memset(o, 0, sizeof(Outcome));
	o->name = "explainability";
	o->kind = "explainability";
	o->expected = expected_json(p);
	cs->declared = true;
	if (bp->explain_error != NULL)
	{
		o->reason = cs->detail = bp->explain_error;
		return;
	}
	ranked = palloc(sizeof(ExplainFeature *) * ep->nfeatures);
	for (i = 0; i < ep->nfeatures; i++)
	{
		read_feature(&ep->features[i], result);
		ranked[i] = &ep->features[i];
		explained += ep->features[i].information > p->min_information;
	}
	qsort(ranked, ep->nfeatures, sizeof(ExplainFeature *), by_information);

	initStringInfo(&observed);
	appendStringInfoString(&observed, "{\"model_card\": ");
	escape_json(&observed, p->model_card);
	appendStringInfo(&observed, ", \"features_explained\": %d, \"features\": [", explained);
	for (i = 0; i < ep->nfeatures; i++)
	{
		appendStringInfoString(&observed, i ? ", " : "");
		json_feature(&observed, p, ranked[i]);
	}
	appendStringInfoString(&observed, "]}");
	o->observed = observed.data;
	o->passed = cs->passed = explained >= p->min_features_explained;
	if (!o->passed)
		o->reason = cs->detail =
			psprintf("%d of %d features carry more than %g bits about the prediction; %lld required",
					 explained, ep->nfeatures, p->min_information,
					 (long long) p->min_features_explained);
}
