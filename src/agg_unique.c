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

PG_FUNCTION_INFO_V1(dtecert_unique_trans);
PG_FUNCTION_INFO_V1(dtecert_unique_combine);
PG_FUNCTION_INFO_V1(dtecert_unique_serialize);
PG_FUNCTION_INFO_V1(dtecert_unique_deserialize);
PG_FUNCTION_INFO_V1(dtecert_unique_final);

#define UNIQUE_NEEDS	(AGG_TYPE_EQUAL | AGG_TYPE_HASH | AGG_TYPE_COMPARE | AGG_TYPE_OUTPUT)
#define UNIQUE_FIXED_ARGS	2	/* limit_bytes, sample_size */

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
	 * its Datum (integers, dates, timestamps): an open-addressing table of
	 * the Datums themselves, no allocation per value.  A slot is free while
	 * its count is 0.
	 */
	int8		fast;			/* -1 not decided yet, 0 no, 1 yes */
	int64		fast_capacity;	/* a power of two */
	Datum	   *fast_keys;
	int64	   *fast_counts;
} DupState;

static DupState *
unique_state_new(MemoryContext aggcxt, int ncols, int64 limit_bytes,
				 int32 sample_size)
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
	state->fast_keys = NULL;
	state->fast_counts = NULL;
	state->fast_capacity = 0;
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

static uint64
mix64(uint64 x)
{
	/* the finalizer of MurmurHash3: cheap, and spreads sequential keys */
	x ^= x >> 33;
	x *= UINT64CONST(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64CONST(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return x;
}

static void fast_insert(DupState *state, Datum key, int64 count);

static bool
fast_allocate(DupState *state, int64 capacity)
{
	Size		bytes = (Size) capacity * (sizeof(Datum) + sizeof(int64));

	if ((int64) bytes > state->limit_bytes || bytes >= MaxAllocHugeSize)
		return false;
	state->fast_capacity = capacity;
	state->fast_keys = MemoryContextAllocHuge(state->entries_cxt,
											  capacity * sizeof(Datum));
	state->fast_counts = MemoryContextAllocHuge(state->entries_cxt,
												capacity * sizeof(int64));
	memset(state->fast_counts, 0, capacity * sizeof(int64));
	return true;
}

/* Double the table at 70% load, or overflow when that would pass the budget. */
static void
fast_grow(DupState *state)
{
	Datum	   *keys = state->fast_keys;
	int64	   *counts = state->fast_counts;
	int64		capacity = state->fast_capacity;
	int64		i;

	state->nentries = 0;
	if (!fast_allocate(state, capacity * 2))
	{
		unique_overflow(state);
		return;
	}
	for (i = 0; i < capacity; i++)
		if (counts[i] > 0)
			fast_insert(state, keys[i], counts[i]);
	pfree(keys);
	pfree(counts);
}

static void
fast_insert(DupState *state, Datum key, int64 count)
{
	uint64		mask = state->fast_capacity - 1;
	uint64		slot = mix64((uint64) key) & mask;

	while (state->fast_counts[slot] > 0)
	{
		if (state->fast_keys[slot] == key)
		{
			state->fast_counts[slot] += count;
			return;
		}
		slot = (slot + 1) & mask;
	}
	state->fast_keys[slot] = key;
	state->fast_counts[slot] = count;
	if (++state->nentries * 10 > state->fast_capacity * 7)
		fast_grow(state);
}

static void
decide_fast(DupState *state)
{
	state->fast = state->ncols == 1 &&
		datum_equality_type(getBaseType(state->types[0].typid)) &&
		fast_allocate(state, 1024);
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
		fast_insert(state, values[0], count);
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

	for (i = 0; i < state->fast_capacity; i++)
		if (state->fast_counts[i] > 0)
			visit(state, &state->fast_keys[i], &not_null, state->fast_counts[i], arg);
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

		if (ncols < 1 || PG_ARGISNULL(1) || PG_ARGISNULL(2))
			elog(ERROR, "dtecert.unique_agg needs a limit, a sample size and at least one column");
		state = unique_state_new(aggcxt, ncols, PG_GETARG_INT64(1), PG_GETARG_INT32(2));
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
	if (state1 == NULL)
	{
		MemoryContext old;

		state1 = unique_state_new(aggcxt, state2->ncols, state2->limit_bytes,
								  state2->sample_size);
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
	PG_RETURN_POINTER(state1);
}

static void
count_entry(DupState *state, Datum *values, bool *nulls, int64 count, void *arg)
{
	(*(int64 *) arg)++;
}

static void
send_entry(DupState *state, Datum *values, bool *nulls, int64 count, void *arg)
{
	StringInfo	buf = (StringInfo) arg;
	int			c;

	pq_sendint64(buf, count);
	for (c = 0; c < state->ncols; c++)
		agg_send_value(buf, &state->types[c], values[c], nulls[c]);
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
	pq_sendbyte(&buf, state->overflowed);
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
	bool		overflowed;
	int64		nentries;
	int64		i;
	int			c;
	Datum	   *values;
	bool	   *nulls;

	buf.data = VARDATA_ANY(bytes);
	buf.len = VARSIZE_ANY_EXHDR(bytes);
	buf.maxlen = buf.len;
	buf.cursor = 0;

	types = agg_receive_types(&buf, &ncols, UNIQUE_NEEDS);
	limit_bytes = pq_getmsgint64(&buf);
	sample_size = pq_getmsgint(&buf, 4);
	overflowed = pq_getmsgbyte(&buf);
	nentries = pq_getmsgint64(&buf);

	state = unique_state_new(aggcxt, ncols, limit_bytes, sample_size);
	state->types = types;
	if (overflowed)
		unique_overflow(state);
	values = palloc(sizeof(Datum) * Max(ncols, 1));
	nulls = palloc(sizeof(bool) * Max(ncols, 1));
	for (i = 0; i < nentries && !overflowed; i++)
	{
		int64		count = pq_getmsgint64(&buf);

		for (c = 0; c < ncols; c++)
			values[c] = agg_receive_value(&buf, &types[c], &nulls[c]);
		unique_add(state, values, nulls, count);
	}
	pq_getmsgend(&buf);
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
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
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
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
	}
	if (state->overflowed)
	{
		nulls[0] = nulls[2] = true;
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
	values[2] = nkept == 0 ? PointerGetDatum(construct_empty_array(TEXTOID)) :
		PointerGetDatum(construct_md_array(texts, text_nulls, 1, dims, lbs,
										   TEXTOID, -1, false, TYPALIGN_INT));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
