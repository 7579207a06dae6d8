/*-------------------------------------------------------------------------
 *
 * proof.c
 *	  Catalog proofs (see proof.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/index.h"
#include "catalog/indexing.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "catalog/pg_trigger.h"
#include "commands/trigger.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "proof.h"

static bool
check_reads_column(const BoundCheck *bc, AttrNumber attnum, bool *notnull)
{
	int			i;

	for (i = 0; i < bc->ncolumns; i++)
		if (bc->columns[i].attnum == attnum)
		{
			*notnull = bc->columns[i].notnull;
			return true;
		}
	return false;
}

/*
 * Does this index prove the check?  Its key columns must all be among the
 * check's columns (a unique subset makes the whole set unique).  For
 * several columns, the check treats NULLs as equal (GROUP BY semantics), so
 * the index proves it only where it cannot hold two rows with NULLs in one
 * key column: NULLS NOT DISTINCT, NOT NULL key columns, or rows with a
 * missing value ignored.  A single column's check skips NULLs anyway.
 */
static bool
index_proves(Relation index, const BoundCheck *bc)
{
	Form_pg_index form = index->rd_index;
	bool		nulls_ok = bc->check->ncolumns == 0 ||
		bc->check->ignore_row_if == IGNORE_ROW_IF_ANY_MISSING;
	int			k;

	if (!form->indisunique || !form->indimmediate || !form->indisvalid ||
		!form->indisready || !form->indislive ||
		!heap_attisnull(index->rd_indextuple, Anum_pg_index_indpred, NULL) ||
		!heap_attisnull(index->rd_indextuple, Anum_pg_index_indexprs, NULL))
		return false;
#if PG_VERSION_NUM >= 150000
	if (form->indnullsnotdistinct)
		nulls_ok = true;
#endif
	for (k = 0; k < form->indnkeyatts; k++)
	{
		bool		notnull;

		if (!check_reads_column(bc, form->indkey.values[k], &notnull))
			return false;
		if (!notnull && !nulls_ok)
			return false;
	}
	return form->indnkeyatts > 0;
}

static char *
index_proof_name(Oid indexoid)
{
	Oid			constraint = get_index_constraint(indexoid);

	if (OidIsValid(constraint))
		return psprintf("constraint %s", quote_identifier(get_constraint_name(constraint)));
	return psprintf("unique index %s", quote_identifier(get_rel_name(indexoid)));
}

static char *
prove_unique(Relation rel, const BoundCheck *bc)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;

	foreach(lc, indexes)
	{
		Oid			indexoid = lfirst_oid(lc);
		Relation	index = index_open(indexoid, AccessShareLock);
		bool		proves = index_proves(index, bc);

		index_close(index, AccessShareLock);
		if (proves)
			return index_proof_name(indexoid);
	}
	return NULL;
}

/* Every trigger that enforces the constraint is enabled. */
static bool
constraint_triggers_enabled(Oid constraint)
{
	Relation	rel = table_open(TriggerRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		enabled = true;

	ScanKeyInit(&key, Anum_pg_trigger_tgconstraint, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(constraint));
	scan = systable_beginscan(rel, TriggerConstraintIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
		if (((Form_pg_trigger) GETSTRUCT(tuple))->tgenabled == TRIGGER_DISABLED)
			enabled = false;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return enabled;
}

static bool
single_attnum_is(HeapTuple tuple, AttrNumber attno, AttrNumber expected)
{
	bool		isnull;
	Datum		datum = SysCacheGetAttr(CONSTROID, tuple, attno, &isnull);
	ArrayType  *array;

	if (isnull)
		return false;
	array = DatumGetArrayTypeP(datum);
	return ARR_NDIM(array) == 1 && ARR_DIMS(array)[0] == 1 &&
		((int16 *) ARR_DATA_PTR(array))[0] == expected;
}

static char *
prove_references(Relation rel, const BoundCheck *bc)
{
	Relation	conrel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	char	   *proof = NULL;

	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(RelationGetRelid(rel)));
	scan = systable_beginscan(conrel, ConstraintRelidTypidNameIndexId, true,
							  NULL, 1, &key);
	while (proof == NULL && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);

		if (con->contype == CONSTRAINT_FOREIGN && con->convalidated &&
			con->confrelid == bc->ref_relid &&
			single_attnum_is(tuple, Anum_pg_constraint_conkey, bc->columns[0].attnum) &&
			single_attnum_is(tuple, Anum_pg_constraint_confkey, bc->ref_column.attnum) &&
			constraint_triggers_enabled(con->oid))
			proof = psprintf("constraint %s", quote_identifier(NameStr(con->conname)));
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);
	return proof;
}

void
prove_checks(BoundPolicy *bp, Relation rel)
{
	int			i;

	for (i = 0; i < bp->nchecks; i++)
	{
		BoundCheck *bc = &bp->checks[i];

		if (bc->error != NULL)
			continue;
		switch (bc->check->kind)
		{
			case CHECK_NOT_NULL:
				if (bc->columns[0].notnull)
					bc->proven_by = psprintf("NOT NULL constraint on %s",
											 bc->columns[0].sql);
				break;
			case CHECK_UNIQUE:
				bc->proven_by = prove_unique(rel, bc);
				break;
			case CHECK_REFERENCES:
				bc->proven_by = prove_references(rel, bc);
				break;
			default:
				break;
		}
	}
}
