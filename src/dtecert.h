/*-------------------------------------------------------------------------
 *
 * dtecert.h
 *	  Declarations shared by dtecert's backend files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTECERT_H
#define DTECERT_H

#include "postgres.h"

#include "utils/elog.h"
#include "utils/relcache.h"
#include "utils/uuid.h"

#include "policy.h"

/* GUCs (dtecert.c) */
extern char *dtecert_default_valid_for;
extern char *dtecert_renew_before;
extern int	dtecert_sample_size;
extern int	dtecert_exact_mem;

/*
 * Running code under another identity (util.c).  As PostgreSQL does for
 * ANALYZE and REFRESH MATERIALIZED VIEW, a policy's expressions run as the
 * table's owner inside a security-restricted operation with a search_path
 * of pg_catalog, pg_temp; dtecert's own writes run as the extension's owner.
 */
typedef struct SavedIdentity
{
	Oid			userid;
	int			sec_context;
	int			guc_nestlevel;
} SavedIdentity;

extern void dtecert_become_owner(Oid owner, SavedIdentity *saved);
extern void dtecert_become_extension_owner(SavedIdentity *saved);
extern void dtecert_restore_identity(SavedIdentity *saved);
extern int	dtecert_pin_settings(void);
extern void dtecert_unpin_settings(int level);

/*
 * Run fn(arg) in a subtransaction.  Returns true when it succeeded; else
 * false with the error it raised copied into *error (in the caller's memory
 * context), the subtransaction rolled back and the error state cleared.
 */
typedef void (*dtecert_guarded_fn) (void *arg);
extern bool dtecert_try(dtecert_guarded_fn fn, void *arg, ErrorData **error);

extern char *dtecert_dataset_name(Oid relid);
extern Relation dtecert_open_dataset(Oid relid);
extern void dtecert_lock_dataset(const char *dataset);
extern bool dtecert_try_lock_dataset(const char *dataset);
extern void dtecert_check_owner(Oid relid, const char *action);
extern void dtecert_uuidv7(pg_uuid_t *uuid);
extern char *dtecert_sha256_hex(const char *data, size_t len);
extern char *dtecert_qualified_operator(Oid opno);
extern void dtecert_check_not_null_arg(FunctionCallInfo fcinfo, int argno,
									   const char *argname);

/* Parse a policy; the result is freed when mcxt is reset or deleted. */
extern Policy *dtecert_parse_policy(const char *text, size_t len,
									MemoryContext mcxt);
extern Policy *dtecert_current_policy(const char *dataset, int *version,
									  MemoryContext mcxt);

#endif							/* DTECERT_H */
