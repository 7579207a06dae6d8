/*-------------------------------------------------------------------------
 *
 * schedule.c
 *	  CALL dtecert.recertify_due(): re-certify what dtecert.due() lists.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

PG_FUNCTION_INFO_V1(dtecert_recertify_due);

Datum
dtecert_recertify_due(PG_FUNCTION_ARGS)
{
	PG_RETURN_VOID();
}
