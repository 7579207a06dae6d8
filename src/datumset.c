/*-------------------------------------------------------------------------
 *
 * datumset.c
 *	  A compact hash table of by-value Datums (see datumset.h).  Linear
 *	  probing; the table doubles past 70% load.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "port/pg_bitutils.h"
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

/* ---- sorting ---- */

#define RADIX_SMALL		48

static void
insertion_sort(uint64 *a, int64 n)
{
	int64		i;

	for (i = 1; i < n; i++)
	{
		uint64		v = a[i];
		int64		j = i;

		while (j > 0 && a[j - 1] > v)
		{
			a[j] = a[j - 1];
			j--;
		}
		a[j] = v;
	}
}

/*
 * American flag sort: an in-place MSD radix sort on the byte at shift, then
 * on the lower bytes within each bucket.  Linear in n per byte, and it needs
 * no second array: sorting a worker's values at the end of the scan costs
 * no memory beyond them.
 */
static void
radix_sort(uint64 *a, int64 n, int shift)
{
	int64		count[256] = {0};
	int64		next[256];
	int64		end[256];
	int64		pos = 0;
	int64		i;
	int			b;

	if (n <= RADIX_SMALL)
	{
		insertion_sort(a, n);
		return;
	}
	for (i = 0; i < n; i++)
		count[(a[i] >> shift) & 0xff]++;
	for (b = 0; b < 256; b++)
	{
		next[b] = pos;
		pos += count[b];
		end[b] = pos;
	}
	/* move each value to its bucket, following cycles of displaced values */
	for (b = 0; b < 256; b++)
	{
		while (next[b] < end[b])
		{
			uint64		v = a[next[b]];
			int			d = (v >> shift) & 0xff;

			while (d != b)
			{
				uint64		t = a[next[d]];

				a[next[d]++] = v;
				v = t;
				d = (v >> shift) & 0xff;
			}
			a[next[b]++] = v;
		}
	}
	if (shift == 0)
		return;
	pos = 0;
	for (b = 0; b < 256; b++)
	{
		if (count[b] > 1)
			radix_sort(a + pos, count[b], shift - 8);
		pos += count[b];
	}
}

void
datum_sort(Datum *values, int64 n)
{
	uint64	   *a = (uint64 *) values;
	uint64		differ = 0;
	int64		i;

	if (n < 2)
		return;
	/* start at the highest byte in which the values differ */
	for (i = 1; i < n; i++)
		differ |= a[i] ^ a[0];
	if (differ == 0)
		return;
	radix_sort(a, n, (pg_leftmost_one_pos64(differ) / 8) * 8);
}
