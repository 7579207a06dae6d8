/*-------------------------------------------------------------------------
 *
 * datumset.h
 *	  A compact open-addressing hash table of by-value Datums, for types
 *	  whose equality is the equality of their Datums (integers, dates,
 *	  timestamps).  With counts, it maps each Datum to a count; without, it
 *	  is a set of 8 bytes and 1 bit per slot.  No allocation per value: this
 *	  is what lets exact uniqueness keep up with a table scan.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTECERT_DATUMSET_H
#define DTECERT_DATUMSET_H

#include "postgres.h"

/* The set holds by-value 64-bit Datums: int8 and timestamps among them. */
StaticAssertDecl(SIZEOF_DATUM == 8, "dtecert needs 64-bit Datums");

typedef struct DatumSet
{
	int64		capacity;		/* slots, a power of two; 0 when empty */
	int64		count;			/* slots in use */
	Datum	   *keys;
	uint64	   *used;			/* one bit per slot */
	int64	   *counts;			/* per slot, or NULL for a plain set */
} DatumSet;

extern Size datumset_bytes(int64 capacity, bool with_counts);
extern void datumset_create(DatumSet *set, int64 capacity, bool with_counts,
							MemoryContext cxt);
extern int64 datumset_find(DatumSet *set, Datum key);
extern int64 datumset_insert(DatumSet *set, Datum key, bool *found);
extern bool datumset_needs_growth(DatumSet *set);
extern void datumset_grow(DatumSet *set, MemoryContext cxt);
extern void datumset_free(DatumSet *set);

/*
 * MurmurHash3's 64-bit finalizer: cheap, and it spreads sequential keys.
 * Shared by the Datum set and the profile's HyperLogLog.
 */
static inline uint64
dtecert_mix64(uint64 x)
{
	x ^= x >> 33;
	x *= UINT64CONST(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64CONST(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return x;
}

static inline bool
datumset_slot_used(DatumSet *set, int64 slot)
{
	return (set->used[slot >> 6] >> (slot & 63)) & 1;
}

/* The capacity, a power of two, that holds n values below the load limit. */
extern int64 datumset_capacity_for(int64 n);

/* Sort Datums by their unsigned 64-bit value, in place, in linear time. */
extern void datum_sort(Datum *values, int64 n);

#endif							/* DTECERT_DATUMSET_H */
