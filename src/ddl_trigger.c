/*-------------------------------------------------------------------------
 *
 * ddl_trigger.c
 *	  Revocation at DDL time (DESIGN section 4): the event triggers
 *	  dtecert.on_ddl_command_end() and dtecert.on_sql_drop() append a
 *	  revocation, in the DDL's own transaction, when a change makes a
 *	  certificate vouch for something that no longer is:
 *
 *	  - a column added, dropped, retyped (binary-coercible retypes, which
 *		rewrite nothing, too) or renamed;
 *	  - the relation renamed, moved to another schema (or its schema
 *		renamed), dropped, or replaced under its name: renamed into a
 *		dataset's name, as dbt's swap does, or redefined by CREATE OR
 *		REPLACE VIEW;
 *	  - a constraint, unique index or NOT NULL that proved a check dropped;
 *	  - a partition attached, detached or created (PARTITION OF): this
 *		revokes the partitioned dataset and its ancestors.
 *
 *	  Nothing else revokes: comments, statistics targets, new indexes and
 *	  constraints, defaults, owners and grants leave the certified data and
 *	  columns as they were.
 *
 * A dataset is known by its quoted qualified name, and each certificate also
 * records the OID of the relation it read.  The candidates for a change are
 * the names the relation had (before a rename or a move) or has, and the
 * datasets whose latest certificate is about the relation's OID.  Those whose
 * latest record is not a revocation already are revoked, once each, with
 * every reason that applies.
 *
 * The triggers never stop anyone's DDL: the work runs in a subtransaction
 * and any error becomes a WARNING.  Nor do they make it wait: dtecert's
 * tables are locked conditionally, and a lock held elsewhere is an error
 * like any other.  DDL that cannot revoke (by its command tag, its
 * subcommands, or what it dropped: a plain index, a check constraint) does
 * not touch dtecert's tables at all; DDL that can costs one indexed lookup
 * when it concerns no dataset.
 *
 * Restore and upgrade revoke nothing.  pg_upgrade runs the server in
 * binary-upgrade mode, where the triggers return at once.  pg_restore
 * creates the extension and runs the pre-data DDL while dtecert.certificates
 * is still empty, since its rows come in the data section; the post-data
 * DDL creates indexes, constraints, triggers and rules, none of which
 * revokes.  The one post-data command that could, the CREATE OR REPLACE VIEW
 * by which pg_dump fills in a view it had to create as a placeholder, counts
 * as a redefinition only when the certificate is about that very view (its
 * OID), and a restored certificate carries the OID of the original.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "tcop/deparse_utility.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "dtecert.h"
#include "lifecycle.h"

PG_FUNCTION_INFO_V1(dtecert_on_ddl_command_end);
PG_FUNCTION_INFO_V1(dtecert_on_sql_drop);

/* The schema of dtecert's objects (fixed by the control file). */
#define DTECERT_SCHEMA "dtecert"

/*
 * A change that may revoke certificates: to the relation relid (InvalidOid
 * when only a name is known), which is or was known by the dataset name
 * name (NULL when only the relation is known).  A plain change revokes for
 * its reasons.  A lost proof (proof is the text certify() writes in
 * check_results.proven_by) revokes only the certificates with a check that
 * rests on it.  A final change (the relation is gone) is the only reason
 * given, whatever else went with it.
 */
typedef struct Change
{
	Oid			relid;
	char	   *name;
	char	   *proof;
	bool		final;
	List	   *reasons;
} Change;

/* A dataset whose latest record is a certificate, not a revocation. */
typedef struct Current
{
	char	   *dataset;
	Oid			relid;
	int64		certificate_id;
	char	   *status;			/* as dtecert.status read it before */
	Oid			named;			/* the relation the name means now, if any */
	bool		final;
	List	   *reasons;
} Current;

typedef struct Work
{
	bool		on_drop;		/* sql_drop, else ddl_command_end */
	Oid			nsp;			/* dtecert's schema */
	List	   *search_path;	/* the caller's, with pg_catalog and pg_temp */
	List	   *changes;
	MemoryContext callcxt;		/* outlives the subtransaction */
	char	   *dataset;		/* being revoked (in callcxt), for a warning */
} Work;


/* ------------------------------------------------------------------------
 * Changes
 */

static List *
add_reason(List *reasons, const char *reason)
{
	ListCell   *lc;

	foreach(lc, reasons)
		if (strcmp(lfirst(lc), reason) == 0)
			return reasons;
	return lappend(reasons, pstrdup(reason));
}

static char *
join_reasons(List *reasons)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, reasons)
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? "; " : "",
						 (char *) lfirst(lc));
	return buf.data;
}

static bool
same_name(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Note a plain change; the reasons of one relation's changes add up. */
static void
note_change(Work *work, Oid relid, const char *name, const char *reason,
			bool final)
{
	Change	   *change;
	ListCell   *lc;

	foreach(lc, work->changes)
	{
		change = lfirst(lc);
		if (change->proof == NULL && change->relid == relid &&
			change->final == final && same_name(change->name, name))
		{
			change->reasons = add_reason(change->reasons, reason);
			return;
		}
	}
	change = palloc0(sizeof(Change));
	change->relid = relid;
	change->name = name ? pstrdup(name) : NULL;
	change->final = final;
	change->reasons = list_make1(pstrdup(reason));
	work->changes = lappend(work->changes, change);
}

static void
note_proof(Work *work, Oid relid, const char *name, const char *proof)
{
	Change	   *change = palloc0(sizeof(Change));

	change->relid = relid;
	change->name = name ? pstrdup(name) : NULL;
	change->proof = pstrdup(proof);
	work->changes = lappend(work->changes, change);
}

/* A relation that can be a dataset, and not one of dtecert's own. */
static bool
is_dataset_relation(Work *work, Oid relid)
{
	switch (get_rel_relkind(relid))
	{
		case RELKIND_RELATION:
		case RELKIND_PARTITIONED_TABLE:
		case RELKIND_VIEW:
		case RELKIND_MATVIEW:
		case RELKIND_FOREIGN_TABLE:
			return get_rel_namespace(relid) != work->nsp;
		default:
			return false;
	}
}

static const char *
relation_kind(Oid relid)
{
	switch (get_rel_relkind(relid))
	{
		case RELKIND_VIEW:
			return "view";
		case RELKIND_MATVIEW:
			return "materialized view";
		case RELKIND_FOREIGN_TABLE:
			return "foreign table";
		default:
			return "table";
	}
}

/*
 * The relation, and when the command was not limited by ONLY, every
 * relation that inherits from it: column changes reach them all, though
 * PostgreSQL reports some of them for the parent alone.
 */
static List *
with_inheritors(Oid relid, bool recurse)
{
	/* the command locked them all already */
	return recurse ? find_all_inheritors(relid, NoLock, NULL) :
		list_make1_oid(relid);
}

/* A change to columns of the relation (and its inheritors). */
static void
note_columns(Work *work, Oid relid, bool recurse, const char *reason)
{
	ListCell   *lc;

	foreach(lc, with_inheritors(relid, recurse))
		if (is_dataset_relation(work, lfirst_oid(lc)))
			note_change(work, lfirst_oid(lc),
						dtecert_dataset_name(lfirst_oid(lc)), reason, false);
}

static void
note_lost_not_null(Work *work, Oid relid, bool recurse, const char *column)
{
	char	   *proof = psprintf("NOT NULL constraint on %s",
								 quote_identifier(column));
	ListCell   *lc;

	foreach(lc, with_inheritors(relid, recurse))
		if (is_dataset_relation(work, lfirst_oid(lc)))
			note_proof(work, lfirst_oid(lc),
					   dtecert_dataset_name(lfirst_oid(lc)), proof);
}

/*
 * The relation relid was known as old_name until now.  Whatever dataset
 * bears its new name has been replaced by it.
 */
static void
note_moved(Work *work, Oid relid, const char *old_name, const char *reason)
{
	note_change(work, relid, old_name, reason, false);
	note_change(work, InvalidOid, dtecert_dataset_name(relid),
				"relation replaced", false);
}

/* A partition came or went: the partitioned table and its ancestors. */
static void
note_partitioned(Work *work, Oid parent, const char *reason)
{
	List	   *tables = lcons_oid(parent, get_partition_ancestors(parent));
	ListCell   *lc;

	foreach(lc, tables)
		if (is_dataset_relation(work, lfirst_oid(lc)))
			note_change(work, lfirst_oid(lc),
						dtecert_dataset_name(lfirst_oid(lc)), reason, false);
}


/* ------------------------------------------------------------------------
 * What ddl_command_end reports
 */

/*
 * The relation a name in the command meant, looked up as the command did:
 * in the caller's search_path, not the one the trigger's queries run under.
 */
static Oid
rangevar_relid(Work *work, RangeVar *rv)
{
	ListCell   *lc;

	if (rv->schemaname != NULL)
		return get_relname_relid(rv->relname,
								 get_namespace_oid(rv->schemaname, true));
	foreach(lc, work->search_path)
	{
		Oid			relid = get_relname_relid(rv->relname, lfirst_oid(lc));

		if (OidIsValid(relid))
			return relid;
	}
	return InvalidOid;
}

static char *
partition_name(Work *work, AlterTableCmd *at)
{
	RangeVar   *rv = ((PartitionCmd *) at->def)->name;
	Oid			relid = rangevar_relid(work, rv);

	if (OidIsValid(relid))
		return dtecert_dataset_name(relid);
	return quote_qualified_identifier(rv->schemaname, rv->relname);
}

static char *
column_type(Oid relid, AttrNumber attnum)
{
	Oid			typid;
	int32		typmod;
	Oid			collid;

	get_atttypetypmodcoll(relid, attnum, &typid, &typmod, &collid);
	return format_type_with_typemod(typid, typmod);
}

static void
collect_subcommand(Work *work, Oid relid, bool recurse,
				   CollectedATSubcmd *sub)
{
	AlterTableCmd *at = (AlterTableCmd *) sub->parsetree;
	bool		done = OidIsValid(sub->address.objectId);
	Oid			target = relid;

	/* the subcommand's own relation, when it recursed to a child */
	if (done && sub->address.classId == RelationRelationId)
		target = sub->address.objectId;

	switch (at->subtype)
	{
		case AT_AddColumn:
#if PG_VERSION_NUM < 160000
		case AT_AddColumnRecurse:
#endif
		case AT_AddColumnToView:
			/* no address: IF NOT EXISTS found the column there */
			if (done)
				note_columns(work, target, recurse,
							 psprintf("column \"%s\" added",
									  castNode(ColumnDef, at->def)->colname));
			break;
		case AT_AlterColumnType:
			note_columns(work, target, recurse,
						 done && sub->address.objectSubId > 0 ?
						 psprintf("column \"%s\" retyped to %s", at->name,
								  column_type(target, sub->address.objectSubId)) :
						 psprintf("column \"%s\" retyped", at->name));
			break;
		case AT_DropNotNull:
			/* no address: the column was nullable already */
			if (done)
				note_lost_not_null(work, target, recurse, at->name);
			break;
		case AT_AttachPartition:
		case AT_DetachPartition:
		case AT_DetachPartitionFinalize:
			/* ALTER INDEX ... ATTACH PARTITION changes no rows */
			if (get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE)
				note_partitioned(work, relid,
								 psprintf("partition %s %s",
										  partition_name(work, at),
										  at->subtype == AT_AttachPartition ?
										  "attached" : "detached"));
			break;
		default:
			/* columns and constraints dropped: sql_drop reports them */
			break;
	}
}

static void
collect_alter_table(Work *work, CollectedCommand *cmd)
{
	Oid			relid = cmd->d.alterTable.objectId;
	bool		recurse = false;
	ListCell   *lc;

	if (cmd->d.alterTable.classId != RelationRelationId ||
		!OidIsValid(relid) || get_rel_namespace(relid) == work->nsp)
		return;
	/* CREATE OR REPLACE VIEW alters the view internally, never recursing */
	if (IsA(cmd->parsetree, AlterTableStmt))
		recurse = ((AlterTableStmt *) cmd->parsetree)->relation->inh;
	foreach(lc, cmd->d.alterTable.subcmds)
	{
		CollectedATSubcmd *sub = lfirst(lc);

		if (IsA(sub->parsetree, AlterTableCmd))
			collect_subcommand(work, relid, recurse, sub);
	}
}

/* Run a query whose first column is an OID; the OIDs it returns. */
static List *
query_oids(const char *sql, Oid arg)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(arg)};
	List	   *oids = NIL;
	uint64		row;
	int			ret;

	ret = SPI_execute_with_args(sql, 1, argtypes, args, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the catalog: %s",
			 SPI_result_code_string(ret));
	for (row = 0; row < SPI_processed; row++)
	{
		bool		isnull;

		oids = lappend_oid(oids,
						   DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[row],
														  SPI_tuptable->tupdesc,
														  1, &isnull)));
	}
	return oids;
}

/* ALTER SCHEMA RENAME: every relation in it was renamed. */
static void
collect_schema_renamed(Work *work, Oid nsp, RenameStmt *stmt)
{
	char	   *reason = psprintf("schema %s renamed to %s",
								  quote_identifier(stmt->subname),
								  quote_identifier(stmt->newname));
	ListCell   *lc;

	if (nsp == work->nsp)
		return;
	foreach(lc, query_oids("SELECT c.oid FROM pg_catalog.pg_class c"
						   " WHERE c.relnamespace OPERATOR(pg_catalog.=) $1"
						   "   AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
						   " ORDER BY c.oid", nsp))
		note_moved(work, lfirst_oid(lc),
				   quote_qualified_identifier(stmt->subname,
											  get_rel_name(lfirst_oid(lc))),
				   reason);
}

/*
 * ALTER TYPE ... RENAME ATTRIBUTE ... CASCADE renames the column of every
 * table typed by the composite type.
 */
static void
collect_attribute_renamed(Work *work, Oid typrelid, const char *reason)
{
	ListCell   *lc;

	foreach(lc, query_oids("SELECT c.oid FROM pg_catalog.pg_class c"
						   " WHERE c.reloftype OPERATOR(pg_catalog.=) $1"
						   " ORDER BY c.oid", get_rel_type_id(typrelid)))
		note_columns(work, lfirst_oid(lc), true, reason);
}

static void
collect_rename(Work *work, RenameStmt *stmt, ObjectAddress *address)
{
	Oid			relid = address->objectId;
	char	   *reason;

	switch (stmt->renameType)
	{
		case OBJECT_TABLE:
		case OBJECT_VIEW:
		case OBJECT_MATVIEW:
		case OBJECT_FOREIGN_TABLE:
		case OBJECT_INDEX:		/* ALTER INDEX and ALTER SEQUENCE can */
		case OBJECT_SEQUENCE:	/* rename a table too */
			if (is_dataset_relation(work, relid))
			{
				const char *schema = stmt->relation->schemaname;

				/* a rename does not move: the old name's schema is this */
				if (schema == NULL)
					schema = get_namespace_name(get_rel_namespace(relid));
				note_moved(work, relid,
						   quote_qualified_identifier(schema, stmt->relation->relname),
						   psprintf("%s renamed to %s", relation_kind(relid),
									dtecert_dataset_name(relid)));
			}
			break;
		case OBJECT_COLUMN:
		case OBJECT_ATTRIBUTE:
			reason = psprintf("column \"%s\" renamed to \"%s\"",
							  stmt->subname, stmt->newname);
			if (stmt->renameType == OBJECT_ATTRIBUTE)
				collect_attribute_renamed(work, relid, reason);
			else
				note_columns(work, relid, stmt->relation->inh, reason);
			break;
		case OBJECT_SCHEMA:
			collect_schema_renamed(work, relid, stmt);
			break;
		default:
			break;
	}
}

static void
collect_set_schema(Work *work, AlterObjectSchemaStmt *stmt,
				   ObjectAddress *address, ObjectAddress *old_schema)
{
	Oid			relid = address->objectId;
	Oid			old_nsp = old_schema->objectId;
	Oid			new_nsp;
	const char *old_nspname = NULL;

	if (address->classId != RelationRelationId ||
		!is_dataset_relation(work, relid) || old_nsp == work->nsp)
		return;
	new_nsp = get_rel_namespace(relid);
	if (old_schema->classId == NamespaceRelationId && OidIsValid(old_nsp))
		old_nspname = get_namespace_name(old_nsp);
	else if (stmt->relation != NULL)
		old_nspname = stmt->relation->schemaname;
	if (old_nsp == new_nsp || old_nspname == NULL)
		return;
	note_moved(work, relid,
			   quote_qualified_identifier(old_nspname, get_rel_name(relid)),
			   psprintf("moved to schema %s",
						quote_identifier(get_namespace_name(new_nsp))));
}

/* CREATE TABLE ... PARTITION OF: a partition attached as it is created. */
static void
collect_created(Work *work, Oid relid)
{
	Oid			parent;

	if (!get_rel_relispartition(relid))
		return;
	parent = get_partition_parent(relid, false);
	note_partitioned(work, parent,
					 psprintf("partition %s created",
							  dtecert_dataset_name(relid)));
}

/*
 * CREATE OR REPLACE VIEW: the view's certificates, found by its OID only,
 * are revoked.  By name a restore's placeholder view, filled in by pg_dump
 * in the post-data section, would revoke what was just restored.
 */
static void
collect_view_replaced(Work *work, Oid relid)
{
	if (is_dataset_relation(work, relid))
		note_change(work, relid, NULL,
					"view replaced by CREATE OR REPLACE VIEW", false);
}

static void
collect_command(Work *work, CollectedCommand *cmd)
{
	ObjectAddress *address = &cmd->d.simple.address;

	if (cmd->type == SCT_AlterTable)
	{
		collect_alter_table(work, cmd);
		return;
	}
	if (cmd->type != SCT_Simple || !OidIsValid(address->objectId))
		return;
	switch (nodeTag(cmd->parsetree))
	{
		case T_RenameStmt:
			collect_rename(work, (RenameStmt *) cmd->parsetree, address);
			break;
		case T_AlterObjectSchemaStmt:
			collect_set_schema(work, (AlterObjectSchemaStmt *) cmd->parsetree,
							   address, &cmd->d.simple.secondaryObject);
			break;
		case T_CreateStmt:
		case T_CreateForeignTableStmt:
			if (address->classId == RelationRelationId)
				collect_created(work, address->objectId);
			break;
		case T_ViewStmt:
			if (((ViewStmt *) cmd->parsetree)->replace)
				collect_view_replaced(work, address->objectId);
			break;
		default:
			break;
	}
}

static void
collect_commands(Work *work)
{
	List	   *commands = NIL;
	ListCell   *lc;
	uint64		row;
	int			ret;

	ret = SPI_execute("SELECT command FROM pg_catalog.pg_event_trigger_ddl_commands()",
					  true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the DDL commands: %s",
			 SPI_result_code_string(ret));
	/* the commands live in the event trigger's memory, not in SPI's */
	for (row = 0; row < SPI_processed; row++)
	{
		bool		isnull;
		Datum		command = SPI_getbinval(SPI_tuptable->vals[row],
											SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			commands = lappend(commands, DatumGetPointer(command));
	}
	foreach(lc, commands)
		collect_command(work, lfirst(lc));
}


/* ------------------------------------------------------------------------
 * What sql_drop reports
 */

/*
 * A copy of the catalog row this transaction deleted, found by the OID key
 * in the first column of a catalog index; NULL when there is none.  The
 * catalogs no longer show the row, but it is still there to read with
 * SnapshotAny.
 */
static HeapTuple
deleted_row(Oid catalog, Oid index, AttrNumber key_attno, Oid key)
{
	Relation	rel = table_open(catalog, AccessShareLock);
	ScanKeyData scankey;
	SysScanDesc scan;
	HeapTuple	tuple;
	HeapTuple	found = NULL;

	ScanKeyInit(&scankey, key_attno, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(key));
	scan = systable_beginscan(rel, index, true, SnapshotAny, 1, &scankey);
	while (found == NULL && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		TransactionId deleter = HeapTupleHeaderGetUpdateXid(tuple->t_data);

		if (TransactionIdIsCurrentTransactionId(deleter))
			found = heap_copytuple(tuple);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * The table a dropped unique index was on, if it is still there: only a
 * unique index proves anything.
 */
static Oid
dropped_unique_index_table(Oid indexoid)
{
	HeapTuple	tuple = deleted_row(IndexRelationId, IndexRelidIndexId,
									Anum_pg_index_indexrelid, indexoid);
	Form_pg_index form;

	if (tuple == NULL)
		return InvalidOid;
	form = (Form_pg_index) GETSTRUCT(tuple);
	if (!form->indisunique || get_rel_name(form->indrelid) == NULL)
		return InvalidOid;
	return form->indrelid;
}

/* Only a primary key, unique or foreign key constraint proves anything. */
static bool
dropped_constraint_may_prove(Oid conoid)
{
	HeapTuple	tuple = deleted_row(ConstraintRelationId, ConstraintOidIndexId,
									Anum_pg_constraint_oid, conoid);
	char		contype;

	/* not found: assume it may have */
	if (tuple == NULL)
		return true;
	contype = ((Form_pg_constraint) GETSTRUCT(tuple))->contype;
	return contype == CONSTRAINT_PRIMARY || contype == CONSTRAINT_UNIQUE ||
		contype == CONSTRAINT_FOREIGN;
}

/* The partitioned table a dropped relation was a partition of, if any. */
static Oid
dropped_partition_parent(Oid relid)
{
	HeapTuple	tuple = deleted_row(InheritsRelationId, InheritsRelidSeqnoIndexId,
									Anum_pg_inherits_inhrelid, relid);
	Oid			parent;

	if (tuple == NULL)
		return InvalidOid;
	parent = ((Form_pg_inherits) GETSTRUCT(tuple))->inhparent;
	return get_rel_relkind(parent) == RELKIND_PARTITIONED_TABLE ?
		parent : InvalidOid;
}

static void
collect_drop(Work *work, const char *type, Oid objid, char **names)
{
	char	   *table = quote_qualified_identifier(names[0], names[1]);
	Oid			relid;

	if (strcmp(type, "table column") == 0)
		note_change(work, objid, table,
					psprintf("column \"%s\" dropped", names[2]), false);
	else if (strcmp(type, "table constraint") == 0)
	{
		if (!dropped_constraint_may_prove(objid))
			return;
		/* InvalidOid when the table went too: its own change says so */
		relid = get_relname_relid(names[1], get_namespace_oid(names[0], true));
		note_proof(work, relid, table,
				   psprintf("constraint %s", quote_identifier(names[2])));
	}
	else if (strcmp(type, "index") == 0)
	{
		relid = dropped_unique_index_table(objid);
		if (OidIsValid(relid))
			note_proof(work, relid, dtecert_dataset_name(relid),
					   psprintf("unique index %s", quote_identifier(names[1])));
	}
	else
	{
		note_change(work, objid, table, "relation dropped", true);
		/* dropping a partition detaches it first */
		relid = dropped_partition_parent(objid);
		if (OidIsValid(relid))
			note_partitioned(work, relid,
							 psprintf("partition %s dropped", table));
	}
}

static void
collect_drops(Work *work)
{
	uint64		row;
	int			ret;

	/* relations first: a dropped relation's reason is the only one */
	ret = SPI_execute("SELECT d.object_type, d.objid, d.address_names[1],"
					  "       d.address_names[2], d.address_names[3]"
					  "  FROM pg_catalog.pg_event_trigger_dropped_objects()"
					  "       WITH ORDINALITY AS d"
					  " WHERE d.object_type IN ('table', 'view', 'materialized view',"
					  "                         'foreign table', 'table column',"
					  "                         'table constraint', 'index')"
					  "   AND d.schema_name IS DISTINCT FROM '" DTECERT_SCHEMA "'"
					  " ORDER BY CASE d.object_type WHEN 'table column' THEN 2"
					  "          WHEN 'table constraint' THEN 3 WHEN 'index' THEN 4"
					  "          ELSE 1 END, d.ordinality",
					  true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the dropped objects: %s",
			 SPI_result_code_string(ret));
	/* nothing below runs SPI, so SPI_tuptable stays */
	for (row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		TupleDesc	tupdesc = SPI_tuptable->tupdesc;
		char	   *names[3];
		bool		isnull;
		Oid			objid;
		int			i;

		objid = DatumGetObjectId(SPI_getbinval(tuple, tupdesc, 2, &isnull));
		for (i = 0; i < 3; i++)
			names[i] = SPI_getvalue(tuple, tupdesc, 3 + i);
		if (names[0] != NULL && names[1] != NULL)
			collect_drop(work, SPI_getvalue(tuple, tupdesc, 1), objid, names);
	}
}


/* ------------------------------------------------------------------------
 * Revoking
 */

/*
 * Lock dtecert's tables as revoking needs them, or fail at once: DDL must
 * not wait on a session that holds them.
 */
static void
lock_tables(Work *work)
{
	static const struct
	{
		const char *name;
		LOCKMODE	mode;
	}			tables[] =
	{
		{"certificates", RowExclusiveLock},
		{"check_results", AccessShareLock},
		{"policies", AccessShareLock},
		{"status", AccessShareLock},
	};
	int			i;

	for (i = 0; i < lengthof(tables); i++)
	{
		Oid			relid = get_relname_relid(tables[i].name, work->nsp);

		if (!OidIsValid(relid))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("relation %s.%s does not exist", DTECERT_SCHEMA,
							tables[i].name)));
		if (!ConditionalLockRelationOid(relid, tables[i].mode))
			ereport(ERROR,
					(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
					 errmsg("%s.%s is locked by another session",
							DTECERT_SCHEMA, tables[i].name)));
	}
}

/* No certificate at all, as during a restore: nothing to look up. */
static bool
any_certificate(Work *work)
{
	Relation	rel = table_open(get_relname_relid("certificates", work->nsp),
								 NoLock);
	bool		any = RelationGetNumberOfBlocks(rel) > 0;

	table_close(rel, NoLock);
	return any;
}

/*
 * The candidates: datasets named by a change, or whose certificates are
 * about a changed relation.  The ones whose latest record is not a
 * revocation, in one lookup.
 */
static List *
current_certificates(Work *work)
{
	int			nchanges = list_length(work->changes);
	Datum	   *names = palloc(sizeof(Datum) * nchanges);
	Datum	   *relids = palloc(sizeof(Datum) * nchanges);
	int			nnames = 0;
	int			nrelids = 0;
	Oid			argtypes[2] = {TEXTARRAYOID, OIDARRAYOID};
	Datum		args[2];
	List	   *currents = NIL;
	ListCell   *lc;
	uint64		row;
	int			ret;

	foreach(lc, work->changes)
	{
		Change	   *change = lfirst(lc);

		if (change->name != NULL)
			names[nnames++] = CStringGetTextDatum(change->name);
		if (OidIsValid(change->relid))
			relids[nrelids++] = ObjectIdGetDatum(change->relid);
	}
	args[0] = PointerGetDatum(construct_array(names, nnames, TEXTOID,
											  -1, false, TYPALIGN_INT));
	args[1] = PointerGetDatum(construct_array(relids, nrelids, OIDOID,
											  sizeof(Oid), true, TYPALIGN_INT));
	ret = SPI_execute_with_args("SELECT l.dataset, l.relation_oid, l.certificate_id,"
								"       CASE WHEN l.status OPERATOR(pg_catalog.=) 'certified'"
								"             AND l.valid_until OPERATOR(pg_catalog.<=) pg_catalog.now()"
								"            THEN 'expired' ELSE l.status END,"
								"       pg_catalog.to_regclass(l.dataset)"
								"  FROM (SELECT pg_catalog.unnest($1)"
								"        UNION"
								"        SELECT c.dataset FROM dtecert.certificates c"
								"         WHERE c.relation_oid OPERATOR(pg_catalog.=) ANY ($2))"
								"       AS n(dataset)"
								" CROSS JOIN LATERAL"
								"       (SELECT c.dataset, c.relation_oid, c.certificate_id,"
								"               c.status, c.valid_until"
								"          FROM dtecert.certificates c"
								"         WHERE c.dataset OPERATOR(pg_catalog.=) n.dataset"
								"         ORDER BY c.certificate_id DESC LIMIT 1) l"
								" WHERE l.status OPERATOR(pg_catalog.<>) 'revoked'"
								" ORDER BY l.certificate_id",
								2, argtypes, args, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the certificates: %s",
			 SPI_result_code_string(ret));
	for (row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		Current    *cur = palloc0(sizeof(Current));
		bool		isnull;

		cur->dataset = SPI_getvalue(tuple, SPI_tuptable->tupdesc, 1);
		cur->relid = DatumGetObjectId(SPI_getbinval(tuple, SPI_tuptable->tupdesc,
													2, &isnull));
		cur->certificate_id = DatumGetInt64(SPI_getbinval(tuple,
														  SPI_tuptable->tupdesc,
														  3, &isnull));
		cur->status = SPI_getvalue(tuple, SPI_tuptable->tupdesc, 4);
		cur->named = DatumGetObjectId(SPI_getbinval(tuple, SPI_tuptable->tupdesc,
													5, &isnull));
		if (isnull)
			cur->named = InvalidOid;
		currents = lappend(currents, cur);
	}
	return currents;
}

/*
 * Does the change concern the dataset?  By name, or by the OID of the
 * relation its certificate is about; but not when its name means another
 * relation now: then that OID is stale (a restore gives relations new OIDs,
 * which may be the old ones of others).
 */
static bool
change_concerns(Change *change, Current *cur)
{
	if (change->name != NULL && strcmp(change->name, cur->dataset) == 0)
		return true;
	return OidIsValid(change->relid) && change->relid == cur->relid &&
		(!OidIsValid(cur->named) || cur->named == change->relid);
}

/* Why losing the proof revokes the certificate; NULL when it does not. */
static char *
lost_proof_reason(Current *cur, const char *proof)
{
	Oid			argtypes[2] = {INT8OID, TEXTOID};
	Datum		args[2] = {Int64GetDatum(cur->certificate_id),
	CStringGetTextDatum(proof)};
	char	   *checks;
	int			ret;

	ret = SPI_execute_with_args("SELECT pg_catalog.string_agg(r.check_name, ', '"
								"                             ORDER BY r.check_index)"
								"  FROM dtecert.check_results r"
								" WHERE r.certificate_id OPERATOR(pg_catalog.=) $1"
								"   AND r.proven_by OPERATOR(pg_catalog.=) $2",
								2, argtypes, args, NULL, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read the check results of %s: %s",
			 cur->dataset, SPI_result_code_string(ret));
	checks = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	return checks ? psprintf("%s dropped (it proved %s)", proof, checks) : NULL;
}

static void
apply_change(Change *change, Current *cur)
{
	ListCell   *lc;

	if (cur->final || !change_concerns(change, cur))
		return;
	if (change->proof != NULL)
	{
		char	   *reason = lost_proof_reason(cur, change->proof);

		if (reason != NULL)
			cur->reasons = add_reason(cur->reasons, reason);
		return;
	}
	if (change->final)
	{
		cur->reasons = NIL;
		cur->final = true;
	}
	foreach(lc, change->reasons)
		cur->reasons = add_reason(cur->reasons, lfirst(lc));
}

static void
revoke_changed(Work *work)
{
	List	   *currents = current_certificates(work);
	ListCell   *lc;
	ListCell   *lc2;

	foreach(lc, work->changes)
		foreach(lc2, currents)
			apply_change(lfirst(lc), lfirst(lc2));
	foreach(lc, currents)
	{
		Current    *cur = lfirst(lc);

		if (cur->reasons == NIL)
			continue;
		work->dataset = MemoryContextStrdup(work->callcxt, cur->dataset);
		if (lifecycle_revoke(cur->dataset, join_reasons(cur->reasons)) > 0 &&
			!OidIsValid(cur->named))
		{
			/*
			 * dtecert.status reads a name no relation bears as revoked
			 * already, so lifecycle_revoke() saw no change to announce.
			 */
			lifecycle_announce(cur->dataset, cur->status, "revoked");
		}
	}
	work->dataset = NULL;
}

/* The trigger's work, run as a subtransaction by dtecert_try(). */
static void
revoke_for_ddl(void *arg)
{
	Work	   *work = (Work *) arg;
	int			level;

	work->nsp = get_namespace_oid(DTECERT_SCHEMA, true);
	if (!OidIsValid(work->nsp))
		return;
	work->search_path = fetch_search_path(true);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "could not connect to SPI");
	level = dtecert_pin_settings();
	if (work->on_drop)
		collect_drops(work);
	else
		collect_commands(work);
	/* no extension: DROP EXTENSION dtecert CASCADE dropped user objects */
	if (work->changes != NIL &&
		OidIsValid(get_extension_oid("dtecert", true)))
	{
		lock_tables(work);
		if (any_certificate(work))
			revoke_changed(work);
	}
	dtecert_unpin_settings(level);
	SPI_finish();
}

static void
run_guarded(bool on_drop, CommandTag tag)
{
	Work		work = {0};
	ErrorData  *error;

	work.on_drop = on_drop;
	work.callcxt = CurrentMemoryContext;
	if (dtecert_try(revoke_for_ddl, &work, &error))
		return;
	if (work.dataset != NULL)
		ereport(WARNING,
				(errcode(error->sqlerrcode),
				 errmsg("dtecert could not revoke the certificate of %s: %s",
						work.dataset, error->message),
				 error->detail ? errdetail_internal("%s", error->detail) : 0,
				 errhint("The %s went ahead; revoke the certificate with dtecert.revoke().",
						 GetCommandTagName(tag))));
	else
		ereport(WARNING,
				(errcode(error->sqlerrcode),
				 errmsg("dtecert could not revoke certificates after %s: %s",
						GetCommandTagName(tag), error->message),
				 error->detail ? errdetail_internal("%s", error->detail) : 0,
				 errhint("The %s went ahead; if it changed a certified dataset, revoke its certificate with dtecert.revoke().",
						 GetCommandTagName(tag))));
	FreeErrorData(error);
}

/*
 * Can a command with this tag revoke?  Decided without touching any table,
 * so that most DDL costs nothing.
 */
static bool
may_revoke(EventTriggerData *trigdata)
{
	Node	   *stmt = trigdata->parsetree;

	switch (trigdata->tag)
	{
		case CMDTAG_ALTER_TABLE:
		case CMDTAG_ALTER_VIEW:
		case CMDTAG_ALTER_MATERIALIZED_VIEW:
		case CMDTAG_ALTER_FOREIGN_TABLE:
		case CMDTAG_ALTER_INDEX:
		case CMDTAG_ALTER_SEQUENCE:
		case CMDTAG_ALTER_SCHEMA:
		case CMDTAG_ALTER_TYPE:
		case CMDTAG_CREATE_SCHEMA:
			return true;
		case CMDTAG_CREATE_TABLE:
			return !IsA(stmt, CreateStmt) ||
				((CreateStmt *) stmt)->partbound != NULL;
		case CMDTAG_CREATE_FOREIGN_TABLE:
			return !IsA(stmt, CreateForeignTableStmt) ||
				((CreateForeignTableStmt *) stmt)->base.partbound != NULL;
		case CMDTAG_CREATE_VIEW:
			return !IsA(stmt, ViewStmt) || ((ViewStmt *) stmt)->replace;
		default:
			return false;
	}
}

/* dtecert.on_ddl_command_end(): renames, moves, columns, partitions. */
Datum
dtecert_on_ddl_command_end(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "not fired by event trigger manager");
	trigdata = (EventTriggerData *) fcinfo->context;
	if (!IsBinaryUpgrade && may_revoke(trigdata))
		run_guarded(false, trigdata->tag);
	PG_RETURN_VOID();
}

/* dtecert.on_sql_drop(): relations, columns and proofs dropped. */
Datum
dtecert_on_sql_drop(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "not fired by event trigger manager");
	trigdata = (EventTriggerData *) fcinfo->context;
	if (!IsBinaryUpgrade)
		run_guarded(true, trigdata->tag);
	PG_RETURN_VOID();
}
