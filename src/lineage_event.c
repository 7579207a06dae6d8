/*-------------------------------------------------------------------------
 *
 * lineage_event.c
 *	  (Placeholder: the lineage work replaces it.)
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lineage.h"

void
lineage_init(void)
{
}

void
lineage_record_run(Certificate *cert, BoundPolicy *bp, Relation rel)
{
}
