/*-------------------------------------------------------------------------
 *
 * agg_sample.c
 *	  dtecert.sample_agg(sample_size int, VARIADIC "any") → sample_result:
 *	  how many rows it saw, and the sample_size smallest of them, compared
 *	  in order with each type's default ordering (NULLs first), as text.
 *	  Counting here means a check's failure predicate is evaluated once.
 *
 *	  The caller passes the row's sort key: (primary key..., value), or
 *	  (value, tableoid, ctid) for a table without one.  Because the rows
 *	  kept are the smallest by a total order, a serial and a parallel scan
 *	  keep the same ones, whatever order the workers read the table in.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"

#include "agg_common.h"

PG_FUNCTION_INFO_V1(dtecert_sample_trans);
PG_FUNCTION_INFO_V1(dtecert_sample_combine);
PG_FUNCTION_INFO_V1(dtecert_sample_serialize);
PG_FUNCTION_INFO_V1(dtecert_sample_deserialize);
PG_FUNCTION_INFO_V1(dtecert_sample_final);

#define SAMPLE_NEEDS	(AGG_TYPE_COMPARE | AGG_TYPE_OUTPUT)
#define SAMPLE_MAX_SIZE	10000

typedef struct SampleRow
{
	Datum	   *values;
	bool	   *nulls;
} SampleRow;

typedef struct SampleState
{
	MemoryContext cxt;
	int			ncols;
	AggType    *types;
	int32		sample_size;
	int64		matched;		/* rows that passed the filter */
	int32		nrows;
	SampleRow  *rows;			/* sorted, the smallest first */
	Datum	   *row_values;		/* scratch */
	bool	   *row_nulls;
} SampleState;

static SampleState *
sample_state_new(MemoryContext aggcxt, int ncols, int32 sample_size)
{
	MemoryContext old = MemoryContextSwitchTo(aggcxt);
	SampleState *state = palloc0(sizeof(SampleState));

	if (sample_size < 0 || sample_size > SAMPLE_MAX_SIZE)
		elog(ERROR, "dtecert.sample_agg: sample size %d is out of range", sample_size);
	state->cxt = aggcxt;
	state->ncols = ncols;
	state->types = palloc0(sizeof(AggType) * Max(ncols, 1));
	state->sample_size = sample_size;
	state->rows = palloc0(sizeof(SampleRow) * Max(sample_size, 1));
	state->row_values = palloc(sizeof(Datum) * Max(ncols, 1));
	state->row_nulls = palloc(sizeof(bool) * Max(ncols, 1));
	MemoryContextSwitchTo(old);
	return state;
}

static int
sample_cmp(SampleState *state, Datum *av, bool *an, Datum *bv, bool *bn)
{
	int			c;
	int			r;

	for (c = 0; c < state->ncols; c++)
		if ((r = agg_compare_values(&state->types[c], av[c], an[c], bv[c], bn[c])) != 0)
			return r;
	return 0;
}

static void
sample_free_row(SampleState *state, SampleRow *row)
{
	int			c;

	for (c = 0; c < state->ncols; c++)
		if (!row->nulls[c] && !state->types[c].typbyval)
			pfree(DatumGetPointer(row->values[c]));
	pfree(row->values);
	pfree(row->nulls);
}

static void
sample_copy_row(SampleState *state, SampleRow *row, Datum *values, bool *nulls)
{
	MemoryContext old = MemoryContextSwitchTo(state->cxt);
	int			c;

	row->values = palloc(sizeof(Datum) * state->ncols);
	row->nulls = palloc(sizeof(bool) * state->ncols);
	for (c = 0; c < state->ncols; c++)
	{
		AggType    *type = &state->types[c];

		row->nulls[c] = nulls[c];
		if (nulls[c])
			row->values[c] = (Datum) 0;
		else if (type->typlen == -1)
			row->values[c] = PointerGetDatum(PG_DETOAST_DATUM_COPY(values[c]));
		else
			row->values[c] = datumCopy(values[c], type->typbyval, type->typlen);
	}
	MemoryContextSwitchTo(old);
}

/* Keep the row if it is among the smallest: one comparison when it is not. */
static void
sample_add(SampleState *state, Datum *values, bool *nulls)
{
	int			pos;

	if (state->sample_size == 0)
		return;
	if (state->nrows == state->sample_size)
	{
		SampleRow  *last = &state->rows[state->nrows - 1];

		if (sample_cmp(state, values, nulls, last->values, last->nulls) >= 0)
			return;
		sample_free_row(state, last);
		state->nrows--;
	}
	pos = state->nrows;
	while (pos > 0 && sample_cmp(state, values, nulls, state->rows[pos - 1].values,
								 state->rows[pos - 1].nulls) < 0)
	{
		state->rows[pos] = state->rows[pos - 1];
		pos--;
	}
	sample_copy_row(state, &state->rows[pos], values, nulls);
	state->nrows++;
}

Datum
dtecert_sample_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_sample_trans");
	SampleState *state = PG_ARGISNULL(0) ? NULL : (SampleState *) PG_GETARG_POINTER(0);
	int			ncols = PG_NARGS() - 2;
	int			c;

	if (state == NULL)
	{
		MemoryContext old;

		if (ncols < 1 || PG_ARGISNULL(1))
			elog(ERROR, "dtecert.sample_agg needs a sample size and at least one value");
		state = sample_state_new(aggcxt, ncols, PG_GETARG_INT32(1));
		old = MemoryContextSwitchTo(aggcxt);
		agg_types_from_args(fcinfo, 2, ncols, state->types, SAMPLE_NEEDS);
		MemoryContextSwitchTo(old);
	}
	state->matched++;
	for (c = 0; c < ncols; c++)
	{
		state->row_nulls[c] = PG_ARGISNULL(2 + c);
		state->row_values[c] = state->row_nulls[c] ? (Datum) 0 : PG_GETARG_DATUM(2 + c);
	}
	sample_add(state, state->row_values, state->row_nulls);
	PG_RETURN_POINTER(state);
}

Datum
dtecert_sample_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_sample_combine");
	SampleState *state1 = PG_ARGISNULL(0) ? NULL : (SampleState *) PG_GETARG_POINTER(0);
	SampleState *state2 = PG_ARGISNULL(1) ? NULL : (SampleState *) PG_GETARG_POINTER(1);
	int			i;

	if (state2 == NULL)
		PG_RETURN_POINTER(state1);
	if (state1 == NULL)
	{
		MemoryContext old;

		state1 = sample_state_new(aggcxt, state2->ncols, state2->sample_size);
		old = MemoryContextSwitchTo(aggcxt);
		for (i = 0; i < state2->ncols; i++)
			agg_type_init(&state1->types[i], state2->types[i].typid,
						  state2->types[i].collation, SAMPLE_NEEDS);
		MemoryContextSwitchTo(old);
	}
	state1->matched += state2->matched;
	for (i = 0; i < state2->nrows; i++)
		sample_add(state1, state2->rows[i].values, state2->rows[i].nulls);
	PG_RETURN_POINTER(state1);
}

Datum
dtecert_sample_serialize(PG_FUNCTION_ARGS)
{
	SampleState *state = (SampleState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			i;
	int			c;

	(void) agg_check_context(fcinfo, "dtecert_sample_serialize");
	pq_begintypsend(&buf);
	agg_send_types(&buf, state->types, state->ncols);
	pq_sendint32(&buf, state->sample_size);
	pq_sendint64(&buf, state->matched);
	pq_sendint32(&buf, state->nrows);
	for (i = 0; i < state->nrows; i++)
		for (c = 0; c < state->ncols; c++)
			agg_send_value(&buf, &state->types[c], state->rows[i].values[c],
						   state->rows[i].nulls[c]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
dtecert_sample_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_sample_deserialize");
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	MemoryContext old = MemoryContextSwitchTo(aggcxt);
	StringInfoData buf;
	SampleState *state;
	AggType    *types;
	int			ncols;
	int32		sample_size;
	int64		matched;
	int32		nrows;
	int			i;
	int			c;

	agg_state_reader(bytes, &buf);
	types = agg_receive_types(&buf, &ncols, SAMPLE_NEEDS);
	sample_size = pq_getmsgint(&buf, 4);
	matched = pq_getmsgint64(&buf);
	nrows = pq_getmsgint(&buf, 4);
	if (nrows < 0 || nrows > sample_size)
		elog(ERROR, "dtecert.sample_agg: corrupt state (%d rows of %d)", nrows, sample_size);
	state = sample_state_new(aggcxt, ncols, sample_size);
	state->types = types;
	state->matched = matched;
	for (i = 0; i < nrows; i++)
	{
		for (c = 0; c < ncols; c++)
			state->row_values[c] = agg_receive_value(&buf, &types[c], &state->row_nulls[c]);
		sample_add(state, state->row_values, state->row_nulls);
	}
	pq_getmsgend(&buf);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(state);
}

/* The rows kept, as a two-dimensional text array: rows × arguments. */
static Datum
sample_rows(SampleState *state)
{
	Datum	   *texts;
	bool	   *nulls;
	int			dims[2];
	int			lbs[2] = {1, 1};
	int			i;
	int			c;

	if (state == NULL || state->nrows == 0)
		return PointerGetDatum(construct_empty_array(TEXTOID));
	texts = palloc(sizeof(Datum) * state->nrows * state->ncols);
	nulls = palloc(sizeof(bool) * state->nrows * state->ncols);
	for (i = 0; i < state->nrows; i++)
		for (c = 0; c < state->ncols; c++)
		{
			char	   *text = agg_value_text(&state->types[c], state->rows[i].values[c],
											  state->rows[i].nulls[c]);
			int			k = i * state->ncols + c;

			nulls[k] = text == NULL;
			texts[k] = text ? CStringGetTextDatum(text) : (Datum) 0;
		}
	dims[0] = state->nrows;
	dims[1] = state->ncols;
	return PointerGetDatum(construct_md_array(texts, nulls, 2, dims, lbs, TEXTOID,
											  -1, false, TYPALIGN_INT));
}

/* A dtecert.sample_result: how many rows matched, and the rows kept. */
Datum
dtecert_sample_final(PG_FUNCTION_ARGS)
{
	SampleState *state = PG_ARGISNULL(0) ? NULL : (SampleState *) PG_GETARG_POINTER(0);
	TupleDesc	desc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	(void) agg_check_context(fcinfo, "dtecert_sample_final");
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "dtecert_sample_final must return a composite type");
	desc = BlessTupleDesc(desc);
	values[0] = Int64GetDatum(state ? state->matched : 0);
	values[1] = sample_rows(state);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
