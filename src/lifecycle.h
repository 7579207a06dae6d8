/*-------------------------------------------------------------------------
 *
 * lifecycle.h
 *	  A certificate's life after it is issued: its status as read now,
 *	  announcements of status changes, revocation and waivers.
 *
 * Every function here runs inside an SPI connection the caller opened.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTECERT_LIFECYCLE_H
#define DTECERT_LIFECYCLE_H

#include "postgres.h"

#include "datatype/timestamp.h"

#include "certify.h"

/* The channel status changes are announced on (DESIGN section 4). */
#define DTECERT_STATUS_CHANNEL "dtecert_status"

/* What dtecert.status reads for the dataset now; NULL when it has no policy. */
extern char *lifecycle_status(const char *dataset);

/* NOTIFY dtecert_status, unless old and new are the same status. */
extern void lifecycle_announce(const char *dataset, const char *old_status,
							   const char *new_status);

/*
 * Append a revocation of the dataset's current certificate, as the
 * extension's owner, and announce it.  Returns the revocation's id, or 0
 * when there is nothing to revoke (no record yet, or already revoked).
 */
extern int64 lifecycle_revoke(const char *dataset, const char *reason);

/*
 * Checks of the dataset waived at the given time: a failed check with an
 * active waiver counts as passed and is flagged waived.  Returns when the
 * first of the waivers used expires (0 when none was used): a certificate
 * that rests on a waiver is valid no longer than the waiver.
 */
extern TimestampTz lifecycle_apply_waivers(const char *dataset, TimestampTz at,
									Outcome *checks, int nchecks);

#endif							/* DTECERT_LIFECYCLE_H */
