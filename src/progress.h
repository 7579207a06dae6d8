/*-------------------------------------------------------------------------
 *
 * progress.h
 *	  The dtecert.progress view: each running certification's phase and the
 *	  rows its scan has read (progress.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTECERT_PROGRESS_H
#define DTECERT_PROGRESS_H

#include "postgres.h"

/* _PG_init: shared memory for the slots, when preloaded */
extern void progress_init(void);

/* The certifying backend: start (cleared at transaction end), then phases. */
extern void progress_begin(const char *dataset, int64 rows_estimated);
extern void progress_phase(const char *phase);

/* The scan, in the leader or a parallel worker: rows read since last call. */
extern void progress_add_rows(uint64 rows);

#endif							/* DTECERT_PROGRESS_H */
