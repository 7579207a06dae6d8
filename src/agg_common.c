/*-------------------------------------------------------------------------
 *
 * agg_common.c
 *	  Type support for dtecert's aggregate states (see agg_common.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "common/hashfn.h"
#include "libpq/pqformat.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "agg_common.h"

void
agg_type_init(AggType *type, Oid typid, Oid collation, int needs)
{
	TypeCacheEntry *entry;
	int			flags = 0;
	Oid			func;
	bool		varlena;

	memset(type, 0, sizeof(AggType));
	type->typid = typid;
	type->collation = collation;
	get_typlenbyval(typid, &type->typlen, &type->typbyval);

	if (needs & AGG_TYPE_COMPARE)
		flags |= TYPECACHE_CMP_PROC_FINFO;
	if (needs & AGG_TYPE_EQUAL)
		flags |= TYPECACHE_EQ_OPR_FINFO;
	if (needs & AGG_TYPE_HASH)
		flags |= TYPECACHE_HASH_EXTENDED_PROC_FINFO;
	entry = lookup_type_cache(typid, flags);
	if ((needs & AGG_TYPE_COMPARE) && OidIsValid(entry->cmp_proc_finfo.fn_oid))
	{
		fmgr_info_copy(&type->compare, &entry->cmp_proc_finfo, CurrentMemoryContext);
		type->has_compare = true;
	}
	if ((needs & AGG_TYPE_EQUAL) && OidIsValid(entry->eq_opr_finfo.fn_oid))
	{
		fmgr_info_copy(&type->equal, &entry->eq_opr_finfo, CurrentMemoryContext);
		type->has_equal = true;
	}
	if ((needs & AGG_TYPE_HASH) && OidIsValid(entry->hash_extended_proc_finfo.fn_oid))
	{
		fmgr_info_copy(&type->hash, &entry->hash_extended_proc_finfo, CurrentMemoryContext);
		type->has_hash = true;
	}

	/* output for text forms, and for types that cannot compare or hash */
	getTypeOutputInfo(typid, &func, &varlena);
	fmgr_info(func, &type->output);
	getTypeBinaryOutputInfo(typid, &func, &varlena);
	fmgr_info(func, &type->send);
	getTypeBinaryInputInfo(typid, &func, &type->receive_ioparam);
	fmgr_info(func, &type->receive);
}

/* The types of an aggregate's "any" arguments first_arg .. first_arg+n-1. */
void
agg_types_from_args(FunctionCallInfo fcinfo, int first_arg, int nargs,
					AggType *types, int needs)
{
	int			i;

	for (i = 0; i < nargs; i++)
	{
		Oid			typid = get_fn_expr_argtype(fcinfo->flinfo, first_arg + i);

		if (!OidIsValid(typid))
			elog(ERROR, "could not determine the type of aggregate argument %d",
				 first_arg + i);
		agg_type_init(&types[i], typid, PG_GET_COLLATION(), needs);
	}
}

/* NULLs sort first; types without an ordering compare by their text. */
int
agg_compare_values(AggType *type, Datum a, bool anull, Datum b, bool bnull)
{
	if (anull || bnull)
		return anull && bnull ? 0 : anull ? -1 : 1;
	if (type->has_compare)
		return DatumGetInt32(FunctionCall2Coll(&type->compare, type->collation, a, b));
	return strcmp(OutputFunctionCall(&type->output, a),
				  OutputFunctionCall(&type->output, b));
}

uint64
agg_hash_value(AggType *type, Datum value, bool isnull)
{
	char	   *text;

	if (isnull)
		return UINT64CONST(0x9e3779b97f4a7c15);
	if (type->has_hash)
		return DatumGetUInt64(FunctionCall2Coll(&type->hash, type->collation,
												value, Int64GetDatum(0)));
	text = OutputFunctionCall(&type->output, value);
	return DatumGetUInt64(hash_any_extended((unsigned char *) text, strlen(text), 0));
}

/* NULL equals NULL here: GROUP BY semantics, as Great Expectations uses. */
bool
agg_equal_values(AggType *type, Datum a, bool anull, Datum b, bool bnull)
{
	if (anull || bnull)
		return anull && bnull;
	if (type->has_equal)
		return DatumGetBool(FunctionCall2Coll(&type->equal, type->collation, a, b));
	return agg_compare_values(type, a, false, b, false) == 0;
}

char *
agg_value_text(AggType *type, Datum value, bool isnull)
{
	return isnull ? NULL : OutputFunctionCall(&type->output, value);
}

void
agg_send_types(StringInfo buf, AggType *types, int ntypes)
{
	int			i;

	pq_sendint32(buf, ntypes);
	for (i = 0; i < ntypes; i++)
	{
		pq_sendint32(buf, types[i].typid);
		pq_sendint32(buf, types[i].collation);
	}
}

AggType *
agg_receive_types(StringInfo buf, int *ntypes, int needs)
{
	AggType    *types;
	int			i;

	*ntypes = pq_getmsgint(buf, 4);
	types = palloc(sizeof(AggType) * Max(*ntypes, 1));
	for (i = 0; i < *ntypes; i++)
	{
		Oid			typid = pq_getmsgint(buf, 4);
		Oid			collation = pq_getmsgint(buf, 4);

		agg_type_init(&types[i], typid, collation, needs);
	}
	return types;
}

/* A value as its type's binary form, length-prefixed; -1 for NULL. */
void
agg_send_value(StringInfo buf, AggType *type, Datum value, bool isnull)
{
	bytea	   *bin;

	if (isnull)
	{
		pq_sendint32(buf, -1);
		return;
	}
	bin = SendFunctionCall(&type->send, value);
	pq_sendint32(buf, VARSIZE(bin) - VARHDRSZ);
	pq_sendbytes(buf, VARDATA(bin), VARSIZE(bin) - VARHDRSZ);
	pfree(bin);
}

Datum
agg_receive_value(StringInfo buf, AggType *type, bool *isnull)
{
	int			len = pq_getmsgint(buf, 4);
	StringInfoData value;
	Datum		result;

	*isnull = len < 0;
	if (*isnull)
		return (Datum) 0;
	if (len > buf->len - buf->cursor)
		elog(ERROR, "dtecert aggregate state is truncated");
	/* the receive function wants a StringInfo of exactly the value */
	initStringInfo(&value);
	appendBinaryStringInfo(&value, buf->data + buf->cursor, len);
	buf->cursor += len;
	result = ReceiveFunctionCall(&type->receive, &value, type->receive_ioparam, -1);
	pfree(value.data);
	return result;
}

/*
 * How many processes build partial states of one aggregate at once: in a
 * parallel query (run by a worker, or by a leader in parallel mode) at most
 * max_parallel_workers_per_gather workers and the leader; else one.  Exact
 * states divide their memory budget by it, so that the budget holds for
 * all of them together, and the leader's merged state, which holds what
 * they held, fits it too.  When the planner launches fewer workers, each
 * state is only held to a smaller share than it could have used.
 */
int
agg_scan_participants(void)
{
	int			n;

	if (!IsParallelWorker() && !IsInParallelMode())
		return 1;
	n = max_parallel_workers_per_gather + (parallel_leader_participation ? 1 : 0);
	return Max(n, 1);
}

/* Support functions run only as aggregates, in the aggregate's context. */
MemoryContext
agg_check_context(FunctionCallInfo fcinfo, const char *name)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s called in non-aggregate context", name);
	return aggcontext;
}

/* Read a serialized state in place (pq_getmsg* over the bytea's data). */
void
agg_state_reader(bytea *bytes, StringInfo buf)
{
	buf->data = VARDATA_ANY(bytes);
	buf->len = VARSIZE_ANY_EXHDR(bytes);
	buf->maxlen = buf->len;
	buf->cursor = 0;
}
