/*-------------------------------------------------------------------------
 *
 * agg_distinct.c
 *	  dtecert.distinct_estimate(anyelement) → bigint: the number of distinct
 *	  non-NULL values, estimated with a HyperLogLog of 4096 registers (a
 *	  standard error of about 1.6%), for the column profile.  The profile is
 *	  descriptive; checks that need an exact count do not use it.
 *
 *	  The state is a fixed 4 kB, so partial states from parallel workers
 *	  merge by taking each register's maximum.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "libpq/pqformat.h"
#include "port/pg_bitutils.h"

#include "agg_common.h"

PG_FUNCTION_INFO_V1(dtecert_distinct_trans);
PG_FUNCTION_INFO_V1(dtecert_distinct_combine);
PG_FUNCTION_INFO_V1(dtecert_distinct_serialize);
PG_FUNCTION_INFO_V1(dtecert_distinct_deserialize);
PG_FUNCTION_INFO_V1(dtecert_distinct_final);

#define HLL_BITS		12
#define HLL_REGISTERS	(1 << HLL_BITS)

typedef struct DistinctState
{
	bool		has_type;
	AggType		type;			/* only transition needs it */
	uint8		registers[HLL_REGISTERS];
} DistinctState;

static DistinctState *
distinct_state_new(MemoryContext aggcxt)
{
	return MemoryContextAllocZero(aggcxt, sizeof(DistinctState));
}

static void
distinct_add_hash(DistinctState *state, uint64 hash)
{
	int			index = hash >> (64 - HLL_BITS);
	uint64		rest = hash << HLL_BITS;
	uint8		rank = rest == 0 ? (64 - HLL_BITS + 1) :
		(uint8) (pg_leftmost_one_pos64(rest) ^ 63) + 1;

	if (rank > state->registers[index])
		state->registers[index] = rank;
}

Datum
dtecert_distinct_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_distinct_trans");
	DistinctState *state = PG_ARGISNULL(0) ? NULL : (DistinctState *) PG_GETARG_POINTER(0);

	if (state == NULL)
		state = distinct_state_new(aggcxt);
	if (!state->has_type)
	{
		MemoryContext old = MemoryContextSwitchTo(aggcxt);

		agg_types_from_args(fcinfo, 1, 1, &state->type, AGG_TYPE_HASH | AGG_TYPE_OUTPUT);
		state->has_type = true;
		MemoryContextSwitchTo(old);
	}
	if (!PG_ARGISNULL(1))
		distinct_add_hash(state, agg_hash_value(&state->type, PG_GETARG_DATUM(1), false));
	PG_RETURN_POINTER(state);
}

Datum
dtecert_distinct_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_distinct_combine");
	DistinctState *state1 = PG_ARGISNULL(0) ? NULL : (DistinctState *) PG_GETARG_POINTER(0);
	DistinctState *state2 = PG_ARGISNULL(1) ? NULL : (DistinctState *) PG_GETARG_POINTER(1);
	int			i;

	if (state2 == NULL)
		PG_RETURN_POINTER(state1);
	if (state1 == NULL)
		state1 = distinct_state_new(aggcxt);
	for (i = 0; i < HLL_REGISTERS; i++)
		state1->registers[i] = Max(state1->registers[i], state2->registers[i]);
	PG_RETURN_POINTER(state1);
}

Datum
dtecert_distinct_serialize(PG_FUNCTION_ARGS)
{
	DistinctState *state = (DistinctState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	(void) agg_check_context(fcinfo, "dtecert_distinct_serialize");
	pq_begintypsend(&buf);
	pq_sendbytes(&buf, (const char *) state->registers, HLL_REGISTERS);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
dtecert_distinct_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_distinct_deserialize");
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	DistinctState *state;

	if (VARSIZE_ANY_EXHDR(bytes) != HLL_REGISTERS)
		elog(ERROR, "dtecert.distinct_estimate: corrupt state of %zu bytes",
			 (size_t) VARSIZE_ANY_EXHDR(bytes));
	state = distinct_state_new(aggcxt);
	memcpy(state->registers, VARDATA_ANY(bytes), HLL_REGISTERS);
	PG_RETURN_POINTER(state);
}

/* The HyperLogLog estimate, with linear counting for small cardinalities. */
Datum
dtecert_distinct_final(PG_FUNCTION_ARGS)
{
	DistinctState *state = PG_ARGISNULL(0) ? NULL : (DistinctState *) PG_GETARG_POINTER(0);
	double		m = HLL_REGISTERS;
	double		alpha = 0.7213 / (1.0 + 1.079 / m);
	double		sum = 0.0;
	int			zeros = 0;
	double		estimate;
	int			i;

	(void) agg_check_context(fcinfo, "dtecert_distinct_final");
	if (state == NULL)
		PG_RETURN_INT64(0);
	for (i = 0; i < HLL_REGISTERS; i++)
	{
		sum += ldexp(1.0, -state->registers[i]);
		if (state->registers[i] == 0)
			zeros++;
	}
	estimate = alpha * m * m / sum;
	if (estimate <= 2.5 * m && zeros > 0)
		estimate = m * log(m / zeros);
	PG_RETURN_INT64((int64) llround(estimate));
}
