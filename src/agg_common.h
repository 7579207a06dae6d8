/*-------------------------------------------------------------------------
 *
 * agg_common.h
 *	  What dtecert's aggregates need to know about the types they hold:
 *	  how to copy, compare, hash and (for parallel query) send and receive a
 *	  value.  The aggregates take "any" arguments, so each state records the
 *	  type of every argument and carries it through serialization.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTECERT_AGG_COMMON_H
#define DTECERT_AGG_COMMON_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"

/* Which support functions a state needs. */
#define AGG_TYPE_COMPARE	0x01
#define AGG_TYPE_EQUAL		0x02
#define AGG_TYPE_HASH		0x04
#define AGG_TYPE_OUTPUT		0x08

typedef struct AggType
{
	Oid			typid;
	Oid			collation;
	int16		typlen;
	bool		typbyval;
	bool		has_compare;	/* else values compare by their text */
	bool		has_equal;
	bool		has_hash;
	FmgrInfo	compare;		/* btree comparison, int32 */
	FmgrInfo	equal;
	FmgrInfo	hash;			/* extended (64-bit) hash */
	FmgrInfo	output;
	FmgrInfo	send;
	FmgrInfo	receive;
	Oid			receive_ioparam;
} AggType;

extern void agg_type_init(AggType *type, Oid typid, Oid collation, int needs);
extern void agg_types_from_args(FunctionCallInfo fcinfo, int first_arg,
								int nargs, AggType *types, int needs);

extern int	agg_compare_values(AggType *type, Datum a, bool anull,
							   Datum b, bool bnull);
extern uint64 agg_hash_value(AggType *type, Datum value, bool isnull);
extern bool agg_equal_values(AggType *type, Datum a, bool anull,
							 Datum b, bool bnull);
extern char *agg_value_text(AggType *type, Datum value, bool isnull);

extern void agg_send_types(StringInfo buf, AggType *types, int ntypes);
extern AggType *agg_receive_types(StringInfo buf, int *ntypes, int needs);
extern void agg_send_value(StringInfo buf, AggType *type, Datum value, bool isnull);
extern Datum agg_receive_value(StringInfo buf, AggType *type, bool *isnull);

extern int	agg_scan_participants(void);
extern MemoryContext agg_check_context(FunctionCallInfo fcinfo, const char *name);
extern void agg_state_reader(bytea *bytes, StringInfo buf);

#endif							/* DTECERT_AGG_COMMON_H */
