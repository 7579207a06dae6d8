/*-------------------------------------------------------------------------
 *
 * util.c
 *	  Small backend helpers: identities, subtransactions, names, hashes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <string.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "utils/rel.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_operator.h"
#include "commands/extension.h"
#include "common/cryptohash.h"
#include "common/hashfn.h"
#include "common/sha2.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "dtecert.h"

/* First key of dtecert's advisory locks: "dtec". */
#define DTECERT_LOCK_CLASS	0x64746563


/*
 * Settings under which a certification reads data.  A certificate must not
 * depend on who runs it: the same data gives the same verdict and the same
 * evidence, text forms included, whatever the caller's session says.
 */
static const char *const scan_settings[][2] = {
	{"TimeZone", "UTC"},
	{"DateStyle", "ISO, YMD"},
	{"IntervalStyle", "iso_8601"},
	{"extra_float_digits", "1"},
	{"bytea_output", "hex"},
};

/*
 * A search_path nobody can plant objects in, and the fixed settings above,
 * until dtecert_unpin_settings(the level returned).
 */
int
dtecert_pin_settings(void)
{
	int			level = NewGUCNestLevel();
	int			i;

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	for (i = 0; i < lengthof(scan_settings); i++)
		(void) set_config_option(scan_settings[i][0], scan_settings[i][1],
								 PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	return level;
}

void
dtecert_unpin_settings(int level)
{
	AtEOXact_GUC(false, level);
}

static void
pin_search_path(SavedIdentity *saved)
{
	saved->guc_nestlevel = dtecert_pin_settings();
}

/*
 * Become the table's owner inside a security-restricted operation, with
 * the pinned settings.
 */
void
dtecert_become_owner(Oid owner, SavedIdentity *saved)
{
	GetUserIdAndSecContext(&saved->userid, &saved->sec_context);
	SetUserIdAndSecContext(owner,
						   saved->sec_context | SECURITY_RESTRICTED_OPERATION);
	pin_search_path(saved);
}

static Oid
extension_owner(void)
{
	Oid			extoid = get_extension_oid("dtecert", false);
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			owner;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "extension dtecert has no catalog entry");
	owner = ((Form_pg_extension) GETSTRUCT(tuple))->extowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return owner;
}

/*
 * Become the extension's owner to write dtecert's tables, which no other
 * role may write directly.  Callers check the caller's rights first.
 */
void
dtecert_become_extension_owner(SavedIdentity *saved)
{
	Oid			owner = extension_owner();

	GetUserIdAndSecContext(&saved->userid, &saved->sec_context);
	SetUserIdAndSecContext(owner,
						   saved->sec_context | SECURITY_LOCAL_USERID_CHANGE);
	pin_search_path(saved);
}

void
dtecert_restore_identity(SavedIdentity *saved)
{
	AtEOXact_GUC(false, saved->guc_nestlevel);
	SetUserIdAndSecContext(saved->userid, saved->sec_context);
}

bool
dtecert_try(dtecert_guarded_fn fn, void *arg, ErrorData **error)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile bool ok = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcontext);

	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcontext);
		*error = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
		ok = false;
	}
	PG_END_TRY();

	/* A cancel is not a verdict: let it stop the whole certification. */
	if (!ok && (*error)->sqlerrcode == ERRCODE_QUERY_CANCELED)
		ReThrowError(*error);
	return ok;
}

/* A relation that can be certified, locked against DDL for the transaction. */
/*
 * The library and the extension's SQL objects must be of one version: after
 * a new library is installed, a database still at the old version must be
 * updated (ALTER EXTENSION dtecert UPDATE) before it certifies, or the new
 * code would write columns the old tables do not have.
 */
static void
check_schema_version(void)
{
	static Oid	checked_extension = InvalidOid;
	Oid			extoid = get_extension_oid("dtecert", false);
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Datum		version;
	bool		isnull;
	char	   *installed = NULL;

	if (extoid == checked_extension)
		return;
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		version = heap_getattr(tuple, Anum_pg_extension_extversion,
							   RelationGetDescr(rel), &isnull);
		if (!isnull)
			installed = TextDatumGetCString(version);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (installed == NULL || strcmp(installed, DTECERT_VERSION) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("dtecert's objects in this database are at version %s, its library at %s",
						installed ? installed : "(unknown)", DTECERT_VERSION),
				 errhint("Run ALTER EXTENSION dtecert UPDATE.")));
	checked_extension = extoid;
}

Relation
dtecert_open_dataset(Oid relid)
{
	Relation	rel;

	check_schema_version();
	rel = try_relation_open(relid, AccessShareLock);

	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	switch (rel->rd_rel->relkind)
	{
		case RELKIND_RELATION:
		case RELKIND_PARTITIONED_TABLE:
		case RELKIND_MATVIEW:
		case RELKIND_VIEW:
		case RELKIND_FOREIGN_TABLE:
			return rel;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("\"%s\" is not a table, view or materialized view",
							RelationGetRelationName(rel))));
	}
	return NULL;				/* keep the compiler quiet */
}

/* The dataset identity: schema-qualified, quoted as needed. */
char *
dtecert_dataset_name(Oid relid)
{
	char	   *relname = get_rel_name(relid);
	char	   *nspname;

	if (relname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	nspname = get_namespace_name(get_rel_namespace(relid));
	return quote_qualified_identifier(nspname, relname);
}

/* Serialise policy changes and certifications of one dataset. */
void
dtecert_lock_dataset(const char *dataset)
{
	uint32		hash = hash_bytes((const unsigned char *) dataset, strlen(dataset));

	DirectFunctionCall2(pg_advisory_xact_lock_int4,
						Int32GetDatum(DTECERT_LOCK_CLASS),
						Int32GetDatum((int32) hash));
}

/* The same lock without waiting: false when another session holds it. */
bool
dtecert_try_lock_dataset(const char *dataset)
{
	uint32		hash = hash_bytes((const unsigned char *) dataset, strlen(dataset));

	return DatumGetBool(DirectFunctionCall2(pg_try_advisory_xact_lock_int4,
											Int32GetDatum(DTECERT_LOCK_CLASS),
											Int32GetDatum((int32) hash)));
}

/*
 * Only the owner of the relation (or a member of the owning role, or a
 * superuser) may do what the sentence "permission denied to <action>" says.
 */
void
dtecert_check_owner(Oid relid, const char *action)
{
#if PG_VERSION_NUM >= 160000
	if (!object_ownercheck(RelationRelationId, relid, GetUserId()))
#else
	if (!pg_class_ownercheck(relid, GetUserId()))
#endif
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s", action),
				 errdetail("Only the owner of the table, a member of its owning role, or a superuser may do this.")));
}

/* A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random. */
void
dtecert_uuidv7(pg_uuid_t *uuid)
{
	TimestampTz now = GetCurrentTimestamp();
	uint64		unix_ms;
	int			i;

	unix_ms = (uint64) (now / 1000) +
		(uint64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000;
	for (i = 0; i < 6; i++)
		uuid->data[i] = (unsigned char) (unix_ms >> (8 * (5 - i)));
	if (!pg_strong_random(uuid->data + 6, UUID_LEN - 6))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random values")));
	uuid->data[6] = (uuid->data[6] & 0x0F) | 0x70;	/* version 7 */
	uuid->data[8] = (uuid->data[8] & 0x3F) | 0x80;	/* RFC 9562 variant */
}

char *
dtecert_sha256_hex(const char *data, size_t len)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *hex = palloc(PG_SHA256_DIGEST_LENGTH * 2 + 1);
	int			i;

	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) data, len) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
	{
		pg_cryptohash_free(ctx);
		elog(ERROR, "could not compute a SHA-256 digest");
	}
	pg_cryptohash_free(ctx);
	for (i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
		sprintf(hex + 2 * i, "%02x", digest[i]);
	return hex;
}

/* OPERATOR(schema.name): generated SQL never resolves through search_path. */
char *
dtecert_qualified_operator(Oid opno)
{
	HeapTuple	tuple = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
	Form_pg_operator op;
	char	   *result;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for operator %u", opno);
	op = (Form_pg_operator) GETSTRUCT(tuple);
	result = psprintf("OPERATOR(%s.%s)",
					  quote_identifier(get_namespace_name(op->oprnamespace)),
					  NameStr(op->oprname));
	ReleaseSysCache(tuple);
	return result;
}

void
dtecert_check_not_null_arg(FunctionCallInfo fcinfo, int argno,
						   const char *argname)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", argname)));
}
