/*-------------------------------------------------------------------------
 *
 * lineage_send.h
 *	  Delivering one lineage event, outside any transaction: an HTTP POST
 *	  with libcurl, or a line appended to a file (lineage_send.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTECERT_LINEAGE_SEND_H
#define DTECERT_LINEAGE_SEND_H

#include "postgres.h"

typedef enum SendOutcome
{
	SEND_DELIVERED,
	SEND_RETRY,					/* try again later (outage, 5xx, 408, 429) */
	SEND_REFUSED,				/* the endpoint will never take it (4xx) */
	SEND_INTERRUPTED			/* stopped for a signal: not an attempt */
} SendOutcome;

typedef struct SendResult
{
	SendOutcome outcome;
	int			http_status;	/* 0 when there was no answer */
	char	   *error;			/* palloc'd, or NULL when delivered */
} SendResult;

/* Polled at least every 100 ms during a transfer: true stops it. */
typedef bool (*send_interrupt_fn) (void);

extern void lineage_send(const char *url, const char *api_key, const char *event,
						 send_interrupt_fn interrupted, SendResult *result);
extern void lineage_send_cleanup(int code, Datum arg);

#endif							/* DTECERT_LINEAGE_SEND_H */
