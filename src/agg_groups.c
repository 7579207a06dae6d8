/*-------------------------------------------------------------------------
 *
 * agg_groups.c
 *	  The confusion matrix of a prediction against a label, per group:
 *
 *	  dtecert.group_counts_agg(key text[], label int8, prediction boolean)
 *		→ text[]
 *
 *	  For each distinct key (the values of the protected columns, as text;
 *	  NULL elements allowed) it counts six things: true positives, false
 *	  positives, true negatives, false negatives (label 1/0 against
 *	  prediction true/false), rows whose label or prediction is NULL, and
 *	  rows whose label is neither 0 nor 1.  The result is flat: per group,
 *	  in key order (byte order, NULL last), the six counts as text and then
 *	  the key's elements; NULL when the scan saw no row.
 *
 *	  Group keys are few (protected attributes, binned features), so the
 *	  state is a small open-addressing hash of key → six counters, capped at
 *	  GROUPS_MAX groups.  It is parallel safe: partial states serialize as
 *	  their keys and counts, and combine by adding counts key by key.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "agg_common.h"

PG_FUNCTION_INFO_V1(dtecert_group_counts_trans);
PG_FUNCTION_INFO_V1(dtecert_group_counts_combine);
PG_FUNCTION_INFO_V1(dtecert_group_counts_serialize);
PG_FUNCTION_INFO_V1(dtecert_group_counts_deserialize);
PG_FUNCTION_INFO_V1(dtecert_group_counts_final);

/* More groups than this is not a protected attribute. */
#define GROUPS_MAX		10000
#define GROUP_KEYS_MAX	16

/* The six counters, in result order. */
#define COUNT_TP		0
#define COUNT_FP		1
#define COUNT_TN		2
#define COUNT_FN		3
#define COUNT_MISSING	4		/* label or prediction NULL */
#define COUNT_BAD_LABEL 5		/* label neither 0 nor 1 */
#define NCOUNTS			6

/*
 * A key is stored flat: per element a flag byte (0 NULL, 1 value), then
 * for a value its length (4 bytes) and bytes.
 */
typedef struct Group
{
	char	   *key;
	int			keylen;
	uint32		hash;
	int64		counts[NCOUNTS];
} Group;

typedef struct GroupState
{
	int			nkeys;			/* elements of every key */
	int			ngroups;
	int			capacity;		/* slots, a power of 2 */
	Group	  **slots;
	StringInfoData scratch;		/* the key being looked up */
} GroupState;

static GroupState *
group_state_new(MemoryContext aggcxt, int nkeys)
{
	GroupState *state = MemoryContextAllocZero(aggcxt, sizeof(GroupState));
	MemoryContext old = MemoryContextSwitchTo(aggcxt);

	state->nkeys = nkeys;
	state->capacity = 16;
	state->slots = palloc0(sizeof(Group *) * state->capacity);
	initStringInfo(&state->scratch);
	MemoryContextSwitchTo(old);
	return state;
}

static void
group_state_grow(MemoryContext aggcxt, GroupState *state)
{
	int			capacity = state->capacity * 2;
	Group	  **slots = MemoryContextAllocZero(aggcxt, sizeof(Group *) * capacity);
	int			i;

	for (i = 0; i < state->capacity; i++)
	{
		Group	   *g = state->slots[i];
		uint32		s;

		if (g == NULL)
			continue;
		for (s = g->hash & (capacity - 1); slots[s] != NULL; s = (s + 1) & (capacity - 1))
			;
		slots[s] = g;
	}
	pfree(state->slots);
	state->slots = slots;
	state->capacity = capacity;
}

/* The group of a flat key, created (with zero counts) when new. */
static Group *
group_lookup(MemoryContext aggcxt, GroupState *state, const char *key, int keylen)
{
	uint32		hash = hash_bytes((const unsigned char *) key, keylen);
	uint32		s;
	Group	   *g;

	for (s = hash & (state->capacity - 1); state->slots[s] != NULL;
		 s = (s + 1) & (state->capacity - 1))
	{
		g = state->slots[s];
		if (g->hash == hash && g->keylen == keylen && memcmp(g->key, key, keylen) == 0)
			return g;
	}
	if (state->ngroups >= GROUPS_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("dtecert: more than %d groups", GROUPS_MAX),
				 errhint("Protected columns and features must have few distinct values.")));
	g = MemoryContextAllocZero(aggcxt, sizeof(Group));
	g->key = MemoryContextAlloc(aggcxt, Max(keylen, 1));
	memcpy(g->key, key, keylen);
	g->keylen = keylen;
	g->hash = hash;
	state->slots[s] = g;
	state->ngroups++;
	if (state->ngroups * 2 > state->capacity)
		group_state_grow(aggcxt, state);
	return g;
}

/* The flat key of a text[] argument, into state->scratch. */
static void
flatten_key(GroupState *state, ArrayType *array)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n != state->nkeys)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dtecert.group_counts_agg: every key must have %d elements",
						state->nkeys)));
	resetStringInfo(&state->scratch);
	for (i = 0; i < n; i++)
	{
		text	   *t;
		int32		len;

		appendStringInfoChar(&state->scratch, nulls[i] ? 0 : 1);
		if (nulls[i])
			continue;
		t = DatumGetTextPP(elems[i]);
		len = VARSIZE_ANY_EXHDR(t);
		appendBinaryStringInfo(&state->scratch, (char *) &len, sizeof(int32));
		appendBinaryStringInfo(&state->scratch, VARDATA_ANY(t), len);
	}
}

static int
key_elements(ArrayType *array)
{
	int			n = ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));

	if (n < 1 || n > GROUP_KEYS_MAX || ARR_NDIM(array) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dtecert.group_counts_agg: a key has between 1 and %d elements",
						GROUP_KEYS_MAX)));
	return n;
}

/* Which counter a row adds to. */
static int
row_counter(FunctionCallInfo fcinfo)
{
	int64		label;
	bool		prediction;

	if (PG_ARGISNULL(2) || PG_ARGISNULL(3))
		return COUNT_MISSING;
	label = PG_GETARG_INT64(2);
	prediction = PG_GETARG_BOOL(3);
	if (label != 0 && label != 1)
		return COUNT_BAD_LABEL;
	if (label == 1)
		return prediction ? COUNT_TP : COUNT_FN;
	return prediction ? COUNT_FP : COUNT_TN;
}

Datum
dtecert_group_counts_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_group_counts_trans");
	GroupState *state = PG_ARGISNULL(0) ? NULL : (GroupState *) PG_GETARG_POINTER(0);
	ArrayType  *key;
	Group	   *g;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("dtecert.group_counts_agg: the key must not be null")));
	key = PG_GETARG_ARRAYTYPE_P(1);
	if (state == NULL)
		state = group_state_new(aggcxt, key_elements(key));
	flatten_key(state, key);
	g = group_lookup(aggcxt, state, state->scratch.data, state->scratch.len);
	g->counts[row_counter(fcinfo)]++;
	PG_RETURN_POINTER(state);
}

static void
add_group(MemoryContext aggcxt, GroupState *into, Group *from)
{
	Group	   *g = group_lookup(aggcxt, into, from->key, from->keylen);
	int			i;

	for (i = 0; i < NCOUNTS; i++)
		g->counts[i] += from->counts[i];
}

Datum
dtecert_group_counts_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_group_counts_combine");
	GroupState *state1 = PG_ARGISNULL(0) ? NULL : (GroupState *) PG_GETARG_POINTER(0);
	GroupState *state2 = PG_ARGISNULL(1) ? NULL : (GroupState *) PG_GETARG_POINTER(1);
	int			i;

	if (state2 == NULL)
		PG_RETURN_POINTER(state1);
	if (state1 == NULL)
		state1 = group_state_new(aggcxt, state2->nkeys);
	if (state1->nkeys != state2->nkeys)
		elog(ERROR, "dtecert: cannot combine keys of %d and %d elements",
			 state1->nkeys, state2->nkeys);
	for (i = 0; i < state2->capacity; i++)
		if (state2->slots[i] != NULL)
			add_group(aggcxt, state1, state2->slots[i]);
	PG_RETURN_POINTER(state1);
}

Datum
dtecert_group_counts_serialize(PG_FUNCTION_ARGS)
{
	GroupState *state = (GroupState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			i;
	int			j;

	(void) agg_check_context(fcinfo, "dtecert_group_counts_serialize");
	pq_begintypsend(&buf);
	pq_sendint32(&buf, state->nkeys);
	pq_sendint32(&buf, state->ngroups);
	for (i = 0; i < state->capacity; i++)
	{
		Group	   *g = state->slots[i];

		if (g == NULL)
			continue;
		pq_sendint32(&buf, g->keylen);
		pq_sendbytes(&buf, g->key, g->keylen);
		for (j = 0; j < NCOUNTS; j++)
			pq_sendint64(&buf, g->counts[j]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
dtecert_group_counts_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_check_context(fcinfo, "dtecert_group_counts_deserialize");
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	GroupState *state;
	int			nkeys;
	int			ngroups;
	int			i;
	int			j;

	agg_state_reader(bytes, &buf);
	nkeys = pq_getmsgint(&buf, 4);
	ngroups = pq_getmsgint(&buf, 4);
	if (nkeys < 1 || nkeys > GROUP_KEYS_MAX || ngroups < 0 || ngroups > GROUPS_MAX)
		elog(ERROR, "dtecert: corrupt group counts state");
	state = group_state_new(aggcxt, nkeys);
	for (i = 0; i < ngroups; i++)
	{
		int			keylen = pq_getmsgint(&buf, 4);
		const char *key;
		Group	   *g;

		if (keylen < 0 || keylen > buf.len - buf.cursor)
			elog(ERROR, "dtecert: corrupt group counts state");
		key = pq_getmsgbytes(&buf, keylen);
		g = group_lookup(aggcxt, state, key, keylen);
		for (j = 0; j < NCOUNTS; j++)
			g->counts[j] += pq_getmsgint64(&buf);
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(state);
}

/* Byte order of the elements, a NULL element after every value. */
static int
compare_keys(const void *a, const void *b)
{
	const Group *ga = *(Group *const *) a;
	const Group *gb = *(Group *const *) b;
	const char *pa = ga->key;
	const char *pb = gb->key;
	const char *enda = ga->key + ga->keylen;

	while (pa < enda)
	{
		int32		la;
		int32		lb;
		int			cmp;

		if (*pa != *pb)
			return *pa == 0 ? 1 : -1;
		if (*pa++ == 0)
		{
			pb++;
			continue;
		}
		pb++;
		memcpy(&la, pa, sizeof(int32));
		memcpy(&lb, pb, sizeof(int32));
		pa += sizeof(int32);
		pb += sizeof(int32);
		cmp = memcmp(pa, pb, Min(la, lb));
		if (cmp != 0)
			return cmp;
		if (la != lb)
			return la < lb ? -1 : 1;
		pa += la;
		pb += lb;
	}
	return 0;
}

/* One group's counts and key elements, appended to elems/nulls at *n. */
static void
group_elements(GroupState *state, Group *g, Datum *elems, bool *nulls, int *n)
{
	const char *p = g->key;
	int			i;

	for (i = 0; i < NCOUNTS; i++)
	{
		elems[*n] = CStringGetTextDatum(psprintf(INT64_FORMAT, g->counts[i]));
		nulls[(*n)++] = false;
	}
	for (i = 0; i < state->nkeys; i++)
	{
		int32		len;

		nulls[*n] = *p++ == 0;
		if (nulls[*n])
		{
			elems[(*n)++] = (Datum) 0;
			continue;
		}
		memcpy(&len, p, sizeof(int32));
		p += sizeof(int32);
		elems[(*n)++] = PointerGetDatum(cstring_to_text_with_len(p, len));
		p += len;
	}
}

Datum
dtecert_group_counts_final(PG_FUNCTION_ARGS)
{
	GroupState *state = PG_ARGISNULL(0) ? NULL : (GroupState *) PG_GETARG_POINTER(0);
	Group	  **groups;
	Datum	   *elems;
	bool	   *nulls;
	int			width;
	int			dims[1];
	int			lbs[1] = {1};
	int			n = 0;
	int			i;

	(void) agg_check_context(fcinfo, "dtecert_group_counts_final");
	if (state == NULL)
		PG_RETURN_NULL();
	groups = palloc(sizeof(Group *) * Max(state->ngroups, 1));
	for (i = 0; i < state->capacity; i++)
		if (state->slots[i] != NULL)
			groups[n++] = state->slots[i];
	qsort(groups, n, sizeof(Group *), compare_keys);
	width = NCOUNTS + state->nkeys;
	elems = palloc(sizeof(Datum) * Max(n * width, 1));
	nulls = palloc(sizeof(bool) * Max(n * width, 1));
	dims[0] = 0;
	for (i = 0; i < n; i++)
		group_elements(state, groups[i], elems, nulls, &dims[0]);
	PG_RETURN_ARRAYTYPE_P(construct_md_array(elems, nulls, 1, dims, lbs, TEXTOID,
											 -1, false, TYPALIGN_INT));
}
