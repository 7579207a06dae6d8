/*-------------------------------------------------------------------------
 *
 * agg_unique.c
 *	  dtecert.unique_agg(limit_bytes bigint, sample_size int, VARIADIC "any"):
 *	  exact uniqueness in the shared scan.
 *
 *	  Great Expectations counts every row whose value occurs more than once
 *	  (NULLs are filtered out by the caller; among several columns NULL
 *	  equals NULL, as GROUP BY has it).  The state holds every distinct
 *	  value with its count; parallel workers build states apart and the
 *	  leader merges them.  One column of integers, dates or timestamps takes
 *	  the fast path: sorted runs of raw Datums, merged in one sequential
 *	  pass (see DupState).  Other values live in a hash table with their
 *	  type's own hash and equality.  It is exact, never approximate: a state
 *	  that outgrows its budget gives up (overflowed) and the certification
 *	  then counts that check with one extra sort pass over its own columns.
 *	  The budget, limit_bytes, holds for all the processes of a parallel
 *	  scan together: each partial state may use its share.
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

/*
 * A sorted run of the fast path: distinct values in ascending order (as
 * unsigned 64-bit words: any total order does, as long as every run uses
 * the same), and apart, in the same order, those held more than once with
 * their counts.  Runs merge in one sequential pass, without hashing.
 *
 * The values are stored as the varint-encoded differences between
 * consecutive ones: a run of a worker's share of dense keys takes about a
 * byte a value instead of eight, and it is copied several times on its way
 * to the leader (serialized, put in a tuple, through the queue, read back).
 */
typedef struct FastRun
{
	uint8	   *bytes;			/* the keys, as varint deltas */
	int64		nbytes;
	int64		nkeys;
	Datum	   *dupkeys;
	int64	   *dupcounts;
	int64		ndups;
} FastRun;

/* Reads a run's keys in order. */
typedef struct RunCursor
{
	FastRun    *run;
	const uint8 *p;
	const uint8 *end;
	int64		left;			/* keys not read yet, the current one included */
	uint64		key;			/* the current key, when left > 0 */
	int64		dpos;			/* the next of the run's dupkeys */
} RunCursor;

typedef struct DupState
{
	MemoryContext entries_cxt;	/* the entries and their values */
	int			ncols;
	AggType    *types;
	int64		limit_bytes;	/* the check's share of dtecert.exact_mem */
	int64		budget;			/* what this state may hold of it */
	int32		sample_size;
	bool		overflowed;
	int64		nentries;
	int64		nbuckets;		/* a power of two */
	DupEntry **buckets;
	Datum	   *row_values;		/* scratch: one row's arguments */
	bool	   *row_nulls;

	/*
	 * The fast path, for one column of a type whose equality is equality of
	 * its Datum (integers, dates, timestamps).  A state first collects its
	 * values in a compact hash set (seen, and the few repeated ones with
	 * their counts in dups): few distinct values stay small.  Past
	 * FAST_HASH_MAX distinct values it appends them to a buffer instead,
	 * with no hashing and no cache miss per row, and sorts them once at
	 * the end.  Finished states are sorted runs, which the leader of a
	 * parallel query merges without reinserting a value.
	 */
	int8		fast;			/* -1 not decided yet, 0 no, 1 yes */
	bool		transient;		/* deserialized: merged once, then released */
	int64		expected_rows;	/* rows this state is expected to see */
	DatumSet	seen;
	DatumSet	dups;
	Datum	   *buf;			/* appended values; NULL while hashing */
	int64		nbuf;
	int64		bufcap;
	FastRun    *runs;
	int			nruns;
	int			maxruns;
	int64		run_bytes;
} DupState;

/* Distinct values the hash set takes before a state appends (4 MB). */
#define FAST_HASH_MAX	(1 << 18)

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
	state->budget = limit_bytes;
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

/* Forget every value, keeping the state's types and settings. */
static void
unique_state_clear(DupState *state)
{
	MemoryContextReset(state->entries_cxt);
	state->buckets = NULL;
	state->nentries = 0;
	state->nbuckets = 0;
	memset(&state->seen, 0, sizeof(DatumSet));
	memset(&state->dups, 0, sizeof(DatumSet));
	state->buf = NULL;
	state->nbuf = state->bufcap = 0;
	state->runs = NULL;
	state->nruns = state->maxruns = 0;
	state->run_bytes = 0;
}

/* Past the budget, stop counting: an exact pass will count this check. */
static void
unique_overflow(DupState *state)
{
	state->overflowed = true;
	unique_state_clear(state);
}

static bool
unique_over_budget(DupState *state)
{
	return (int64) MemoryContextMemAllocated(state->entries_cxt, true) > state->budget;
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

/* ---- the fast path ---- */

static Size
set_bytes(DatumSet *set)
{
	return set->capacity > 0 ? datumset_bytes(set->capacity, set->counts != NULL) : 0;
}

/* The bytes the fast path holds. */
static int64
fast_bytes(DupState *state)
{
	return (int64) (set_bytes(&state->seen) + set_bytes(&state->dups)) +
		state->bufcap * (int64) sizeof(Datum) + state->run_bytes;
}

/* Double a set, unless the state would then pass its budget. */
static bool
fast_make_room(DupState *state, DatumSet *set)
{
	if (!datumset_needs_growth(set))
		return true;
	if (fast_bytes(state) + (int64) set_bytes(set) > state->budget)
	{
		unique_overflow(state);
		return false;
	}
	datumset_grow(set, state->entries_cxt);
	return true;
}

static int64
dups_count(DupState *state, Datum key)
{
	int64		slot = datumset_find(&state->dups, key);

	return slot >= 0 ? state->dups.counts[slot] : 1;
}

/* Record that key is held total times. */
static void
dups_set(DupState *state, Datum key, int64 total)
{
	bool		found;
	int64		slot;

	if (state->dups.capacity == 0)
		datumset_create(&state->dups, 1024, true, state->entries_cxt);
	if (!fast_make_room(state, &state->dups))
		return;
	slot = datumset_insert(&state->dups, key, &found);
	state->dups.counts[slot] = total;
}

/*
 * Count a value count times in the hash set.  A value seen once lives only
 * in seen; one seen again also goes to dups, with the number of rows
 * holding it.  Returns false, having done nothing, when the set is full.
 */
static bool
hash_add(DupState *state, Datum key, int64 count)
{
	bool		found;
	int64		total = count;

	if (state->seen.capacity == 0)
		datumset_create(&state->seen, 1024, false, state->entries_cxt);
	if (datumset_needs_growth(&state->seen))
	{
		if (state->seen.count >= FAST_HASH_MAX)
			return false;
		if (!fast_make_room(state, &state->seen))
			return true;		/* overflowed */
	}
	(void) datumset_insert(&state->seen, key, &found);
	if (!found && count == 1)
		return true;
	if (found)
		total += dups_count(state, key);
	dups_set(state, key, total);
	return true;
}

/*
 * Switch from the hash set to the buffer, sized for the rows this state is
 * expected to see, within its budget.  Every value seen so far goes in once;
 * dups keeps their counts.
 */
static bool
start_buffer(DupState *state)
{
	int64		others = fast_bytes(state) - (int64) set_bytes(&state->seen);
	int64		cap = Max(state->seen.count * 2, state->expected_rows + state->expected_rows / 4);
	int64		i;

	cap = Min(cap, (state->budget - others) / (int64) sizeof(Datum));
	cap = Min(cap, (int64) (MaxAllocHugeSize / sizeof(Datum)));
	if (cap < state->seen.count + 1024)
	{
		unique_overflow(state);
		return false;
	}
	state->buf = MemoryContextAllocHuge(state->entries_cxt, cap * sizeof(Datum));
	state->bufcap = cap;
	state->nbuf = 0;
	for (i = 0; i < state->seen.capacity; i++)
		if (datumset_slot_used(&state->seen, i))
			state->buf[state->nbuf++] = state->seen.keys[i];
	datumset_free(&state->seen);
	return true;
}

/*
 * Sort the buffer and keep each value once, adding its repeats to its count
 * in dups (a value already counted there is in the buffer once already).
 */
static void
buffer_compact(DupState *state)
{
	Datum	   *buf = state->buf;
	int64		n = state->nbuf;
	int64		i = 0;
	int64		out = 0;

	datum_sort(buf, n);
	while (i < n)
	{
		Datum		key = buf[i];
		int64		run = 1;

		while (i + run < n && buf[i + run] == key)
			run++;
		if (run > 1)
		{
			dups_set(state, key, dups_count(state, key) + run - 1);
			if (state->overflowed)
				return;
		}
		buf[out++] = key;
		i += run;
	}
	state->nbuf = out;
}

/*
 * A full buffer doubles, or grows to what the budget allows; at the budget,
 * folding the repeated values must free a quarter of it, or the state gives
 * up.
 */
static bool
buffer_make_room(DupState *state)
{
	int64		others = fast_bytes(state) - state->bufcap * (int64) sizeof(Datum);
	int64		cap = Min(state->bufcap * 2, (state->budget - others) / (int64) sizeof(Datum));

	cap = Min(cap, (int64) (MaxAllocHugeSize / sizeof(Datum)));
	if (cap > state->bufcap + state->bufcap / 4)
	{
		state->buf = repalloc_huge(state->buf, cap * sizeof(Datum));
		state->bufcap = cap;
		return true;
	}
	buffer_compact(state);
	if (state->overflowed)
		return false;
	if (state->nbuf <= state->bufcap - state->bufcap / 4)
		return true;
	unique_overflow(state);
	return false;
}

static void
buffer_add(DupState *state, Datum key, int64 count)
{
	if (state->nbuf == state->bufcap && !buffer_make_room(state))
		return;
	state->buf[state->nbuf++] = key;
	if (count > 1)
	{
		/* dups counts one of the key's places in the buffer: this is another */
		int64		slot = datumset_find(&state->dups, key);

		dups_set(state, key, slot >= 0 ? state->dups.counts[slot] + count - 1 : count);
	}
}

/* Count a value count times. */
static void
fast_add(DupState *state, Datum key, int64 count)
{
	if (state->buf == NULL)
	{
		if (hash_add(state, key, count))
			return;
		if (!start_buffer(state))
			return;
	}
	buffer_add(state, key, count);
}

static void
add_run(DupState *state, FastRun *run)
{
	if (state->nruns == state->maxruns)
	{
		state->maxruns = Max(4, state->maxruns * 2);
		state->runs = state->runs == NULL ?
			MemoryContextAlloc(state->entries_cxt, sizeof(FastRun) * state->maxruns) :
			repalloc(state->runs, sizeof(FastRun) * state->maxruns);
	}
	state->runs[state->nruns++] = *run;
	state->run_bytes += run->nbytes +
		run->ndups * (int64) (sizeof(Datum) + sizeof(int64));
}

/* dups, as sorted arrays for a run; dups is then emptied. */
static void
take_dups(DupState *state, FastRun *run)
{
	int64		i;
	int64		n = 0;

	run->ndups = state->dups.count;
	run->dupkeys = NULL;
	run->dupcounts = NULL;
	if (run->ndups == 0)
	{
		datumset_free(&state->dups);
		return;
	}
	run->dupkeys = MemoryContextAllocHuge(state->entries_cxt, run->ndups * sizeof(Datum));
	run->dupcounts = MemoryContextAllocHuge(state->entries_cxt, run->ndups * sizeof(int64));
	for (i = 0; i < state->dups.capacity; i++)
		if (datumset_slot_used(&state->dups, i))
			run->dupkeys[n++] = state->dups.keys[i];
	datum_sort(run->dupkeys, n);
	for (i = 0; i < n; i++)
		run->dupcounts[i] = state->dups.counts[datumset_find(&state->dups, run->dupkeys[i])];
	datumset_free(&state->dups);
}

static inline int
varint_put(uint8 *p, uint64 v)
{
	int			n = 0;

	while (v >= 0x80)
	{
		p[n++] = (uint8) (v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8) v;
	return n;
}

static uint64
varint_get_long(RunCursor *c)
{
	uint64		v = 0;
	int			shift = 0;

	for (;;)
	{
		uint8		b;

		if (c->p >= c->end || shift > 63)
			elog(ERROR, "dtecert.unique_agg: corrupt run");
		b = *c->p++;
		v |= (uint64) (b & 0x7f) << shift;
		if (b < 0x80)
			return v;
		shift += 7;
	}
}

/* A run of n sorted, distinct keys, encoded; keys is then freed. */
static void
encode_run(DupState *state, Datum *keys, int64 n, FastRun *run)
{
	int64		cap = n * 2 + 16;
	uint64		prev = 0;
	int64		i;

	run->nkeys = n;
	run->nbytes = 0;
	run->bytes = MemoryContextAllocHuge(state->entries_cxt, cap);
	for (i = 0; i < n; i++)
	{
		if (run->nbytes + 10 > cap)
		{
			cap *= 2;
			run->bytes = repalloc_huge(run->bytes, cap);
		}
		run->nbytes += varint_put(run->bytes + run->nbytes, (uint64) keys[i] - prev);
		prev = (uint64) keys[i];
	}
	pfree(keys);
	if (cap - run->nbytes > 1024 * 1024)
		run->bytes = repalloc_huge(run->bytes, Max(run->nbytes, 1));
}

/* The next delta: one byte, mostly, for a worker's share of dense keys. */
static inline uint64
varint_get(RunCursor *c)
{
	if (likely(c->p < c->end && *c->p < 0x80))
		return *c->p++;
	return varint_get_long(c);
}

static void
cursor_start(RunCursor *c, FastRun *run)
{
	c->run = run;
	c->p = run->bytes;
	c->end = run->bytes + run->nbytes;
	c->left = run->nkeys;
	c->dpos = 0;
	c->key = c->left > 0 ? varint_get(c) : 0;
}

/* How many times the run holds its current key; then on to the next key. */
static inline int64
cursor_take(RunCursor *c)
{
	FastRun    *run = c->run;
	int64		count = 1;

	if (c->dpos < run->ndups && (uint64) run->dupkeys[c->dpos] == c->key)
		count = run->dupcounts[c->dpos++];
	if (--c->left > 0)
		c->key += varint_get(c);
	return count;
}

/*
 * Make this state's own values a sorted run (it holds the same values:
 * nothing is lost, and more rows may still come).
 */
static void
fast_finish(DupState *state)
{
	FastRun		run;
	Datum	   *keys;
	int64		n = 0;
	int64		i;

	if (state->overflowed || state->fast != 1)
		return;
	if (state->buf != NULL)
	{
		buffer_compact(state);
		if (state->overflowed)
			return;
		keys = state->buf;
		n = state->nbuf;
		state->buf = NULL;
		state->nbuf = state->bufcap = 0;
	}
	else
	{
		if (state->seen.count == 0)
			return;
		keys = MemoryContextAllocHuge(state->entries_cxt,
									  state->seen.count * sizeof(Datum));
		for (i = 0; i < state->seen.capacity; i++)
			if (datumset_slot_used(&state->seen, i))
				keys[n++] = state->seen.keys[i];
		datumset_free(&state->seen);
		datum_sort(keys, n);
	}
	encode_run(state, keys, n, &run);
	take_dups(state, &run);
	add_run(state, &run);
}

/* Every distinct value counted, in either representation. */
typedef void (*dup_visitor) (DupState *state, Datum *values, bool *nulls,
							 int64 count, void *arg);

/*
 * Visit the fast path's values: one merge of the sorted runs, counts of
 * equal values adding up.  With repeated_only, only values held more than
 * once are visited (the others only counted: most values, when checking
 * uniqueness).  Returns how many distinct values were not visited.  The
 * value passed is valid during the call only.
 */
static int64
fast_visit(DupState *state, dup_visitor visit, void *arg, bool repeated_only)
{
	static bool not_null = false;
	int			nruns;
	RunCursor  *cur;
	int64		skipped = 0;
	int			r;

	fast_finish(state);
	/* one run (a serial scan): its repeated values are its dups */
	if (repeated_only && state->nruns == 1)
	{
		FastRun    *run = &state->runs[0];
		int64		i;

		for (i = 0; i < run->ndups; i++)
			visit(state, &run->dupkeys[i], &not_null, run->dupcounts[i], arg);
		return run->nkeys - run->ndups;
	}
	cur = palloc(sizeof(RunCursor) * Max(state->nruns, 1));
	nruns = 0;
	for (r = 0; r < state->nruns; r++)
	{
		cursor_start(&cur[nruns], &state->runs[r]);
		if (cur[nruns].left > 0)
			nruns++;
	}
	while (nruns > 0)
	{
		int			first = 0;
		uint64		min = cur[0].key;
		int64		total;
		Datum		key;

		/* the first cursor on the smallest key; then the others on it */
		for (r = 1; r < nruns; r++)
			if (cur[r].key < min)
			{
				min = cur[r].key;
				first = r;
			}
		total = cursor_take(&cur[first]);
		for (r = first + 1; r < nruns; r++)
			if (cur[r].key == min)
				total += cursor_take(&cur[r]);
		/* drop finished cursors */
		for (r = nruns - 1; r >= first; r--)
			if (cur[r].left == 0)
				cur[r] = cur[--nruns];
		if (repeated_only && total == 1)
		{
			skipped++;
			continue;
		}
		key = (Datum) min;
		visit(state, &key, &not_null, total, arg);
	}
	pfree(cur);
	return skipped;
}

/* A copy of a run in this state's memory. */
static void
copy_run(DupState *state, FastRun *from, FastRun *to)
{
	*to = *from;
	to->bytes = MemoryContextAllocHuge(state->entries_cxt, Max(from->nbytes, 1));
	memcpy(to->bytes, from->bytes, from->nbytes);
	if (from->ndups > 0)
	{
		to->dupkeys = MemoryContextAllocHuge(state->entries_cxt, from->ndups * sizeof(Datum));
		to->dupcounts = MemoryContextAllocHuge(state->entries_cxt, from->ndups * sizeof(int64));
		memcpy(to->dupkeys, from->dupkeys, from->ndups * sizeof(Datum));
		memcpy(to->dupcounts, from->dupcounts, from->ndups * sizeof(int64));
	}
}

/*
 * Merge another state's fast path into this one: its runs join this
 * state's, unmerged until the final pass.  A transient state's runs are
 * taken as they are, its memory becoming this state's.
 */
static void
fast_merge(DupState *state, DupState *from)
{
	int			r;

	if (from->fast != 1)
		return;
	if (state->fast < 0)
		state->fast = 1;
	fast_finish(from);
	if (from->overflowed)
	{
		unique_overflow(state);
		return;
	}
	for (r = 0; r < from->nruns; r++)
	{
		FastRun		run = from->runs[r];

		if (!from->transient)
			copy_run(state, &from->runs[r], &run);
		add_run(state, &run);
	}
	if (from->transient && from->nruns > 0)
	{
		MemoryContextSetParent(from->entries_cxt, state->entries_cxt);
		from->entries_cxt = NULL;	/* no longer its own */
	}
	if (fast_bytes(state) > state->budget)
		unique_overflow(state);
}

static void
entries_visit(DupState *state, dup_visitor visit, void *arg)
{
	int64		i;

	for (i = 0; i < state->nbuckets; i++)
	{
		DupEntry   *entry;

		for (entry = state->buckets[i]; entry; entry = entry->next)
			visit(state, entry->values, entry->nulls, entry->count, arg);
	}
}

static void
unique_visit(DupState *state, dup_visitor visit, void *arg)
{
	(void) fast_visit(state, visit, arg, false);
	entries_visit(state, visit, arg);
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
		state->fast = state->ncols == 1 &&
			datum_equality_type(getBaseType(state->types[0].typid));
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

Datum
dtecert_unique_trans(PG_FUNCTION_ARGS)
{
	DupState *state = PG_ARGISNULL(0) ? NULL : (DupState *) PG_GETARG_POINTER(0);
	int			ncols = PG_NARGS() - 1 - UNIQUE_FIXED_ARGS;
	int			i;

	/* only an aggregate holds a state: checking the context once will do */
	if (state == NULL)
	{
		MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_unique_trans");
		MemoryContext old;
		int			participants = agg_scan_participants();

		if (ncols < 1 || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
			elog(ERROR, "dtecert.unique_agg needs a limit, a sample size, a size hint and at least one column");
		/* a share of the budget and of the rows, when processes share the scan */
		state = unique_state_new(aggcxt, ncols, PG_GETARG_INT64(1), PG_GETARG_INT32(2),
								 PG_GETARG_INT64(3) / participants);
		state->budget = state->limit_bytes / participants;
		old = MemoryContextSwitchTo(aggcxt);
		agg_types_from_args(fcinfo, 1 + UNIQUE_FIXED_ARGS, ncols, state->types,
							UNIQUE_NEEDS);
		MemoryContextSwitchTo(old);
	}
	if (state->overflowed)
		PG_RETURN_POINTER(state);

	/* the fast path's common case: a value appended to the buffer */
	if (state->buf != NULL && state->nbuf < state->bufcap &&
		!PG_ARGISNULL(1 + UNIQUE_FIXED_ARGS))
	{
		state->buf[state->nbuf++] = PG_GETARG_DATUM(1 + UNIQUE_FIXED_ARGS);
		PG_RETURN_POINTER(state);
	}
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
								  state2->sample_size, state2->expected_rows);
		old = MemoryContextSwitchTo(aggcxt);
		for (i = 0; i < state2->ncols; i++)
			agg_type_init(&state1->types[i], state2->types[i].typid,
						  state2->types[i].collation, UNIQUE_NEEDS);
		MemoryContextSwitchTo(old);
	}
	if (state2->overflowed)
		unique_overflow(state1);
	if (!state1->overflowed)
		fast_merge(state1, state2);
	if (!state1->overflowed)
		entries_visit(state2, merge_into, state1);
	if (!state1->overflowed && unique_over_budget(state1))
		unique_overflow(state1);

	/*
	 * A worker's state, deserialized for this merge, is not used again: give
	 * back what of its memory the merged state did not take.
	 */
	if (state2->transient && state2->entries_cxt != NULL)
		unique_state_clear(state2);
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

/* The bytes of the fast path's runs, serialized. */
static int64
runs_wire_bytes(DupState *state)
{
	int64		bytes = 16;
	int			r;

	for (r = 0; r < state->nruns; r++)
		bytes += 24 + state->runs[r].nbytes +
			state->runs[r].ndups * (int64) (sizeof(Datum) + sizeof(int64));
	return bytes;
}

/*
 * The fast path's format: its sorted runs as they are in memory (machine
 * words: states only cross between processes of one server), which the
 * leader reads back with a copy, not a value at a time.
 */
static void
send_runs(DupState *state, StringInfo buf)
{
	int			r;

	pq_sendbyte(buf, true);
	pq_sendint32(buf, state->nruns);
	enlargeStringInfo(buf, (int) runs_wire_bytes(state));
	for (r = 0; r < state->nruns; r++)
	{
		FastRun    *run = &state->runs[r];

		pq_sendint64(buf, run->nkeys);
		pq_sendint64(buf, run->nbytes);
		pq_sendint64(buf, run->ndups);
		appendBinaryStringInfo(buf, (char *) run->bytes, run->nbytes);
		if (run->ndups > 0)
		{
			appendBinaryStringInfo(buf, (char *) run->dupkeys, run->ndups * sizeof(Datum));
			appendBinaryStringInfo(buf, (char *) run->dupcounts, run->ndups * sizeof(int64));
		}
	}
}

/* Read n bytes into this state's memory, checking the state holds them. */
static void *
receive_bytes(DupState *state, StringInfo buf, int64 n)
{
	void	   *bytes;

	if (n < 0 || n > buf->len - buf->cursor)
		elog(ERROR, "dtecert.unique_agg: corrupt state (%lld bytes)", (long long) n);
	bytes = MemoryContextAllocHuge(state->entries_cxt, Max(n, 1));
	memcpy(bytes, pq_getmsgbytes(buf, (int) n), n);
	return bytes;
}

static void
receive_runs(DupState *state, StringInfo buf)
{
	int			nruns = pq_getmsgint(buf, 4);
	int			r;

	state->fast = 1;
	for (r = 0; r < nruns; r++)
	{
		FastRun		run;

		run.nkeys = pq_getmsgint64(buf);
		run.nbytes = pq_getmsgint64(buf);
		run.ndups = pq_getmsgint64(buf);
		if (run.nkeys < 0 || run.ndups < 0 || run.ndups > run.nkeys)
			elog(ERROR, "dtecert.unique_agg: corrupt state");
		run.bytes = receive_bytes(state, buf, run.nbytes);
		run.dupkeys = run.ndups > 0 ? receive_bytes(state, buf, run.ndups * 8) : NULL;
		run.dupcounts = run.ndups > 0 ? receive_bytes(state, buf, run.ndups * 8) : NULL;
		add_run(state, &run);
	}
}

Datum
dtecert_unique_serialize(PG_FUNCTION_ARGS)
{
	DupState   *state = (DupState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int64		count;
	bool		runs;

	(void) agg_check_context(fcinfo, "dtecert_unique_serialize");
	fast_finish(state);
	runs = state->fast == 1 && state->nentries == 0 && !state->overflowed;
	/* a bytea holds at most 1 GB: a larger state gives up */
	if (runs && runs_wire_bytes(state) > (int64) MaxAllocSize - 4096)
	{
		unique_overflow(state);
		runs = false;
	}
	pq_begintypsend(&buf);
	agg_send_types(&buf, state->types, state->ncols);
	pq_sendint64(&buf, state->limit_bytes);
	pq_sendint32(&buf, state->sample_size);
	pq_sendint64(&buf, state->expected_rows);
	pq_sendbyte(&buf, state->overflowed);
	if (runs)
	{
		send_runs(state, &buf);
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

	/* it is merged in the leader, whose state may use the whole budget */
	state = unique_state_new(aggcxt, ncols, limit_bytes, sample_size, expected_rows);
	state->types = types;
	state->transient = true;
	if (overflowed)
		unique_overflow(state);
	if (pq_getmsgbyte(&buf))
		receive_runs(state, &buf);
	else
	{
		nentries = pq_getmsgint64(&buf);
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
		if (state->overflowed)
			buf.cursor = buf.len;	/* the rest no longer matters */
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
 * duplicates are usually few.  A value is kept as a copy of its Datums (a
 * fast-path value is passed in a variable that changes); those of other
 * types point into the state, which is not changed meanwhile.
 */
static void
collect_sample(DupState *state, Datum *values, bool *nulls, int64 count, void *arg)
{
	SampleCollector *sc = (SampleCollector *) arg;
	DupRef		spare;
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
	/* the slot given up (or a free one) takes the new value */
	pos = sc->nkept < state->sample_size ? sc->nkept++ : sc->nkept - 1;
	spare = sc->kept[pos];
	while (pos > 0 && unique_ref_cmp(state, values, nulls, &sc->kept[pos - 1]) < 0)
	{
		sc->kept[pos] = sc->kept[pos - 1];
		pos--;
	}
	memcpy(spare.values, values, sizeof(Datum) * state->ncols);
	memcpy(spare.nulls, nulls, sizeof(bool) * state->ncols);
	sc->kept[pos] = spare;
}

Datum
dtecert_unique_final(PG_FUNCTION_ARGS)
{
	DupState *state = PG_ARGISNULL(0) ? NULL : (DupState *) PG_GETARG_POINTER(0);
	TupleDesc	desc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	SampleCollector sc = {0};
	int64		once;
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
	/* sorting and folding the last values may still pass the budget */
	fast_finish(state);
	if (state->overflowed)
	{
		nulls[0] = nulls[2] = nulls[3] = true;
		values[1] = BoolGetDatum(true);
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
	}

	sc.kept = palloc(sizeof(DupRef) * Max(state->sample_size, 1));
	for (i = 0; i < Max(state->sample_size, 1); i++)
	{
		sc.kept[i].values = palloc(sizeof(Datum) * state->ncols);
		sc.kept[i].nulls = palloc(sizeof(bool) * state->ncols);
	}
	/* values held once are only counted */
	once = fast_visit(state, collect_sample, &sc, true);
	entries_visit(state, collect_sample, &sc);
	sc.distinct += once;
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
