/*-------------------------------------------------------------------------
 *
 * agg_unique.c
 *	  dtecert.unique_agg(limit_bytes bigint, sample_size int, VARIADIC "any"):
 *	  exact uniqueness in the shared scan.
 *
 *	  Great Expectations counts every row whose value occurs more than once
 *	  (NULLs are filtered out by the caller; among several columns NULL
 *	  equals NULL, as GROUP BY has it).  The state is a hash table of
 *	  distinct values with their counts, which parallel workers build apart
 *	  and the leader merges.  It is exact, never approximate: a state that
 *	  outgrows limit_bytes gives up (overflowed) and the certification then
 *	  counts that check with one extra sort pass over its own columns.
 *
 *	  The result is a dtecert.unique_result: (unexpected_count, overflowed,
 *	  samples), samples being the smallest duplicated values, as text.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "utils/lsyscache.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/memutils.h"

#include "agg_common.h"
#include "datumset.h"

PG_FUNCTION_INFO_V1(dtecert_unique_trans);
PG_FUNCTION_INFO_V1(dtecert_unique_combine);
PG_FUNCTION_INFO_V1(dtecert_unique_serialize);
PG_FUNCTION_INFO_V1(dtecert_unique_deserialize);
PG_FUNCTION_INFO_V1(dtecert_unique_final);

#define UNIQUE_NEEDS	(AGG_TYPE_EQUAL | AGG_TYPE_HASH | AGG_TYPE_COMPARE | AGG_TYPE_OUTPUT)
#define UNIQUE_FIXED_ARGS	3	/* limit_bytes, sample_size, expected_rows */

typedef struct DupEntry
{
	struct DupEntry *next;	/* in its bucket */
	uint64		hash;
	int64		count;
	Datum	   *values;
	bool	   *nulls;
} DupEntry;

typedef struct DupState
{
	MemoryContext entries_cxt;	/* the entries and their values */
	int			ncols;
	AggType    *types;
	int64		limit_bytes;
	int32		sample_size;
	bool		overflowed;
	int64		nentries;
	int64		nbuckets;		/* a power of two */
	DupEntry **buckets;
	Datum	   *row_values;		/* scratch: one row's arguments */
	bool	   *row_nulls;

	/*
	 * The fast path, for one column of a type whose equality is equality of
	 * its Datum (integers, dates, timestamps): every value once in a compact
	 * set, and apart, the few values seen more than once with their counts.
	 */
	int8		fast;			/* -1 not decided yet, 0 no, 1 yes */
	bool		transient;		/* deserialized: merged once, then released */
	int64		expected_rows;	/* sizes the set up front */
	DatumSet	seen;
	DatumSet	dups;
} DupState;

static DupState *
unique_state_new(MemoryContext aggcxt, int ncols, int64 limit_bytes,
				 int32 sample_size, int64 expected_rows)
{
	MemoryContext old = MemoryContextSwitchTo(aggcxt);
	DupState *state = palloc0(sizeof(DupState));

	state->entries_cxt = AllocSetContextCreate(aggcxt, "dtecert unique",
											   ALLOCSET_DEFAULT_SIZES);
	state->ncols = ncols;
	state->types = palloc0(sizeof(AggType) * Max(ncols, 1));
	state->limit_bytes = limit_bytes;
	state->sample_size = sample_size;
	state->nbuckets = 1024;
	state->buckets = MemoryContextAllocZero(state->entries_cxt,
											sizeof(DupEntry *) * state->nbuckets);
	state->row_values = palloc(sizeof(Datum) * Max(ncols, 1));
	state->row_nulls = palloc(sizeof(bool) * Max(ncols, 1));
	state->fast = -1;
	state->expected_rows = expected_rows;
	MemoryContextSwitchTo(old);
	return state;
}

/* Past the budget, stop counting: an exact pass will count this check. */
static void
unique_overflow(DupState *state)
{
	state->overflowed = true;
	MemoryContextReset(state->entries_cxt);
	state->buckets = NULL;
	state->nentries = 0;
	state->nbuckets = 0;
	memset(&state->seen, 0, sizeof(DatumSet));
	memset(&state->dups, 0, sizeof(DatumSet));
}

static bool
unique_over_budget(DupState *state)
{
	return (int64) MemoryContextMemAllocated(state->entries_cxt, true) > state->limit_bytes;
}

static void
unique_grow(DupState *state)
{
	int64		nbuckets = state->nbuckets * 2;
	DupEntry **buckets;
	int64		i;

	if ((Size) nbuckets * sizeof(DupEntry *) >= MaxAllocHugeSize)
	{
		unique_overflow(state);
		return;
	}
	buckets = MemoryContextAllocHuge(state->entries_cxt,
									 sizeof(DupEntry *) * nbuckets);
	memset(buckets, 0, sizeof(DupEntry *) * nbuckets);
	for (i = 0; i < state->nbuckets; i++)
	{
		DupEntry *entry = state->buckets[i];

		while (entry)
		{
			DupEntry *next = entry->next;
			int64		b = entry->hash & (nbuckets - 1);

			entry->next = buckets[b];
			buckets[b] = entry;
			entry = next;
		}
	}
	pfree(state->buckets);
	state->buckets = buckets;
	state->nbuckets = nbuckets;
}

static uint64
unique_hash(DupState *state, Datum *values, bool *nulls)
{
	uint64		hash = 0;
	int			i;

	for (i = 0; i < state->ncols; i++)
		hash = (hash * UINT64CONST(0x100000001b3)) ^
			agg_hash_value(&state->types[i], values[i], nulls[i]);
	return hash;
}

static bool
unique_match(DupState *state, DupEntry *entry, Datum *values, bool *nulls)
{
	int			i;

	for (i = 0; i < state->ncols; i++)
		if (!agg_equal_values(&state->types[i], entry->values[i], entry->nulls[i],
							  values[i], nulls[i]))
			return false;
	return true;
}

/* Types whose "=" is the equality of their Datums. */
static bool
datum_equality_type(Oid basetypid)
{
	switch (basetypid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case OIDOID:
		case DATEOID:
		case TIMEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
		case BOOLOID:
			return true;
		default:
			return false;
	}
}

/* Double a set, unless the state would then pass its budget. */
static bool
fast_make_room(DupState *state, DatumSet *set)
{
	Size		after;

	if (!datumset_needs_growth(set))
		return true;
	after = datumset_bytes(state->seen.capacity * (set == &state->seen ? 2 : 1), false) +
		datumset_bytes(state->dups.capacity * (set == &state->dups ? 2 : 1), true);
	if ((int64) after > state->limit_bytes)
	{
		unique_overflow(state);
		return false;
	}
	datumset_grow(set, state->entries_cxt);
	return true;
}

/*
 * Count a value count times.  A value seen once lives only in seen; one
 * seen again also goes to dups, with the number of rows holding it.
 */
static void
fast_add(DupState *state, Datum key, int64 count)
{
	bool		found;
	int64		total = count;
	int64		slot;

	if (!fast_make_room(state, &state->seen))
		return;
	(void) datumset_insert(&state->seen, key, &found);
	if (!found && count == 1)
		return;
	if (found)
	{
		slot = datumset_find(&state->dups, key);
		total += slot >= 0 ? state->dups.counts[slot] : 1;
	}
	if (!fast_make_room(state, &state->dups))
		return;
	slot = datumset_insert(&state->dups, key, &found);
	state->dups.counts[slot] = total;
}

/*
 * The set is sized up front for a share of the rows the table is expected
 * to hold (parallel workers each see a share), within the budget.
 */
static void
decide_fast(DupState *state)
{
	int64		capacity;

	state->fast = state->ncols == 1 &&
		datum_equality_type(getBaseType(state->types[0].typid));
	if (!state->fast)
		return;
	capacity = datumset_capacity_for(state->expected_rows / 3);
	while (capacity > 1024 &&
		   (int64) (datumset_bytes(capacity, false) + datumset_bytes(1024, true)) > state->limit_bytes)
		capacity /= 2;
	datumset_create(&state->seen, capacity, false, state->entries_cxt);
	datumset_create(&state->dups, 1024, true, state->entries_cxt);
}

/* Count a value (count times); copies it into the state when it is new. */
static void
unique_add(DupState *state, Datum *values, bool *nulls, int64 count)
{
	uint64		hash;
	int64		b;
	DupEntry *entry;
	MemoryContext old;
	int			i;

	if (state->overflowed)
		return;
	if (state->fast < 0)
		decide_fast(state);
	if (state->fast && !nulls[0])
	{
		fast_add(state, values[0], count);
		return;
	}
	hash = unique_hash(state, values, nulls);
	b = hash & (state->nbuckets - 1);
	for (entry = state->buckets[b]; entry; entry = entry->next)
		if (entry->hash == hash && unique_match(state, entry, values, nulls))
		{
			entry->count += count;
			return;
		}

	old = MemoryContextSwitchTo(state->entries_cxt);
	entry = palloc(sizeof(DupEntry));
	entry->hash = hash;
	entry->count = count;
	entry->values = palloc(sizeof(Datum) * state->ncols);
	entry->nulls = palloc(sizeof(bool) * state->ncols);
	for (i = 0; i < state->ncols; i++)
	{
		entry->nulls[i] = nulls[i];
		if (nulls[i])
			entry->values[i] = (Datum) 0;
		else if (state->types[i].typlen == -1)	/* keep no TOAST pointers */
			entry->values[i] = PointerGetDatum(PG_DETOAST_DATUM_COPY(values[i]));
		else
			entry->values[i] = datumCopy(values[i], state->types[i].typbyval,
										 state->types[i].typlen);
	}
	MemoryContextSwitchTo(old);
	entry->next = state->buckets[b];
	state->buckets[b] = entry;
	state->nentries++;

	/* checking the budget costs a walk of the blocks: not on every row */
	if ((state->nentries & 1023) == 0 && unique_over_budget(state))
		unique_overflow(state);
	else if (state->nentries > state->nbuckets)
		unique_grow(state);
}

/* Every distinct value counted, in either representation. */
typedef void (*dup_visitor) (DupState *state, Datum *values, bool *nulls,
							 int64 count, void *arg);

static void
unique_visit(DupState *state, dup_visitor visit, void *arg)
{
	static bool not_null = false;
	int64		i;

	for (i = 0; i < state->seen.capacity; i++)
	{
		int64		dup;

		if (!datumset_slot_used(&state->seen, i))
			continue;
		dup = datumset_find(&state->dups, state->seen.keys[i]);
		visit(state, &state->seen.keys[i], &not_null,
			  dup >= 0 ? state->dups.counts[dup] : 1, arg);
	}
	for (i = 0; i < state->nbuckets; i++)
	{
		DupEntry   *entry;

		for (entry = state->buckets[i]; entry; entry = entry->next)
			visit(state, entry->values, entry->nulls, entry->count, arg);
	}
}

Datum
dtecert_unique_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_unique_trans");
	DupState *state = PG_ARGISNULL(0) ? NULL : (DupState *) PG_GETARG_POINTER(0);
	int			ncols = PG_NARGS() - 1 - UNIQUE_FIXED_ARGS;
	int			i;

	if (state == NULL)
	{
		MemoryContext old;

		if (ncols < 1 || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
			elog(ERROR, "dtecert.unique_agg needs a limit, a sample size, a size hint and at least one column");
		state = unique_state_new(aggcxt, ncols, PG_GETARG_INT64(1), PG_GETARG_INT32(2),
								 PG_GETARG_INT64(3));
		old = MemoryContextSwitchTo(aggcxt);
		agg_types_from_args(fcinfo, 1 + UNIQUE_FIXED_ARGS, ncols, state->types,
							UNIQUE_NEEDS);
		MemoryContextSwitchTo(old);
	}
	if (state->overflowed)
		PG_RETURN_POINTER(state);

	for (i = 0; i < ncols; i++)
	{
		state->row_nulls[i] = PG_ARGISNULL(1 + UNIQUE_FIXED_ARGS + i);
		state->row_values[i] = state->row_nulls[i] ? (Datum) 0 :
			PG_GETARG_DATUM(1 + UNIQUE_FIXED_ARGS + i);
	}
	unique_add(state, state->row_values, state->row_nulls, 1);
	PG_RETURN_POINTER(state);
}

/* Merge two partial states (parallel query): counts of equal values add up. */
static void
merge_into(DupState *from, Datum *values, bool *nulls, int64 count, void *arg)
{
	unique_add((DupState *) arg, values, nulls, count);
}

Datum
dtecert_unique_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_unique_combine");
	DupState *state1 = PG_ARGISNULL(0) ? NULL : (DupState *) PG_GETARG_POINTER(0);
	DupState *state2 = PG_ARGISNULL(1) ? NULL : (DupState *) PG_GETARG_POINTER(1);
	int64		i;

	if (state2 == NULL)
		PG_RETURN_POINTER(state1);

	/*
	 * The first worker's state, deserialized in this aggregate's memory and
	 * used by nothing else, becomes the merged state as it is: no copy.
	 */
	if (state1 == NULL && state2->transient)
	{
		state2->transient = false;
		PG_RETURN_POINTER(state2);
	}
	if (state1 == NULL)
	{
		MemoryContext old;

		state1 = unique_state_new(aggcxt, state2->ncols, state2->limit_bytes,
								  state2->sample_size, state2->expected_rows * 3);
		old = MemoryContextSwitchTo(aggcxt);
		for (i = 0; i < state2->ncols; i++)
			agg_type_init(&state1->types[i], state2->types[i].typid,
						  state2->types[i].collation, UNIQUE_NEEDS);
		MemoryContextSwitchTo(old);
	}
	if (state2->overflowed)
		unique_overflow(state1);
	if (!state1->overflowed)
		unique_visit(state2, merge_into, state1);
	if (!state1->overflowed && unique_over_budget(state1))
		unique_overflow(state1);

	/*
	 * A worker's state, deserialized for this merge, is not used again: give
	 * its memory back now, so the leader holds one state, not one per worker.
	 */
	if (state2->transient)
	{
		MemoryContextReset(state2->entries_cxt);
		state2->buckets = NULL;
		state2->nbuckets = 0;
		memset(&state2->seen, 0, sizeof(DatumSet));
		memset(&state2->dups, 0, sizeof(DatumSet));
	}
	PG_RETURN_POINTER(state1);
}

static void
count_entry(DupState *state, Datum *values, bool *nulls, int64 count, void *arg)
{
	(*(int64 *) arg)++;
}

/*
 * A value of a fast-path type travels as its raw Datum: states only cross
 * between the processes of one query on one server, and the type's send
 * function would cost an allocation per value.
 */
static bool
raw_datums(DupState *state)
{
	return state->ncols == 1 && datum_equality_type(getBaseType(state->types[0].typid));
}

static void
send_entry(DupState *state, Datum *values, bool *nulls, int64 count, void *arg)
{
	StringInfo	buf = (StringInfo) arg;
	int			c;

	pq_sendint64(buf, count);
	if (raw_datums(state))
	{
		pq_sendbyte(buf, nulls[0]);
		if (!nulls[0])
			pq_sendint64(buf, (int64) values[0]);
		return;
	}
	for (c = 0; c < state->ncols; c++)
		agg_send_value(buf, &state->types[c], values[c], nulls[c]);
}

/*
 * The fast path's compact format: the values seen once, 8 bytes each, then
 * the values seen more than once with their counts.  A worker's state for
 * millions of values crosses to the leader at about half the size.
 */
static void
send_compact(DupState *state, StringInfo buf)
{
	int64		once = state->seen.count - state->dups.count;
	int64		i;

	pq_sendbyte(buf, true);
	pq_sendint64(buf, once);
	enlargeStringInfo(buf, (int) Min(once * 8 + state->dups.count * 16 + 16,
									 (int64) MaxAllocSize - buf->len - 1));
	for (i = 0; i < state->seen.capacity; i++)
		if (datumset_slot_used(&state->seen, i) &&
			datumset_find(&state->dups, state->seen.keys[i]) < 0)
			pq_sendint64(buf, (int64) state->seen.keys[i]);
	pq_sendint64(buf, state->dups.count);
	for (i = 0; i < state->dups.capacity; i++)
		if (datumset_slot_used(&state->dups, i))
		{
			pq_sendint64(buf, (int64) state->dups.keys[i]);
			pq_sendint64(buf, state->dups.counts[i]);
		}
}

static void
unique_add_one_fast(DupState *state, Datum key, int64 count)
{
	bool		isnull = false;

	unique_add(state, &key, &isnull, count);
}

static void
receive_compact(DupState *state, StringInfo buf)
{
	int64		once = pq_getmsgint64(buf);
	int64		ndups;
	int64		i;

	state->expected_rows = once * 3;
	for (i = 0; i < once && !state->overflowed; i++)
		unique_add_one_fast(state, (Datum) pq_getmsgint64(buf), 1);
	if (!state->overflowed)
	{
		ndups = pq_getmsgint64(buf);
		for (i = 0; i < ndups && !state->overflowed; i++)
		{
			Datum		key = (Datum) pq_getmsgint64(buf);
			int64		count = pq_getmsgint64(buf);

			unique_add_one_fast(state, key, count);
		}
	}
	if (state->overflowed)
		buf->cursor = buf->len; /* the rest no longer matters */
}

Datum
dtecert_unique_serialize(PG_FUNCTION_ARGS)
{
	DupState   *state = (DupState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int64		count;

	(void) agg_check_context(fcinfo, "dtecert_unique_serialize");
	pq_begintypsend(&buf);
	agg_send_types(&buf, state->types, state->ncols);
	pq_sendint64(&buf, state->limit_bytes);
	pq_sendint32(&buf, state->sample_size);
	pq_sendint64(&buf, state->expected_rows);
	pq_sendbyte(&buf, state->overflowed);
	if (state->fast == 1 && state->nentries == 0 && !state->overflowed)
	{
		send_compact(state, &buf);
		PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
	}
	pq_sendbyte(&buf, false);	/* the general format */
	count = 0;
	unique_visit(state, count_entry, &count);
	pq_sendint64(&buf, count);
	unique_visit(state, send_entry, &buf);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
dtecert_unique_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_unique_deserialize");
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	MemoryContext old = MemoryContextSwitchTo(aggcxt);
	DupState *state;
	AggType    *types;
	int			ncols;
	int64		limit_bytes;
	int32		sample_size;
	int64		expected_rows;
	bool		overflowed;
	int64		nentries;
	int64		i;
	int			c;
	Datum	   *values;
	bool	   *nulls;

	agg_state_reader(bytes, &buf);

	types = agg_receive_types(&buf, &ncols, UNIQUE_NEEDS);
	limit_bytes = pq_getmsgint64(&buf);
	sample_size = pq_getmsgint(&buf, 4);
	expected_rows = pq_getmsgint64(&buf);
	overflowed = pq_getmsgbyte(&buf);

	state = unique_state_new(aggcxt, ncols, limit_bytes, sample_size, 0);
	state->types = types;
	state->transient = true;
	if (overflowed)
		unique_overflow(state);
	if (pq_getmsgbyte(&buf))
		receive_compact(state, &buf);
	else
	{
		nentries = pq_getmsgint64(&buf);
		/* sized for the values it brings, not for the whole table */
		state->expected_rows = nentries * 3;
		values = palloc(sizeof(Datum) * Max(ncols, 1));
		nulls = palloc(sizeof(bool) * Max(ncols, 1));
		for (i = 0; i < nentries && !overflowed; i++)
		{
			int64		count = pq_getmsgint64(&buf);

			if (raw_datums(state))
			{
				nulls[0] = pq_getmsgbyte(&buf);
				values[0] = nulls[0] ? (Datum) 0 : (Datum) pq_getmsgint64(&buf);
			}
			else
				for (c = 0; c < ncols; c++)
					values[c] = agg_receive_value(&buf, &types[c], &nulls[c]);
			unique_add(state, values, nulls, count);
		}
	}
	pq_getmsgend(&buf);
	/* what a merge sizes its state by: the table's estimate */
	state->expected_rows = expected_rows;
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(state);
}

/* ---- the result: the count, and the smallest duplicated values ---- */

typedef struct DupRef
{
	Datum	   *values;
	bool	   *nulls;
} DupRef;

typedef struct SampleCollector
{
	DupRef	   *kept;			/* sorted, the smallest first */
	int			nkept;
	int64		unexpected;
	int64		distinct;
} SampleCollector;

static int
unique_ref_cmp(DupState *state, Datum *values, bool *nulls, DupRef *b)
{
	int			c;
	int			r;

	for (c = 0; c < state->ncols; c++)
		if ((r = agg_compare_values(&state->types[c], values[c], nulls[c],
									b->values[c], b->nulls[c])) != 0)
			return r;
	return 0;
}

/* The text of a value: itself for one column, (a, b) for several. */
static char *
unique_ref_text(DupState *state, DupRef *ref)
{
	StringInfoData buf;
	int			c;

	if (state->ncols == 1)
		return agg_value_text(&state->types[0], ref->values[0], ref->nulls[0]);
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '(');
	for (c = 0; c < state->ncols; c++)
	{
		char	   *text = agg_value_text(&state->types[c], ref->values[c], ref->nulls[c]);

		appendStringInfo(&buf, "%s%s", c ? ", " : "", text ? text : "NULL");
	}
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

/*
 * Count the rows of duplicated values and keep the sample_size smallest
 * values, by insertion into a sorted array: the sample is small and
 * duplicates are usually few.  The state is not changed meanwhile, so
 * pointers into it stay valid.
 */
static void
collect_sample(DupState *state, Datum *values, bool *nulls, int64 count, void *arg)
{
	SampleCollector *sc = (SampleCollector *) arg;
	int			pos;

	sc->distinct++;
	if (count < 2)
		return;
	sc->unexpected += count;
	if (state->sample_size <= 0)
		return;
	if (sc->nkept == state->sample_size &&
		unique_ref_cmp(state, values, nulls, &sc->kept[sc->nkept - 1]) >= 0)
		return;
	pos = sc->nkept < state->sample_size ? sc->nkept++ : sc->nkept - 1;
	while (pos > 0 && unique_ref_cmp(state, values, nulls, &sc->kept[pos - 1]) < 0)
	{
		sc->kept[pos] = sc->kept[pos - 1];
		pos--;
	}
	sc->kept[pos].values = values;
	sc->kept[pos].nulls = nulls;
}

Datum
dtecert_unique_final(PG_FUNCTION_ARGS)
{
	DupState *state = PG_ARGISNULL(0) ? NULL : (DupState *) PG_GETARG_POINTER(0);
	TupleDesc	desc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	SampleCollector sc = {0};
	Datum	   *texts;
	bool	   *text_nulls;
	int			nkept;
	int64		unexpected;
	int			dims[1];
	int			lbs[1] = {1};
	int			i;

	(void) agg_check_context(fcinfo, "dtecert_unique_final");
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "dtecert_unique_final must return a composite type");
	desc = BlessTupleDesc(desc);

	if (state == NULL)			/* no row considered */
	{
		values[0] = Int64GetDatum(0);
		values[1] = BoolGetDatum(false);
		values[2] = PointerGetDatum(construct_empty_array(TEXTOID));
		values[3] = Int64GetDatum(0);
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
	}
	if (state->overflowed)
	{
		nulls[0] = nulls[2] = nulls[3] = true;
		values[1] = BoolGetDatum(true);
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
	}

	sc.kept = palloc(sizeof(DupRef) * Max(state->sample_size, 1));
	unique_visit(state, collect_sample, &sc);
	nkept = sc.nkept;
	unexpected = sc.unexpected;
	texts = palloc(sizeof(Datum) * Max(nkept, 1));
	text_nulls = palloc(sizeof(bool) * Max(nkept, 1));
	for (i = 0; i < nkept; i++)
	{
		char	   *text = unique_ref_text(state, &sc.kept[i]);

		text_nulls[i] = text == NULL;
		texts[i] = text ? CStringGetTextDatum(text) : (Datum) 0;
	}
	dims[0] = nkept;
	values[0] = Int64GetDatum(unexpected);
	values[1] = BoolGetDatum(false);
	values[3] = Int64GetDatum(sc.distinct);
	values[2] = nkept == 0 ? PointerGetDatum(construct_empty_array(TEXTOID)) :
		PointerGetDatum(construct_md_array(texts, text_nulls, 1, dims, lbs,
										   TEXTOID, -1, false, TYPALIGN_INT));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
