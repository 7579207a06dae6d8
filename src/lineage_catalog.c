/*-------------------------------------------------------------------------
 *
 * lineage_catalog.c
 *	  What the catalog knows of a dataset's inputs: the relations a view's
 *	  or materialized view's query reads, as its rewrite rule's dependencies
 *	  in pg_depend record them (the way pg_dump orders views).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/pg_class.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_rewrite.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "lineage.h"

/* Views and materialized views: their inputs come from the catalog. */
bool
lineage_derives_inputs(Oid relid)
{
	char		relkind = get_rel_relkind(relid);

	return relkind == RELKIND_VIEW || relkind == RELKIND_MATVIEW;
}

/* Tables, views and the like: not sequences, indexes or composite types. */
static bool
is_dataset(Oid relid)
{
	switch (get_rel_relkind(relid))
	{
		case RELKIND_RELATION:
		case RELKIND_PARTITIONED_TABLE:
		case RELKIND_VIEW:
		case RELKIND_MATVIEW:
		case RELKIND_FOREIGN_TABLE:
			return true;
		default:
			return false;
	}
}

static void
add_unique(Oid **inputs, int *n, int *size, Oid relid)
{
	int			i;

	for (i = 0; i < *n; i++)
		if ((*inputs)[i] == relid)
			return;
	if (*n == *size)
	{
		*size *= 2;
		*inputs = repalloc(*inputs, sizeof(Oid) * *size);
	}
	(*inputs)[(*n)++] = relid;
}

/* The relations one rewrite rule depends on, other than its own relation. */
static void
rule_inputs(Relation depend, Oid ruleid, Oid self, Oid **inputs, int *n,
			int *size)
{
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;

	ScanKeyInit(&keys[0], Anum_pg_depend_classid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(RewriteRelationId));
	ScanKeyInit(&keys[1], Anum_pg_depend_objid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(ruleid));
	scan = systable_beginscan(depend, DependDependerIndexId, true, NULL, 2, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);

		if (dep->refclassid == RelationRelationId && dep->refobjid != self &&
			dep->deptype == DEPENDENCY_NORMAL && is_dataset(dep->refobjid))
			add_unique(inputs, n, size, dep->refobjid);
	}
	systable_endscan(scan);
}

/*
 * The relations a view or materialized view reads directly, in the order
 * the catalog lists them; returns how many (0 for any other relation).
 */
int
lineage_catalog_inputs(Oid relid, Oid **inputs)
{
	Relation	rewrite;
	Relation	depend;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	int			n = 0;
	int			size = 8;

	*inputs = palloc(sizeof(Oid) * size);
	if (!lineage_derives_inputs(relid))
		return 0;
	rewrite = table_open(RewriteRelationId, AccessShareLock);
	depend = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_rewrite_ev_class, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rewrite, RewriteRelRulenameIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
		rule_inputs(depend, ((Form_pg_rewrite) GETSTRUCT(tuple))->oid, relid,
					inputs, &n, &size);
	systable_endscan(scan);
	table_close(depend, AccessShareLock);
	table_close(rewrite, AccessShareLock);
	return n;
}
