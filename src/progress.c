/*-------------------------------------------------------------------------
 *
 * progress.c
 *	  dtecert.progress: what each certification is doing, for another
 *	  session to watch (the dtecert command shows it on a terminal).  One
 *	  slot per backend in shared memory: the certifying backend sets the
 *	  dataset and the phase; the scan's profile aggregate, in the leader and
 *	  in every parallel worker, adds the rows it has read.  Without
 *	  shared_preload_libraries there is no shared memory and the view is
 *	  empty.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "progress.h"

PG_FUNCTION_INFO_V1(dtecert_progress);

#define PROGRESS_NAME_LEN	(2 * NAMEDATALEN + 8)
#define PROGRESS_PHASE_LEN	32

typedef struct ProgressSlot
{
	slock_t		mutex;			/* guards the fields below but rows */
	int			pid;			/* 0: free */
	char		dataset[PROGRESS_NAME_LEN];
	char		phase[PROGRESS_PHASE_LEN];
	int64		rows_estimated;
	TimestampTz started_at;
	pg_atomic_uint64 rows_scanned;
} ProgressSlot;

typedef struct ProgressShared
{
	int			nslots;
	ProgressSlot slots[FLEXIBLE_ARRAY_MEMBER];
} ProgressShared;

static ProgressShared *shared = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static bool callback_registered = false;

static Size
progress_shmem_size(void)
{
	return add_size(offsetof(ProgressShared, slots),
					mul_size(MaxBackends, sizeof(ProgressSlot)));
}

static void
progress_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(progress_shmem_size()));
}

static void
progress_shmem_startup(void)
{
	bool		found;
	int			i;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("dtecert progress", progress_shmem_size(), &found);
	if (!found)
	{
		shared->nslots = MaxBackends;
		for (i = 0; i < shared->nslots; i++)
		{
			SpinLockInit(&shared->slots[i].mutex);
			shared->slots[i].pid = 0;
			pg_atomic_init_u64(&shared->slots[i].rows_scanned, 0);
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

void
progress_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = progress_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = progress_shmem_startup;
}

/*
 * The slot of the certifying backend: a parallel worker's is its leader's.
 * NULL without shared memory.
 */
static ProgressSlot *
certifying_slot(void)
{
	PGPROC	   *leader;
	BackendId	id;

	if (shared == NULL || MyProc == NULL)
		return NULL;
	leader = MyProc->lockGroupLeader ? MyProc->lockGroupLeader : MyProc;
	id = leader->backendId;
	if (id < 1 || id > shared->nslots)
		return NULL;
	return &shared->slots[id - 1];
}

static void
progress_clear(void)
{
	ProgressSlot *slot = certifying_slot();

	if (slot == NULL)
		return;
	SpinLockAcquire(&slot->mutex);
	slot->pid = 0;
	SpinLockRelease(&slot->mutex);
}

/* A certification ends with its transaction, whether it commits or not. */
static void
progress_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT)
		progress_clear();
}

void
progress_begin(const char *dataset, int64 rows_estimated)
{
	ProgressSlot *slot = certifying_slot();

	if (slot == NULL)
		return;
	if (!callback_registered)
	{
		RegisterXactCallback(progress_xact_callback, NULL);
		callback_registered = true;
	}
	pg_atomic_write_u64(&slot->rows_scanned, 0);
	SpinLockAcquire(&slot->mutex);
	slot->pid = MyProcPid;
	strlcpy(slot->dataset, dataset, PROGRESS_NAME_LEN);
	strlcpy(slot->phase, "starting", PROGRESS_PHASE_LEN);
	slot->rows_estimated = rows_estimated;
	slot->started_at = GetCurrentTimestamp();
	SpinLockRelease(&slot->mutex);
}

void
progress_phase(const char *phase)
{
	ProgressSlot *slot = certifying_slot();

	if (slot == NULL)
		return;
	SpinLockAcquire(&slot->mutex);
	if (slot->pid == MyProcPid)
		strlcpy(slot->phase, phase, PROGRESS_PHASE_LEN);
	SpinLockRelease(&slot->mutex);
}

void
progress_add_rows(uint64 rows)
{
	ProgressSlot *slot = certifying_slot();

	if (slot != NULL)
		pg_atomic_fetch_add_u64(&slot->rows_scanned, rows);
}

/* dtecert.progress: one row per certification running now. */
Datum
dtecert_progress(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; shared != NULL && i < shared->nslots; i++)
	{
		ProgressSlot *slot = &shared->slots[i];
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};
		char		dataset[PROGRESS_NAME_LEN];
		char		phase[PROGRESS_PHASE_LEN];
		int			pid;

		SpinLockAcquire(&slot->mutex);
		pid = slot->pid;
		memcpy(dataset, slot->dataset, sizeof(dataset));
		memcpy(phase, slot->phase, sizeof(phase));
		values[4] = Int64GetDatum(slot->rows_estimated);
		values[5] = TimestampTzGetDatum(slot->started_at);
		SpinLockRelease(&slot->mutex);
		if (pid == 0)
			continue;
		values[0] = Int32GetDatum(pid);
		values[1] = CStringGetTextDatum(dataset);
		values[2] = CStringGetTextDatum(phase);
		values[3] = Int64GetDatum((int64) pg_atomic_read_u64(&slot->rows_scanned));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
