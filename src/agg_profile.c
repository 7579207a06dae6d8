/*-------------------------------------------------------------------------
 *
 * agg_profile.c
 *	  dtecert.profile_agg(VARIADIC "any") → text[]: the light profile of
 *	  every column passed, in one transition call per row: the non-NULL
 *	  count, min and max, the exact sum and mean of integer and numeric
 *	  columns, and a distinct estimate (HyperLogLog, 4096 registers, about
 *	  1.6% standard error).
 *
 *	  Integers, dates and timestamps compare and hash their Datums inline;
 *	  text compares and hashes its bytes in place (C order); a numeric with
 *	  at most four decimals is read in place as an integer of
 *	  ten-thousandths, which it compares, hashes and sums by.  So profiling
 *	  a column costs a few nanoseconds a row, with no allocation and no
 *	  function call per value.  Other types use their own support
 *	  functions.  Each element of the result is a JSON fragment (the members
 *	  of an object, without braces) that profile.c completes with the
 *	  column's name, type and NULL count.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "libpq/pqformat.h"
#include "port/pg_bitutils.h"
#include "port/pg_bswap.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/fmgrprotos.h"

#include "agg_common.h"
#include "progress.h"
#include "datumset.h"

#ifndef HAVE_INT128
#error "dtecert needs a 128-bit integer type for exact sums"
#endif

PG_FUNCTION_INFO_V1(dtecert_profile_trans);
PG_FUNCTION_INFO_V1(dtecert_profile_combine);
PG_FUNCTION_INFO_V1(dtecert_profile_serialize);
PG_FUNCTION_INFO_V1(dtecert_profile_deserialize);
PG_FUNCTION_INFO_V1(dtecert_profile_final);

#define PROFILE_NEEDS	(AGG_TYPE_COMPARE | AGG_TYPE_HASH | AGG_TYPE_OUTPUT)
#define HLL_BITS		12
#define HLL_REGISTERS	(1 << HLL_BITS)

/* Signed keys compare as unsigned ones with their sign bit flipped. */
#define SIGN_FLIP		UINT64CONST(0x8000000000000000)

typedef enum ProfileKind
{
	PROFILE_INTEGER,			/* int2, int4, int8: inline, exact sum */
	PROFILE_INSTANT,			/* date, timestamp, timestamptz: inline */
	PROFILE_BYTES,				/* text, varchar, bpchar: bytes, C order */
	PROFILE_NUMERIC,			/* numeric: inline when it can, exact sum */
	PROFILE_OTHER				/* the type's own support functions */
} ProfileKind;

/*
 * The min and max are kept as copies (for their text) and, where a kind
 * has one, as a key that orders like the values: the value itself for
 * integers and instants, the value in ten-thousandths for a numeric that
 * fits, the first sixteen bytes for text (ties between longer strings
 * compare their bytes).  A row then costs one or two integer comparisons.
 */
typedef struct ProfileKey
{
	uint64		hi;
	uint64		lo;				/* text: bytes 8 to 15; else 0 */
} ProfileKey;

/*
 * Text's recently seen short values: a value found here has been taken into
 * the range and the distinct estimate already, and only counts.  Columns of
 * a few distinct values (statuses, codes) then cost little more than their
 * count.
 */
#define RECENT_BITS		6
#define RECENT_SIZE		(1 << RECENT_BITS)

typedef struct RecentText
{
	ProfileKey	key;
	int32		len_plus_1;		/* 0: empty slot */
} RecentText;
typedef struct ColumnProfile
{
	AggType		type;
	ProfileKind kind;
	int64		count;
	bool		has_range;
	Datum		min;
	Datum		max;
	bool		min_keyed;		/* min_key orders min */
	bool		max_keyed;
	ProfileKey	min_key;
	ProfileKey	max_key;
	int			min_len;		/* text: the length of min and max */
	int			max_len;
	int128		sum;			/* integers; numerics: those that fit, ×10000 */
	/* numeric only: the rest of an exact sum, as sum(numeric) has it */
	int			max_dscale;
	int64		nan_count;
	int64		pinf_count;
	int64		ninf_count;
	bool		has_slow_sum;
	Datum		slow_sum;		/* finite values that do not fit */
	RecentText *recent;			/* text only */
	uint8		registers[HLL_REGISTERS];
} ColumnProfile;

typedef struct ProfileState
{
	MemoryContext cxt;
	int			ncols;
	ColumnProfile *cols;
	uint32		unreported_rows;	/* rows not yet added to dtecert.progress */
} ProfileState;

/* Rows between two reports to dtecert.progress: one atomic add per batch. */
#define PROGRESS_BATCH	16384

static ProfileKind
profile_kind(Oid typid)
{
	switch (getBaseType(typid))
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return PROFILE_INTEGER;
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return PROFILE_INSTANT;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
			return PROFILE_BYTES;
		case NUMERICOID:
			return PROFILE_NUMERIC;
		default:
			return PROFILE_OTHER;
	}
}

static ProfileState *
profile_state_new(MemoryContext aggcxt, int ncols, Oid *typids, Oid *collations)
{
	MemoryContext old = MemoryContextSwitchTo(aggcxt);
	ProfileState *state = palloc0(sizeof(ProfileState));
	int			i;

	state->cxt = aggcxt;
	state->ncols = ncols;
	state->cols = palloc0(sizeof(ColumnProfile) * Max(ncols, 1));
	for (i = 0; i < ncols; i++)
	{
		agg_type_init(&state->cols[i].type, typids[i], collations[i], PROFILE_NEEDS);
		state->cols[i].kind = profile_kind(typids[i]);
		if (state->cols[i].kind == PROFILE_BYTES)
			state->cols[i].recent = palloc0(sizeof(RecentText) * RECENT_SIZE);
	}
	MemoryContextSwitchTo(old);
	return state;
}

/* ---- values as bytes: text, and numeric's storage format ---- */

/* A varlena's bytes in place, unless it is compressed or stored apart. */
static inline struct varlena *
varlena_bytes(Datum value)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(value);

	if (VARATT_IS_COMPRESSED(v) || VARATT_IS_EXTERNAL(v))
		v = pg_detoast_datum_packed(v);
	return v;
}

static inline uint64
load32(const char *p)
{
	uint32		w;

	memcpy(&w, p, 4);
	return w;
}

/*
 * The first eight bytes, zero-padded, as a big-endian word (C order); the
 * bytes past len are never read.
 */
static inline uint64
bytes_prefix(const char *p, int len)
{
	uint64		w;

	if (len >= 8)
	{
		memcpy(&w, p, 8);
		return pg_bswap64(w);
	}
	if (len >= 4)
	{
		/* bytes 0-3, and 4 to len - 1 from the last four */
		uint64		tail = pg_bswap32((uint32) load32(p + len - 4)) &
			((UINT64CONST(1) << (8 * (len - 4))) - 1);

		return ((uint64) pg_bswap32((uint32) load32(p)) << 32) | (tail << (8 * (8 - len)));
	}
	if (len == 0)
		return 0;
	w = (uint64) (uint8) p[0] << 56;
	if (len > 1)
		w |= (uint64) (uint8) p[1] << 48;
	if (len > 2)
		w |= (uint64) (uint8) p[2] << 40;
	return w;
}

/* The key of text: its first sixteen bytes. */
static inline ProfileKey
bytes_key(const char *p, int len)
{
	ProfileKey	key;

	key.hi = bytes_prefix(p, Min(len, 8));
	key.lo = len > 8 ? bytes_prefix(p + 8, Min(len - 8, 8)) : 0;
	return key;
}

/*
 * A 64-bit hash of a short byte string, for the distinct estimate: eight
 * bytes at a time, the tail by overlapping loads, MurmurHash3's finalizer
 * at the end.  Several times cheaper than hash_bytes_extended on the short
 * strings of typical text columns.
 */
static inline uint64
bytes_hash(const char *p, int len)
{
	uint64		h = UINT64CONST(0x9e3779b97f4a7c15) ^ ((uint64) len << 32);
	uint64		w;

	while (len >= 8)
	{
		memcpy(&w, p, 8);
		h = (h ^ w) * UINT64CONST(0xff51afd7ed558ccd);
		h ^= h >> 32;
		p += 8;
		len -= 8;
	}
	if (len >= 4)
		w = load32(p) | (load32(p + len - 4) << 32);
	else if (len > 0)
		w = (uint64) (uint8) p[0] | ((uint64) (uint8) p[len / 2] << 8) |
			((uint64) (uint8) p[len - 1] << 16);
	else
		w = 0;
	return dtecert_mix64((h ^ w) * UINT64CONST(0xc4ceb9fe1a85ec53));
}

static int
compare_bytes(Datum a, Datum b)
{
	text	   *x = (text *) PG_DETOAST_DATUM_PACKED(a);
	text	   *y = (text *) PG_DETOAST_DATUM_PACKED(b);
	int			lx = VARSIZE_ANY_EXHDR(x);
	int			ly = VARSIZE_ANY_EXHDR(y);
	int			r = memcmp(VARDATA_ANY(x), VARDATA_ANY(y), Min(lx, ly));

	return r != 0 ? r : lx < ly ? -1 : lx > ly ? 1 : 0;
}

/*
 * numeric's storage format (utils/adt/numeric.c, stable since PostgreSQL
 * 9.1; infinities since 14): a 16-bit header, in the short form with the
 * sign, display scale and weight, in the long form followed by a 16-bit
 * weight; then base-10000 digits, most significant first, at positions
 * weight, weight - 1, ...
 */
#define NUM_SIGN_MASK		0xC000
#define NUM_NEG				0x4000
#define NUM_SHORT			0x8000
#define NUM_SPECIAL			0xC000
#define NUM_EXT_SIGN_MASK	0xF000
#define NUM_NAN				0xC000
#define NUM_PINF			0xD000
#define NUM_SHORT_SIGN_MASK	0x2000
#define NUM_SHORT_DSCALE_MASK	0x1F80
#define NUM_SHORT_DSCALE_SHIFT	7
#define NUM_SHORT_WEIGHT_SIGN	0x0040
#define NUM_SHORT_WEIGHT_MASK	0x003F
#define NUM_DSCALE_MASK		0x3FFF

typedef enum NumericClass
{
	NUM_FITS,					/* its ten-thousandths fit in an int64 */
	NUM_FINITE,					/* another finite value */
	NUM_IS_NAN,
	NUM_IS_PINF,
	NUM_IS_NINF
} NumericClass;

/*
 * Read a numeric in place.  It fits when it has at most four decimals and
 * is below 10^12 in magnitude (a property of the value, not of how it is
 * stored, so equal values always fit alike): then *scaled is the value in
 * ten-thousandths.  *dscale is its display scale.
 */
static NumericClass
numeric_read(struct varlena *v, int64 *scaled, int *dscale)
{
	const char *p = VARDATA_ANY(v);
	int			len = VARSIZE_ANY_EXHDR(v);
	uint16		header;
	int			weight;
	bool		negative;
	const char *digits;
	int			ndigits;
	int64		acc = 0;
	int			i;

	memcpy(&header, p, sizeof(uint16));
	*dscale = 0;
	if ((header & NUM_SIGN_MASK) == NUM_SPECIAL)
		return (header & NUM_EXT_SIGN_MASK) == NUM_NAN ? NUM_IS_NAN :
			(header & NUM_EXT_SIGN_MASK) == NUM_PINF ? NUM_IS_PINF : NUM_IS_NINF;
	if (header & NUM_SHORT)
	{
		negative = (header & NUM_SHORT_SIGN_MASK) != 0;
		*dscale = (header & NUM_SHORT_DSCALE_MASK) >> NUM_SHORT_DSCALE_SHIFT;
		weight = (header & NUM_SHORT_WEIGHT_SIGN) ?
			(int) (header | ~NUM_SHORT_WEIGHT_MASK) : (header & NUM_SHORT_WEIGHT_MASK);
		digits = p + sizeof(uint16);
	}
	else
	{
		int16		w;

		negative = (header & NUM_SIGN_MASK) == NUM_NEG;
		*dscale = header & NUM_DSCALE_MASK;
		memcpy(&w, p + sizeof(uint16), sizeof(int16));
		weight = w;
		digits = p + 2 * sizeof(uint16);
	}
	ndigits = (len - (digits - p)) / (int) sizeof(int16);
	if (ndigits <= 0)
	{
		*scaled = 0;
		return NUM_FITS;
	}
	/* the last digit's position must be -1 or more, the first's at most 2 */
	if (weight > 2 || weight - (ndigits - 1) < -1)
		return NUM_FINITE;
	for (i = 0; i < ndigits; i++)
	{
		int16		d;

		memcpy(&d, digits + i * sizeof(int16), sizeof(int16));
		acc = acc * 10000 + d;
	}
	for (i = weight - (ndigits - 1); i > -1; i--)
		acc *= 10000;
	*scaled = negative ? -acc : acc;
	return NUM_FITS;
}

/* ---- min and max ---- */

static inline int
key_cmp(ProfileKey a, ProfileKey b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	return a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0;
}

static inline ProfileKey
signed_key(int64 value)
{
	ProfileKey	key = {(uint64) value ^ SIGN_FLIP, 0};

	return key;
}

/* The key that orders a value, if its kind and value have one. */
static bool
value_key(ColumnProfile *col, Datum value, ProfileKey *key)
{
	struct varlena *v;
	int64		scaled;
	int			dscale;

	switch (col->kind)
	{
		case PROFILE_INTEGER:
		case PROFILE_INSTANT:
			*key = signed_key((int64) value);
			return true;
		case PROFILE_BYTES:
			v = varlena_bytes(value);
			*key = bytes_key(VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
			return true;
		case PROFILE_NUMERIC:
			if (numeric_read(varlena_bytes(value), &scaled, &dscale) != NUM_FITS)
				return false;
			*key = signed_key(scaled);
			return true;
		default:
			return false;
	}
}

static int
compare_values(ColumnProfile *col, Datum a, Datum b)
{
	switch (col->kind)
	{
		case PROFILE_INTEGER:
		case PROFILE_INSTANT:
			return (int64) a < (int64) b ? -1 : (int64) a > (int64) b ? 1 : 0;
		case PROFILE_BYTES:
			return compare_bytes(a, b);
		default:
			return agg_compare_values(&col->type, a, false, b, false);
	}
}

/*
 * Compare a value with a kept min or max, by their keys when they can.
 * Equal keys are equal values, except for text longer than sixteen bytes
 * (text holds no zero bytes, so the zero-padded keys of shorter strings
 * are the strings).
 */
static int
compare_kept(ColumnProfile *col, Datum value, bool keyed, ProfileKey key, int len,
			 Datum kept, bool kept_keyed, ProfileKey kept_key, int kept_len)
{
	if (keyed && kept_keyed)
	{
		int			r = key_cmp(key, kept_key);

		if (r != 0 || col->kind != PROFILE_BYTES || (len <= 16 && kept_len <= 16))
			return r;
	}
	return compare_values(col, value, kept);
}

/* Keep a copy of a new min or max, and its key; by-value types need none. */
static void
set_extreme(ProfileState *state, ColumnProfile *col, bool is_min, Datum value,
			bool keyed, ProfileKey key)
{
	Datum	   *slot = is_min ? &col->min : &col->max;
	Datum		copy = value;
	int			len = 0;

	if (!col->type.typbyval)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(state->cxt);

		copy = col->type.typlen == -1 ?
			PointerGetDatum(PG_DETOAST_DATUM_COPY(value)) :
			datumCopy(value, false, col->type.typlen);
		MemoryContextSwitchTo(oldcxt);
		if (col->has_range)
			pfree(DatumGetPointer(*slot));
		if (col->kind == PROFILE_BYTES)
			len = VARSIZE_ANY_EXHDR(DatumGetPointer(copy));
	}
	*slot = copy;
	if (is_min)
	{
		col->min_keyed = keyed;
		col->min_key = key;
		col->min_len = len;
	}
	else
	{
		col->max_keyed = keyed;
		col->max_key = key;
		col->max_len = len;
	}
}

static int
kept_len(ColumnProfile *col, Datum value)
{
	return col->kind == PROFILE_BYTES ?
		VARSIZE_ANY_EXHDR(DatumGetPointer(varlena_bytes(value))) : 0;
}

/* Widen the range to take in [min, max]. */
static void
profile_range(ProfileState *state, ColumnProfile *col, Datum min, Datum max)
{
	ProfileKey	min_key = {0, 0};
	ProfileKey	max_key = {0, 0};
	bool		min_keyed = value_key(col, min, &min_key);
	bool		max_keyed = value_key(col, max, &max_key);

	if (!col->has_range)
	{
		set_extreme(state, col, true, min, min_keyed, min_key);
		set_extreme(state, col, false, max, max_keyed, max_key);
		col->has_range = true;
		return;
	}
	if (compare_kept(col, min, min_keyed, min_key, kept_len(col, min),
					 col->min, col->min_keyed, col->min_key, col->min_len) < 0)
		set_extreme(state, col, true, min, min_keyed, min_key);
	if (compare_kept(col, max, max_keyed, max_key, kept_len(col, max),
					 col->max, col->max_keyed, col->max_key, col->max_len) > 0)
		set_extreme(state, col, false, max, max_keyed, max_key);
}

/*
 * Take in a value whose key is known; in the common case, a value strictly
 * inside the range, by one or two comparisons of keys.
 */
static inline void
range_keyed(ProfileState *state, ColumnProfile *col, Datum value, ProfileKey key, int len)
{
	if (unlikely(!col->has_range))
	{
		profile_range(state, col, value, value);
		return;
	}
	if ((!col->min_keyed || key_cmp(key, col->min_key) <= 0) &&
		compare_kept(col, value, true, key, len,
					 col->min, col->min_keyed, col->min_key, col->min_len) < 0)
		set_extreme(state, col, true, value, true, key);
	if ((!col->max_keyed || key_cmp(key, col->max_key) >= 0) &&
		compare_kept(col, value, true, key, len,
					 col->max, col->max_keyed, col->max_key, col->max_len) > 0)
		set_extreme(state, col, false, value, true, key);
}

/* ---- the distinct estimate ---- */

static inline void
hll_add(uint8 *registers, uint64 hash)
{
	int			index = hash >> (64 - HLL_BITS);
	uint64		rest = hash << HLL_BITS;
	uint8		rank = rest == 0 ? (64 - HLL_BITS + 1) :
		(uint8) (pg_leftmost_one_pos64(rest) ^ 63) + 1;

	if (rank > registers[index])
		registers[index] = rank;
}

/* ---- one value ---- */

/* A numeric that does not fit: the type's own functions, exact sum apart. */
static void
numeric_slow(ProfileState *state, ColumnProfile *col, Datum value, NumericClass class)
{
	MemoryContext old;
	Datum		sum;

	switch (class)
	{
		case NUM_IS_NAN:
			col->nan_count++;
			break;
		case NUM_IS_PINF:
			col->pinf_count++;
			break;
		case NUM_IS_NINF:
			col->ninf_count++;
			break;
		default:
			sum = col->has_slow_sum ?
				DirectFunctionCall2(numeric_add, col->slow_sum, value) : value;
			old = MemoryContextSwitchTo(state->cxt);
			sum = PointerGetDatum(PG_DETOAST_DATUM_COPY(sum));
			MemoryContextSwitchTo(old);
			if (col->has_slow_sum)
				pfree(DatumGetPointer(col->slow_sum));
			col->slow_sum = sum;
			col->has_slow_sum = true;
			break;
	}
	profile_range(state, col, value, value);
	hll_add(col->registers, agg_hash_value(&col->type, value, false));
}

/* Integers and instants: by value, always keyed. */
static inline void
range_signed(ProfileState *state, ColumnProfile *col, Datum value)
{
	ProfileKey	key = signed_key((int64) value);

	if (unlikely(!col->has_range))
		profile_range(state, col, value, value);
	else if (key.hi < col->min_key.hi)
	{
		col->min = value;
		col->min_key = key;
	}
	else if (key.hi > col->max_key.hi)
	{
		col->max = value;
		col->max_key = key;
	}
}

static inline void
profile_text(ProfileState *state, ColumnProfile *col, Datum value)
{
	struct varlena *v = varlena_bytes(value);
	const char *p = VARDATA_ANY(v);
	int			len = VARSIZE_ANY_EXHDR(v);
	ProfileKey	key = bytes_key(p, len);

	if (len <= 16)
	{
		RecentText *slot = &col->recent[((key.hi ^ (key.lo * 31) ^ (uint64) len) *
										 UINT64CONST(0x9e3779b97f4a7c15)) >> (64 - RECENT_BITS)];

		if (slot->len_plus_1 == len + 1 && slot->key.hi == key.hi && slot->key.lo == key.lo)
			return;
		slot->key = key;
		slot->len_plus_1 = len + 1;
	}
	range_keyed(state, col, value, key, len);
	hll_add(col->registers, bytes_hash(p, len));
}

static inline void
profile_numeric(ProfileState *state, ColumnProfile *col, Datum value)
{
	int64		scaled;
	int			dscale;
	NumericClass class = numeric_read(varlena_bytes(value), &scaled, &dscale);

	col->max_dscale = Max(col->max_dscale, dscale);
	if (class != NUM_FITS)
	{
		numeric_slow(state, col, value, class);
		return;
	}
	col->sum += scaled;
	range_keyed(state, col, value, signed_key(scaled), 0);
	hll_add(col->registers, dtecert_mix64((uint64) scaled));
}

static inline void
profile_value(ProfileState *state, ColumnProfile *col, Datum value)
{
	col->count++;
	switch (col->kind)
	{
		case PROFILE_INTEGER:
			col->sum += (int64) value;
			/* FALLTHROUGH */
		case PROFILE_INSTANT:
			range_signed(state, col, value);
			hll_add(col->registers, dtecert_mix64((uint64) value));
			break;
		case PROFILE_BYTES:
			profile_text(state, col, value);
			break;
		case PROFILE_NUMERIC:
			profile_numeric(state, col, value);
			break;
		default:
			if (col->type.has_compare)
				profile_range(state, col, value, value);
			hll_add(col->registers, agg_hash_value(&col->type, value, false));
			break;
	}
}

Datum
dtecert_profile_trans(PG_FUNCTION_ARGS)
{
	ProfileState *state = PG_ARGISNULL(0) ? NULL : (ProfileState *) PG_GETARG_POINTER(0);
	int			ncols = PG_NARGS() - 1;
	int			i;

	/* only an aggregate holds a state: checking the context once will do */
	if (state == NULL)
	{
		MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_profile_trans");
		Oid		   *typids = palloc(sizeof(Oid) * Max(ncols, 1));
		Oid		   *collations = palloc(sizeof(Oid) * Max(ncols, 1));

		for (i = 0; i < ncols; i++)
		{
			typids[i] = get_fn_expr_argtype(fcinfo->flinfo, 1 + i);
			collations[i] = PG_GET_COLLATION();
		}
		state = profile_state_new(aggcxt, ncols, typids, collations);
	}
	for (i = 0; i < ncols; i++)
		if (!PG_ARGISNULL(1 + i))
			profile_value(state, &state->cols[i], PG_GETARG_DATUM(1 + i));
	if (++state->unreported_rows == PROGRESS_BATCH)
	{
		progress_add_rows(state->unreported_rows);
		state->unreported_rows = 0;
	}
	PG_RETURN_POINTER(state);
}

static ProfileState *
profile_state_like(MemoryContext aggcxt, ProfileState *model)
{
	Oid		   *typids = palloc(sizeof(Oid) * Max(model->ncols, 1));
	Oid		   *collations = palloc(sizeof(Oid) * Max(model->ncols, 1));
	int			i;

	for (i = 0; i < model->ncols; i++)
	{
		typids[i] = model->cols[i].type.typid;
		collations[i] = model->cols[i].type.collation;
	}
	return profile_state_new(aggcxt, model->ncols, typids, collations);
}

/* Add another state's numeric sum that does not fit. */
static void
add_slow_sum(ProfileState *state, ColumnProfile *col, Datum sum)
{
	MemoryContext old;

	if (col->has_slow_sum)
		sum = DirectFunctionCall2(numeric_add, col->slow_sum, sum);
	old = MemoryContextSwitchTo(state->cxt);
	sum = PointerGetDatum(PG_DETOAST_DATUM_COPY(sum));
	MemoryContextSwitchTo(old);
	if (col->has_slow_sum)
		pfree(DatumGetPointer(col->slow_sum));
	col->slow_sum = sum;
	col->has_slow_sum = true;
}

Datum
dtecert_profile_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_profile_combine");
	ProfileState *state1 = PG_ARGISNULL(0) ? NULL : (ProfileState *) PG_GETARG_POINTER(0);
	ProfileState *state2 = PG_ARGISNULL(1) ? NULL : (ProfileState *) PG_GETARG_POINTER(1);
	int			i;
	int			r;

	if (state2 == NULL)
		PG_RETURN_POINTER(state1);
	if (state1 == NULL)
		state1 = profile_state_like(aggcxt, state2);
	for (i = 0; i < state1->ncols; i++)
	{
		ColumnProfile *a = &state1->cols[i];
		ColumnProfile *b = &state2->cols[i];

		a->count += b->count;
		a->sum += b->sum;
		a->max_dscale = Max(a->max_dscale, b->max_dscale);
		a->nan_count += b->nan_count;
		a->pinf_count += b->pinf_count;
		a->ninf_count += b->ninf_count;
		if (b->has_slow_sum)
			add_slow_sum(state1, a, b->slow_sum);
		if (b->has_range)
			profile_range(state1, a, b->min, b->max);
		for (r = 0; r < HLL_REGISTERS; r++)
			a->registers[r] = Max(a->registers[r], b->registers[r]);
	}
	PG_RETURN_POINTER(state1);
}

/* A numeric as its text (sums cross as text: no domain's receive check). */
static void
send_numeric_text(StringInfo buf, bool present, Datum value)
{
	pq_sendbyte(buf, present);
	if (present)
		pq_sendstring(buf, DatumGetCString(DirectFunctionCall1(numeric_out, value)));
}

/* Layout: the column count, every column's type, then every column's data. */
Datum
dtecert_profile_serialize(PG_FUNCTION_ARGS)
{
	ProfileState *state = (ProfileState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			i;

	(void) agg_check_context(fcinfo, "dtecert_profile_serialize");
	pq_begintypsend(&buf);
	pq_sendint32(&buf, state->ncols);
	for (i = 0; i < state->ncols; i++)
	{
		pq_sendint32(&buf, state->cols[i].type.typid);
		pq_sendint32(&buf, state->cols[i].type.collation);
	}
	for (i = 0; i < state->ncols; i++)
	{
		ColumnProfile *col = &state->cols[i];

		pq_sendint64(&buf, col->count);
		pq_sendint64(&buf, (int64) (col->sum >> 64));
		pq_sendint64(&buf, (int64) (uint64) col->sum);
		pq_sendint32(&buf, col->max_dscale);
		pq_sendint64(&buf, col->nan_count);
		pq_sendint64(&buf, col->pinf_count);
		pq_sendint64(&buf, col->ninf_count);
		send_numeric_text(&buf, col->has_slow_sum, col->slow_sum);
		pq_sendbyte(&buf, col->has_range);
		if (col->has_range)
		{
			agg_send_value(&buf, &col->type, col->min, false);
			agg_send_value(&buf, &col->type, col->max, false);
		}
		pq_sendbytes(&buf, (const char *) col->registers, HLL_REGISTERS);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
dtecert_profile_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_profile_deserialize");
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	ProfileState *state;
	Oid		   *typids;
	Oid		   *collations;
	int			ncols;
	int			i;

	agg_state_reader(bytes, &buf);
	ncols = pq_getmsgint(&buf, 4);
	if (ncols < 0 || ncols > FUNC_MAX_ARGS)
		elog(ERROR, "dtecert.profile_agg: corrupt state (%d columns)", ncols);
	typids = palloc(sizeof(Oid) * Max(ncols, 1));
	collations = palloc(sizeof(Oid) * Max(ncols, 1));
	for (i = 0; i < ncols; i++)
	{
		typids[i] = pq_getmsgint(&buf, 4);
		collations[i] = pq_getmsgint(&buf, 4);
	}
	state = profile_state_new(aggcxt, ncols, typids, collations);
	for (i = 0; i < ncols; i++)
	{
		ColumnProfile *col = &state->cols[i];
		int64		high;
		uint64		low;
		bool		isnull;

		col->count = pq_getmsgint64(&buf);
		high = pq_getmsgint64(&buf);
		low = (uint64) pq_getmsgint64(&buf);
		col->sum = ((int128) high << 64) | low;
		col->max_dscale = pq_getmsgint(&buf, 4);
		col->nan_count = pq_getmsgint64(&buf);
		col->pinf_count = pq_getmsgint64(&buf);
		col->ninf_count = pq_getmsgint64(&buf);
		if (pq_getmsgbyte(&buf))
			add_slow_sum(state, col,
						 DirectFunctionCall3(numeric_in, CStringGetDatum(pq_getmsgstring(&buf)),
											 ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
		if (pq_getmsgbyte(&buf))
		{
			Datum		min = agg_receive_value(&buf, &col->type, &isnull);
			Datum		max = agg_receive_value(&buf, &col->type, &isnull);

			profile_range(state, col, min, max);
		}
		memcpy(col->registers, pq_getmsgbytes(&buf, HLL_REGISTERS), HLL_REGISTERS);
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(state);
}

/* The HyperLogLog estimate, with linear counting for small cardinalities. */
static int64
hll_estimate(const uint8 *registers)
{
	double		m = HLL_REGISTERS;
	double		alpha = 0.7213 / (1.0 + 1.079 / m);
	double		sum = 0.0;
	int			zeros = 0;
	double		estimate;
	int			i;

	for (i = 0; i < HLL_REGISTERS; i++)
	{
		sum += ldexp(1.0, -registers[i]);
		if (registers[i] == 0)
			zeros++;
	}
	estimate = alpha * m * m / sum;
	if (estimate <= 2.5 * m && zeros > 0)
		estimate = m * log(m / zeros);
	return (int64) llround(estimate);
}

static char *
int128_text(int128 value)
{
	char		digits[48];
	int			n = 0;
	bool		negative = value < 0;
	uint128		v = negative ? -(uint128) value : (uint128) value;
	StringInfoData buf;

	do
	{
		digits[n++] = '0' + (int) (v % 10);
		v /= 10;
	} while (v > 0);
	initStringInfo(&buf);
	if (negative)
		appendStringInfoChar(&buf, '-');
	while (n > 0)
		appendStringInfoChar(&buf, digits[--n]);
	return buf.data;
}

/*
 * The exact sum of a numeric column, as sum(numeric) gives it: the values
 * that fit add up in ten-thousandths, shown with the largest display scale
 * of the values (they have no more decimals than that), plus the others.
 */
static Datum
numeric_exact_sum(ColumnProfile *col)
{
	bool		negative = col->sum < 0;
	uint128		magnitude = negative ? -(uint128) col->sum : (uint128) col->sum;
	int			fraction = (int) (magnitude % 10000);
	StringInfoData text;
	Datum		sum;
	int			d;

	initStringInfo(&text);
	appendStringInfo(&text, "%s%s", negative ? "-" : "", int128_text((int128) (magnitude / 10000)));
	if (col->max_dscale > 0)
	{
		char		digits[5];

		snprintf(digits, sizeof(digits), "%04d", fraction);
		appendStringInfoChar(&text, '.');
		for (d = 0; d < col->max_dscale; d++)
			appendStringInfoChar(&text, d < 4 ? digits[d] : '0');
	}
	sum = DirectFunctionCall3(numeric_in, CStringGetDatum(text.data),
							  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	if (col->has_slow_sum)
		sum = DirectFunctionCall2(numeric_add, sum, col->slow_sum);
	return sum;
}

/*
 * "mean" and "sum" of a numeric column, as avg(x)::float8 and sum(x)::text
 * have them: NULL without values, NaN and infinities as those give them.
 */
static void
numeric_sum_mean(StringInfo b, ColumnProfile *col)
{
	Datum		sum;
	double		mean;

	if (col->count == 0)
	{
		appendStringInfoString(b, ", \"mean\": null, \"sum\": null");
		return;
	}
	if (col->nan_count > 0 || (col->pinf_count > 0 && col->ninf_count > 0))
	{
		appendStringInfoString(b, ", \"mean\": null, \"sum\": \"NaN\"");
		return;
	}
	if (col->pinf_count > 0 || col->ninf_count > 0)
	{
		appendStringInfo(b, ", \"mean\": null, \"sum\": \"%sInfinity\"",
						 col->pinf_count > 0 ? "" : "-");
		return;
	}
	sum = numeric_exact_sum(col);
	mean = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
											  DirectFunctionCall2(numeric_div, sum,
																  NumericGetDatum(int64_to_numeric(col->count)))));
	appendStringInfoString(b, ", \"mean\": ");
	if (isnan(mean) || isinf(mean))
		appendStringInfoString(b, "null");
	else
		appendStringInfo(b, "%.17g", mean);
	appendStringInfoString(b, ", \"sum\": ");
	escape_json(b, DatumGetCString(DirectFunctionCall1(numeric_out, sum)));
}

static char *
column_fragment(ColumnProfile *col)
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfo(&b, "\"count\": " INT64_FORMAT ", \"distinct_estimate\": " INT64_FORMAT,
					 col->count, col->count > 0 ? hll_estimate(col->registers) : 0);
	if (col->has_range)
	{
		appendStringInfoString(&b, ", \"min\": ");
		escape_json(&b, agg_value_text(&col->type, col->min, false));
		appendStringInfoString(&b, ", \"max\": ");
		escape_json(&b, agg_value_text(&col->type, col->max, false));
	}
	if (col->kind == PROFILE_INTEGER && col->count > 0)
		appendStringInfo(&b, ", \"sum\": \"%s\", \"mean\": %.17g",
						 int128_text(col->sum), (double) col->sum / (double) col->count);
	if (col->kind == PROFILE_NUMERIC)
		numeric_sum_mean(&b, col);
	return b.data;
}

Datum
dtecert_profile_final(PG_FUNCTION_ARGS)
{
	ProfileState *state = PG_ARGISNULL(0) ? NULL : (ProfileState *) PG_GETARG_POINTER(0);
	Datum	   *fragments;
	int			i;

	(void) agg_check_context(fcinfo, "dtecert_profile_final");
	if (state == NULL)			/* no rows */
		PG_RETURN_NULL();
	fragments = palloc(sizeof(Datum) * Max(state->ncols, 1));
	for (i = 0; i < state->ncols; i++)
		fragments[i] = CStringGetTextDatum(column_fragment(&state->cols[i]));
	PG_RETURN_ARRAYTYPE_P(construct_array(fragments, state->ncols, TEXTOID, -1,
										  false, TYPALIGN_INT));
}
