/*-------------------------------------------------------------------------
 *
 * datumset.c
 *	  A compact hash table of by-value Datums (see datumset.h).  Linear
 *	  probing; the table doubles past 70% load.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "datumset.h"

#define DATUMSET_MIN_CAPACITY	1024

int64
datumset_capacity_for(int64 n)
{
	int64		capacity = DATUMSET_MIN_CAPACITY;

	while (capacity * 7 < n * 10)
		capacity *= 2;
	return capacity;
}

Size
datumset_bytes(int64 capacity, bool with_counts)
{
	return (Size) capacity * (sizeof(Datum) + (with_counts ? sizeof(int64) : 0)) +
		(Size) (capacity / 64 + 1) * sizeof(uint64);
}

void
datumset_create(DatumSet *set, int64 capacity, bool with_counts,
				MemoryContext cxt)
{
	Size		bitmap = (Size) (capacity / 64 + 1) * sizeof(uint64);

	Assert((capacity & (capacity - 1)) == 0);
	set->capacity = capacity;
	set->count = 0;
	set->keys = MemoryContextAllocHuge(cxt, (Size) capacity * sizeof(Datum));
	set->used = MemoryContextAllocHuge(cxt, bitmap);
	memset(set->used, 0, bitmap);
	set->counts = with_counts ?
		MemoryContextAllocHuge(cxt, (Size) capacity * sizeof(int64)) : NULL;
}

/* The slot of key, or -1. */
int64
datumset_find(DatumSet *set, Datum key)
{
	uint64		mask;
	uint64		slot;

	if (set->capacity == 0)
		return -1;
	mask = set->capacity - 1;
	slot = dtecert_mix64((uint64) key) & mask;
	while (datumset_slot_used(set, slot))
	{
		if (set->keys[slot] == key)
			return slot;
		slot = (slot + 1) & mask;
	}
	return -1;
}

/* The slot of key, added if it was not there (its count then 0). */
int64
datumset_insert(DatumSet *set, Datum key, bool *found)
{
	uint64		mask = set->capacity - 1;
	uint64		slot = dtecert_mix64((uint64) key) & mask;

	while (datumset_slot_used(set, slot))
	{
		if (set->keys[slot] == key)
		{
			*found = true;
			return slot;
		}
		slot = (slot + 1) & mask;
	}
	*found = false;
	set->keys[slot] = key;
	set->used[slot >> 6] |= UINT64CONST(1) << (slot & 63);
	if (set->counts)
		set->counts[slot] = 0;
	set->count++;
	return slot;
}

bool
datumset_needs_growth(DatumSet *set)
{
	return set->count * 10 > set->capacity * 7;
}

void
datumset_grow(DatumSet *set, MemoryContext cxt)
{
	DatumSet	old = *set;
	int64		i;

	datumset_create(set, old.capacity * 2, old.counts != NULL, cxt);
	for (i = 0; i < old.capacity; i++)
	{
		bool		found;
		int64		slot;

		if (!datumset_slot_used(&old, i))
			continue;
		slot = datumset_insert(set, old.keys[i], &found);
		if (set->counts)
			set->counts[slot] = old.counts[i];
	}
	datumset_free(&old);
}

void
datumset_free(DatumSet *set)
{
	if (set->capacity == 0)
		return;
	pfree(set->keys);
	pfree(set->used);
	if (set->counts)
		pfree(set->counts);
	memset(set, 0, sizeof(DatumSet));
}
