/*-------------------------------------------------------------------------
 *
 * lineage_shmem.c
 *	  The lineage worker's registration and its bit of shared memory: the
 *	  latch a committing backend sets to wake it.  Without
 *	  shared_preload_libraries there is neither, and events stay queued.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"

#include "lineage.h"

typedef struct LineageShared
{
	slock_t		mutex;
	pid_t		worker_pid;		/* 0 when the worker is not running */
	Latch	   *latch;			/* the worker's, or NULL */
} LineageShared;

static LineageShared *shared = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
lineage_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(LineageShared)));
}

static void
lineage_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("dtecert lineage", sizeof(LineageShared), &found);
	if (!found)
	{
		SpinLockInit(&shared->mutex);
		shared->worker_pid = 0;
		shared->latch = NULL;
	}
	LWLockRelease(AddinShmemInitLock);
}

static void
register_worker(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 5;	/* seconds, after a crash or an error */
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "dtecert");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "dtecert_lineage_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "dtecert lineage worker");
	snprintf(worker.bgw_type, BGW_MAXLEN, "dtecert lineage worker");
	RegisterBackgroundWorker(&worker);
}

void
lineage_init(void)
{
	lineage_define_gucs();
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = lineage_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = lineage_shmem_startup;
	register_worker();
}

LineageWorkerState
lineage_worker_state(void)
{
	pid_t		pid;

	if (shared == NULL)
		return LINEAGE_NOT_PRELOADED;
	SpinLockAcquire(&shared->mutex);
	pid = shared->worker_pid;
	SpinLockRelease(&shared->mutex);
	return pid != 0 ? LINEAGE_RUNNING : LINEAGE_NOT_RUNNING;
}

/* Called after a commit that queued events: never blocks, never fails. */
void
lineage_wake_worker(void)
{
	Latch	   *latch;

	if (shared == NULL)
		return;
	SpinLockAcquire(&shared->mutex);
	latch = shared->latch;
	SpinLockRelease(&shared->mutex);
	if (latch != NULL)
		SetLatch(latch);
}

static void
lineage_worker_detach(int code, Datum arg)
{
	SpinLockAcquire(&shared->mutex);
	if (shared->worker_pid == MyProcPid)
	{
		shared->worker_pid = 0;
		shared->latch = NULL;
	}
	SpinLockRelease(&shared->mutex);
}

/* The worker: publish its latch, and withdraw it when it exits. */
void
lineage_worker_attach(void)
{
	if (shared == NULL)
		elog(ERROR, "dtecert lineage worker started without its shared memory");
	SpinLockAcquire(&shared->mutex);
	shared->worker_pid = MyProcPid;
	shared->latch = &MyProc->procLatch;
	SpinLockRelease(&shared->mutex);
	before_shmem_exit(lineage_worker_detach, (Datum) 0);
}
