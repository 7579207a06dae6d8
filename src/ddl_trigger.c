/*-------------------------------------------------------------------------
 *
 * ddl_trigger.c
 *	  Revocation at DDL time: the event triggers dtecert.on_ddl_command_end()
 *	  and dtecert.on_sql_drop().  (Placeholder: does nothing yet.)
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/event_trigger.h"
#include "fmgr.h"

PG_FUNCTION_INFO_V1(dtecert_on_ddl_command_end);
PG_FUNCTION_INFO_V1(dtecert_on_sql_drop);

Datum
dtecert_on_ddl_command_end(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "not fired by event trigger manager");
	PG_RETURN_VOID();
}

Datum
dtecert_on_sql_drop(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "not fired by event trigger manager");
	PG_RETURN_VOID();
}
