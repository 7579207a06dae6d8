/*-------------------------------------------------------------------------
 *
 * agg_ordered.c
 *	  Exact checks that need the rows in order, in the shared scan:
 *
 *	  dtecert.median_agg(limit_bytes bigint, value float8)
 *	  dtecert.increasing_agg(limit_bytes bigint, strictly boolean,
 *							 VARIADIC "any" (value, order keys...))
 *
 *	  Both keep the rows they are given (partial states from parallel
 *	  workers concatenate), sort them at the end and return a
 *	  dtecert.order_result.  They are exact, never approximate: a state that
 *	  outgrows limit_bytes gives up (overflowed) and the certification
 *	  answers with one extra pass of its own, as for uniqueness.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/memutils.h"

#include "agg_common.h"

PG_FUNCTION_INFO_V1(dtecert_median_trans);
PG_FUNCTION_INFO_V1(dtecert_increasing_trans);
PG_FUNCTION_INFO_V1(dtecert_rows_combine);
PG_FUNCTION_INFO_V1(dtecert_rows_serialize);
PG_FUNCTION_INFO_V1(dtecert_rows_deserialize);
PG_FUNCTION_INFO_V1(dtecert_median_final);
PG_FUNCTION_INFO_V1(dtecert_increasing_final);

#define ROWS_NEEDS	(AGG_TYPE_COMPARE | AGG_TYPE_OUTPUT)

/* Rows of ncols Datums, kept in the aggregate's memory up to a budget. */
typedef struct RowBuffer
{
	MemoryContext cxt;			/* the rows and their values */
	int			ncols;
	AggType    *types;
	int64		limit_bytes;
	bool		strictly;		/* increasing only */
	bool		overflowed;
	int64		nrows;
	int64		maxrows;
	Datum	   *values;			/* nrows × ncols */
	bool	   *nulls;
} RowBuffer;

static RowBuffer *
rows_new(MemoryContext aggcxt, int ncols, int64 limit_bytes)
{
	RowBuffer  *rows = MemoryContextAllocZero(aggcxt, sizeof(RowBuffer));

	rows->cxt = AllocSetContextCreate(aggcxt, "dtecert ordered rows",
									  ALLOCSET_DEFAULT_SIZES);
	rows->ncols = ncols;
	rows->types = MemoryContextAllocZero(aggcxt, sizeof(AggType) * Max(ncols, 1));
	rows->limit_bytes = limit_bytes;
	return rows;
}

static void
rows_overflow(RowBuffer *rows)
{
	rows->overflowed = true;
	MemoryContextReset(rows->cxt);
	rows->values = NULL;
	rows->nulls = NULL;
	rows->nrows = rows->maxrows = 0;
}

static void
rows_add(RowBuffer *rows, Datum *values, bool *nulls)
{
	int			c;
	MemoryContext old;

	if (rows->overflowed)
		return;
	if (rows->nrows == rows->maxrows)
	{
		int64		maxrows = Max(1024, rows->maxrows * 2);
		Size		nbytes = (Size) maxrows * rows->ncols * (sizeof(Datum) + sizeof(bool));

		if ((int64) (MemoryContextMemAllocated(rows->cxt, true) + nbytes) > rows->limit_bytes)
		{
			rows_overflow(rows);
			return;
		}
		rows->values = rows->values == NULL ?
			MemoryContextAllocHuge(rows->cxt, (Size) maxrows * rows->ncols * sizeof(Datum)) :
			repalloc_huge(rows->values, (Size) maxrows * rows->ncols * sizeof(Datum));
		rows->nulls = rows->nulls == NULL ?
			MemoryContextAllocHuge(rows->cxt, (Size) maxrows * rows->ncols * sizeof(bool)) :
			repalloc_huge(rows->nulls, (Size) maxrows * rows->ncols * sizeof(bool));
		rows->maxrows = maxrows;
	}
	old = MemoryContextSwitchTo(rows->cxt);
	for (c = 0; c < rows->ncols; c++)
	{
		int64		k = rows->nrows * rows->ncols + c;
		AggType    *type = &rows->types[c];

		rows->nulls[k] = nulls[c];
		if (nulls[c] || type->typbyval)
			rows->values[k] = nulls[c] ? (Datum) 0 : values[c];
		else if (type->typlen == -1)
			rows->values[k] = PointerGetDatum(PG_DETOAST_DATUM_COPY(values[c]));
		else
			rows->values[k] = datumCopy(values[c], false, type->typlen);
	}
	MemoryContextSwitchTo(old);
	rows->nrows++;
}

static void
rows_init_types(RowBuffer *rows, FunctionCallInfo fcinfo, int first_arg,
				MemoryContext aggcxt)
{
	MemoryContext old = MemoryContextSwitchTo(aggcxt);

	agg_types_from_args(fcinfo, first_arg, rows->ncols, rows->types, ROWS_NEEDS);
	MemoryContextSwitchTo(old);
}

Datum
dtecert_median_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_median_trans");
	RowBuffer  *rows = PG_ARGISNULL(0) ? NULL : (RowBuffer *) PG_GETARG_POINTER(0);
	Datum		value;
	bool		isnull = false;

	if (rows == NULL)
	{
		if (PG_ARGISNULL(1))
			elog(ERROR, "dtecert.median_agg needs a limit");
		rows = rows_new(aggcxt, 1, PG_GETARG_INT64(1));
		rows_init_types(rows, fcinfo, 2, aggcxt);
	}
	if (PG_ARGISNULL(2))
		PG_RETURN_POINTER(rows);
	value = PG_GETARG_DATUM(2);
	rows_add(rows, &value, &isnull);
	PG_RETURN_POINTER(rows);
}

Datum
dtecert_increasing_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_increasing_trans");
	RowBuffer  *rows = PG_ARGISNULL(0) ? NULL : (RowBuffer *) PG_GETARG_POINTER(0);
	int			ncols = PG_NARGS() - 3;
	Datum		values[FUNC_MAX_ARGS];
	bool		nulls[FUNC_MAX_ARGS];
	int			c;

	if (rows == NULL)
	{
		if (ncols < 2 || PG_ARGISNULL(1) || PG_ARGISNULL(2))
			elog(ERROR, "dtecert.increasing_agg needs a limit, strictly, a value and an order");
		rows = rows_new(aggcxt, ncols, PG_GETARG_INT64(1));
		rows->strictly = PG_GETARG_BOOL(2);
		rows_init_types(rows, fcinfo, 3, aggcxt);
	}
	for (c = 0; c < ncols; c++)
	{
		nulls[c] = PG_ARGISNULL(3 + c);
		values[c] = nulls[c] ? (Datum) 0 : PG_GETARG_DATUM(3 + c);
	}
	rows_add(rows, values, nulls);
	PG_RETURN_POINTER(rows);
}

Datum
dtecert_rows_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_rows_combine");
	RowBuffer  *rows1 = PG_ARGISNULL(0) ? NULL : (RowBuffer *) PG_GETARG_POINTER(0);
	RowBuffer  *rows2 = PG_ARGISNULL(1) ? NULL : (RowBuffer *) PG_GETARG_POINTER(1);
	int64		r;
	int			c;

	if (rows2 == NULL)
		PG_RETURN_POINTER(rows1);
	if (rows1 == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(aggcxt);

		rows1 = rows_new(aggcxt, rows2->ncols, rows2->limit_bytes);
		rows1->strictly = rows2->strictly;
		for (c = 0; c < rows2->ncols; c++)
			agg_type_init(&rows1->types[c], rows2->types[c].typid,
						  rows2->types[c].collation, ROWS_NEEDS);
		MemoryContextSwitchTo(old);
	}
	if (rows2->overflowed)
		rows_overflow(rows1);
	for (r = 0; r < rows2->nrows && !rows1->overflowed; r++)
		rows_add(rows1, &rows2->values[r * rows2->ncols], &rows2->nulls[r * rows2->ncols]);
	PG_RETURN_POINTER(rows1);
}

Datum
dtecert_rows_serialize(PG_FUNCTION_ARGS)
{
	RowBuffer  *rows = (RowBuffer *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int64		k;

	(void) agg_check_context(fcinfo, "dtecert_rows_serialize");
	pq_begintypsend(&buf);
	agg_send_types(&buf, rows->types, rows->ncols);
	pq_sendint64(&buf, rows->limit_bytes);
	pq_sendbyte(&buf, rows->strictly);
	pq_sendbyte(&buf, rows->overflowed);
	pq_sendint64(&buf, rows->nrows);
	for (k = 0; k < rows->nrows * rows->ncols; k++)
		agg_send_value(&buf, &rows->types[k % rows->ncols], rows->values[k], rows->nulls[k]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
dtecert_rows_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_rows_deserialize");
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	MemoryContext old = MemoryContextSwitchTo(aggcxt);
	StringInfoData buf;
	RowBuffer  *rows;
	AggType    *types;
	int			ncols;
	int64		nrows;
	int64		r;
	int			c;
	Datum		values[FUNC_MAX_ARGS];
	bool		nulls[FUNC_MAX_ARGS];

	agg_state_reader(bytes, &buf);
	types = agg_receive_types(&buf, &ncols, ROWS_NEEDS);
	if (ncols < 1 || ncols > FUNC_MAX_ARGS)
		elog(ERROR, "dtecert ordered rows: corrupt state (%d columns)", ncols);
	rows = rows_new(aggcxt, ncols, pq_getmsgint64(&buf));
	rows->types = types;
	rows->strictly = pq_getmsgbyte(&buf);
	if (pq_getmsgbyte(&buf))
		rows_overflow(rows);
	nrows = pq_getmsgint64(&buf);
	for (r = 0; r < nrows; r++)
	{
		for (c = 0; c < ncols; c++)
			values[c] = agg_receive_value(&buf, &types[c], &nulls[c]);
		rows_add(rows, values, nulls);
	}
	pq_getmsgend(&buf);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(rows);
}

/* ---- the results ---- */

static Datum
order_result(FunctionCallInfo fcinfo, int64 unexpected, int64 considered,
			 double median, bool has_median, bool overflowed)
{
	TupleDesc	desc;
	Datum		values[4];
	bool		nulls[4] = {false, false, !has_median, false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "an ordered-rows final function must return a composite type");
	desc = BlessTupleDesc(desc);
	values[0] = Int64GetDatum(unexpected);
	values[1] = Int64GetDatum(considered);
	values[2] = Float8GetDatum(median);
	values[3] = BoolGetDatum(overflowed);
	if (overflowed)
		nulls[0] = nulls[1] = nulls[2] = true;
	return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
}

static int
float8_cmp(const void *a, const void *b)
{
	double		x = DatumGetFloat8(*(const Datum *) a);
	double		y = DatumGetFloat8(*(const Datum *) b);

	/* PostgreSQL's order: NaN above everything */
	if (isnan(x) || isnan(y))
		return isnan(x) ? (isnan(y) ? 0 : 1) : -1;
	return x < y ? -1 : x > y ? 1 : 0;
}

/* The median; for an even count the mean of the two middle values. */
Datum
dtecert_median_final(PG_FUNCTION_ARGS)
{
	RowBuffer  *rows = PG_ARGISNULL(0) ? NULL : (RowBuffer *) PG_GETARG_POINTER(0);
	double		median;

	(void) agg_check_context(fcinfo, "dtecert_median_final");
	if (rows == NULL || (!rows->overflowed && rows->nrows == 0))
		PG_RETURN_DATUM(order_result(fcinfo, 0, 0, 0.0, false, false));
	if (rows->overflowed)
		PG_RETURN_DATUM(order_result(fcinfo, 0, 0, 0.0, false, true));
	qsort(rows->values, rows->nrows, sizeof(Datum), float8_cmp);
	median = rows->nrows % 2 == 1 ?
		DatumGetFloat8(rows->values[rows->nrows / 2]) :
		(DatumGetFloat8(rows->values[rows->nrows / 2 - 1]) +
		 DatumGetFloat8(rows->values[rows->nrows / 2])) / 2.0;
	PG_RETURN_DATUM(order_result(fcinfo, 0, rows->nrows, median, true, false));
}

/* Sort row indexes by the order keys, then by value (ties in the keys). */
static int
row_cmp(const void *a, const void *b, void *arg)
{
	RowBuffer  *rows = (RowBuffer *) arg;
	int64		ra = *(const int64 *) a;
	int64		rb = *(const int64 *) b;
	int			c;
	int			r;

	for (c = 1; c <= rows->ncols; c++)
	{
		int			col = c % rows->ncols;	/* keys 1..n-1, then the value 0 */
		int64		ka = ra * rows->ncols + col;
		int64		kb = rb * rows->ncols + col;

		r = agg_compare_values(&rows->types[col], rows->values[ka], rows->nulls[ka],
							   rows->values[kb], rows->nulls[kb]);
		if (r != 0)
			return r;
	}
	return 0;
}

/* Rows, in the order of the keys, whose value is below (or not above) the previous one. */
Datum
dtecert_increasing_final(PG_FUNCTION_ARGS)
{
	RowBuffer  *rows = PG_ARGISNULL(0) ? NULL : (RowBuffer *) PG_GETARG_POINTER(0);
	int64	   *order;
	int64		unexpected = 0;
	int64		r;

	(void) agg_check_context(fcinfo, "dtecert_increasing_final");
	if (rows == NULL)
		PG_RETURN_DATUM(order_result(fcinfo, 0, 0, 0.0, false, false));
	if (rows->overflowed)
		PG_RETURN_DATUM(order_result(fcinfo, 0, 0, 0.0, false, true));
	order = palloc_extended(sizeof(int64) * Max(rows->nrows, 1), MCXT_ALLOC_HUGE);
	for (r = 0; r < rows->nrows; r++)
		order[r] = r;
	qsort_arg(order, rows->nrows, sizeof(int64), row_cmp, rows);
	for (r = 1; r < rows->nrows; r++)
	{
		int64		cur = order[r] * rows->ncols;
		int64		prev = order[r - 1] * rows->ncols;
		int			cmp = agg_compare_values(&rows->types[0], rows->values[cur],
											 rows->nulls[cur], rows->values[prev],
											 rows->nulls[prev]);

		if (rows->strictly ? cmp <= 0 : cmp < 0)
			unexpected++;
	}
	PG_RETURN_DATUM(order_result(fcinfo, unexpected, rows->nrows, 0.0, false, false));
}
