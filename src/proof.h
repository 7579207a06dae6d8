/*-------------------------------------------------------------------------
 *
 * proof.h
 *	  Prove checks from the catalog, without reading data: a NOT NULL
 *	  constraint proves not_null, a valid non-deferrable unique index proves
 *	  unique, a validated foreign key with enabled triggers proves
 *	  references.  A proven check names the constraint in proven_by.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTECERT_PROOF_H
#define DTECERT_PROOF_H

#include "bind.h"

extern void prove_checks(BoundPolicy *bp, Relation rel);

#endif							/* DTECERT_PROOF_H */
