/*-------------------------------------------------------------------------
 *
 * agg_bins.c
 *	  The distribution of a column, counted against bins fixed before the
 *	  scan, for drift (PSI) against a baseline:
 *
 *	  dtecert.bins_agg(value float8, edges float8[]) → int8[]
 *		edges e1 < e2 < … < em (m >= 1) give the counts
 *		  [NULL, below e1, [e1,e2), …, [e(m-1),em], above em]
 *		(one bin [e1,e1] when m = 1).  NaN counts as above every edge, as
 *		PostgreSQL orders it.
 *
 *	  dtecert.categories_agg(value text, categories text[]) → int8[]
 *		categories c1 … ck give the counts [NULL, any other value, c1, …, ck].
 *
 *	  Both count every row (NULLs too: the transition functions are not
 *	  strict) and are parallel safe: a partial state is just its counts.
 *	  The bins come from the baseline certificate or from a sample taken
 *	  before the scan (robustness.c), so the counts here are exact.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "agg_common.h"

PG_FUNCTION_INFO_V1(dtecert_bins_trans);
PG_FUNCTION_INFO_V1(dtecert_categories_trans);
PG_FUNCTION_INFO_V1(dtecert_bins_combine);
PG_FUNCTION_INFO_V1(dtecert_bins_serialize);
PG_FUNCTION_INFO_V1(dtecert_bins_deserialize);
PG_FUNCTION_INFO_V1(dtecert_bins_final);

/* More bins than a profile needs would only bloat certificates. */
#define BINS_MAX	1000

/* Slots of the counts array before the bins proper. */
#define SLOT_NULL	0
#define SLOT_BELOW	1			/* bins_agg: below the first edge */
#define SLOT_OTHER	1			/* categories_agg: none of the categories */

typedef struct BinState
{
	int			ncounts;
	int64	   *counts;
	/* set by the transition functions only (a combined state just sums) */
	int			nedges;
	float8	   *edges;
	int			ncategories;
	char	  **categories;
	int		   *category_lengths;
} BinState;

static BinState *
bin_state_new(MemoryContext aggcxt, int ncounts)
{
	BinState   *state = MemoryContextAllocZero(aggcxt, sizeof(BinState));

	state->ncounts = ncounts;
	state->counts = MemoryContextAllocZero(aggcxt, sizeof(int64) * ncounts);
	return state;
}

static void
check_bound_count(int n, const char *what)
{
	if (n < 1 || n > BINS_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dtecert: %d %s given; between 1 and %d are allowed",
						n, what, BINS_MAX)));
}

/* The edges, checked to be finite-or-infinite numbers in increasing order. */
static BinState *
bins_state_from_edges(MemoryContext aggcxt, ArrayType *array)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	BinState   *state;

	deconstruct_array(array, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &elems, &nulls, &n);
	check_bound_count(n, "bin edges");
	/* [NULL, below, bins..., above]; m edges make max(m - 1, 1) bins */
	state = bin_state_new(aggcxt, 3 + Max(n - 1, 1));
	state->nedges = n;
	state->edges = MemoryContextAlloc(aggcxt, sizeof(float8) * n);
	for (i = 0; i < n; i++)
	{
		if (nulls[i] || isnan(DatumGetFloat8(elems[i])) ||
			(i > 0 && DatumGetFloat8(elems[i]) <= state->edges[i - 1]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("dtecert: bin edges must be numbers in strictly increasing order")));
		state->edges[i] = DatumGetFloat8(elems[i]);
	}
	return state;
}

/* The slot of a value: binary search for the last edge <= value. */
static int
bin_slot(BinState *state, float8 value)
{
	int			lo = 0;
	int			hi = state->nedges - 1;
	int			nbins = state->ncounts - 3;

	if (value < state->edges[0])
		return SLOT_BELOW;
	/* NaN is above every edge, as PostgreSQL sorts it */
	if (isnan(value) || value > state->edges[hi])
		return state->ncounts - 1;
	while (lo < hi)
	{
		int			mid = (lo + hi + 1) / 2;

		if (state->edges[mid] <= value)
			lo = mid;
		else
			hi = mid - 1;
	}
	/* the last edge closes the last bin */
	return 2 + Min(lo, nbins - 1);
}

Datum
dtecert_bins_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_bins_trans");
	BinState   *state = PG_ARGISNULL(0) ? NULL : (BinState *) PG_GETARG_POINTER(0);

	if (state == NULL)
	{
		if (PG_ARGISNULL(2))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("dtecert.bins_agg: edges must not be null")));
		state = bins_state_from_edges(aggcxt, PG_GETARG_ARRAYTYPE_P(2));
	}
	if (PG_ARGISNULL(1))
		state->counts[SLOT_NULL]++;
	else
		state->counts[bin_slot(state, PG_GETARG_FLOAT8(1))]++;
	PG_RETURN_POINTER(state);
}

static BinState *
categories_state_new(MemoryContext aggcxt, ArrayType *array)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	BinState   *state;

	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	check_bound_count(n, "categories");
	/* [NULL, other, categories...] */
	state = bin_state_new(aggcxt, 2 + n);
	state->ncategories = n;
	state->categories = MemoryContextAlloc(aggcxt, sizeof(char *) * n);
	state->category_lengths = MemoryContextAlloc(aggcxt, sizeof(int) * n);
	for (i = 0; i < n; i++)
	{
		text	   *t;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("dtecert.categories_agg: categories must not be null")));
		t = DatumGetTextPP(elems[i]);
		state->category_lengths[i] = VARSIZE_ANY_EXHDR(t);
		state->categories[i] = MemoryContextAlloc(aggcxt, state->category_lengths[i] + 1);
		memcpy(state->categories[i], VARDATA_ANY(t), state->category_lengths[i]);
	}
	return state;
}

/* Values compare byte for byte: categories are values, not collation keys. */
static int
category_slot(BinState *state, text *value)
{
	const char *data = VARDATA_ANY(value);
	int			len = VARSIZE_ANY_EXHDR(value);
	int			i;

	for (i = 0; i < state->ncategories; i++)
		if (state->category_lengths[i] == len &&
			memcmp(state->categories[i], data, len) == 0)
			return 2 + i;
	return SLOT_OTHER;
}

Datum
dtecert_categories_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_categories_trans");
	BinState   *state = PG_ARGISNULL(0) ? NULL : (BinState *) PG_GETARG_POINTER(0);

	if (state == NULL)
	{
		if (PG_ARGISNULL(2))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("dtecert.categories_agg: categories must not be null")));
		state = categories_state_new(aggcxt, PG_GETARG_ARRAYTYPE_P(2));
	}
	if (PG_ARGISNULL(1))
		state->counts[SLOT_NULL]++;
	else
		state->counts[category_slot(state, PG_GETARG_TEXT_PP(1))]++;
	PG_RETURN_POINTER(state);
}

Datum
dtecert_bins_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_bins_combine");
	BinState   *state1 = PG_ARGISNULL(0) ? NULL : (BinState *) PG_GETARG_POINTER(0);
	BinState   *state2 = PG_ARGISNULL(1) ? NULL : (BinState *) PG_GETARG_POINTER(1);
	int			i;

	if (state2 == NULL)
		PG_RETURN_POINTER(state1);
	if (state1 == NULL)
		state1 = bin_state_new(aggcxt, state2->ncounts);
	if (state1->ncounts != state2->ncounts)
		elog(ERROR, "dtecert: cannot combine %d bins with %d", state1->ncounts,
			 state2->ncounts);
	for (i = 0; i < state1->ncounts; i++)
		state1->counts[i] += state2->counts[i];
	PG_RETURN_POINTER(state1);
}

Datum
dtecert_bins_serialize(PG_FUNCTION_ARGS)
{
	BinState   *state = (BinState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			i;

	(void) agg_check_context(fcinfo, "dtecert_bins_serialize");
	pq_begintypsend(&buf);
	pq_sendint32(&buf, state->ncounts);
	for (i = 0; i < state->ncounts; i++)
		pq_sendint64(&buf, state->counts[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
dtecert_bins_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_bins_deserialize");
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	BinState   *state;
	int			n;
	int			i;

	agg_state_reader(bytes, &buf);
	n = pq_getmsgint(&buf, 4);
	if (n < 3 || n > BINS_MAX + 3)
		elog(ERROR, "dtecert: corrupt bins state (%d counts)", n);
	state = bin_state_new(aggcxt, n);
	for (i = 0; i < n; i++)
		state->counts[i] = pq_getmsgint64(&buf);
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(state);
}

/* The counts; NULL when the scan saw no row (the caller reads zeros). */
Datum
dtecert_bins_final(PG_FUNCTION_ARGS)
{
	BinState   *state = PG_ARGISNULL(0) ? NULL : (BinState *) PG_GETARG_POINTER(0);
	Datum	   *elems;
	int			i;

	(void) agg_check_context(fcinfo, "dtecert_bins_final");
	if (state == NULL)
		PG_RETURN_NULL();
	elems = palloc(sizeof(Datum) * state->ncounts);
	for (i = 0; i < state->ncounts; i++)
		elems[i] = Int64GetDatum(state->counts[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, state->ncounts, INT8OID,
										  sizeof(int64), FLOAT8PASSBYVAL,
										  TYPALIGN_DOUBLE));
}
