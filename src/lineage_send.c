/*-------------------------------------------------------------------------
 *
 * lineage_send.c
 *	  Delivering one lineage event, outside any transaction, in the lineage
 *	  worker.
 *
 *	  http(s): a POST with libcurl's multi interface, polled every 100 ms so
 *	  that a signal (shutdown, reload) or the postmaster's death is seen
 *	  within a second even while an endpoint hangs.  No signals from
 *	  libcurl (CURLOPT_NOSIGNAL), only http and https, no redirects.  The
 *	  connection is kept between events.  2xx delivers; 408, 429, 5xx and
 *	  transport errors are retried; any other answer refuses the event.
 *
 *	  file:///path: the event is appended as one line and fsync'ed.
 *
 *	  libcurl's handles live as long as the worker (freed at exit); a
 *	  request's header list is freed in PG_FINALLY.  No palloc happens in a
 *	  libcurl callback, so an error never unwinds through libcurl.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <unistd.h>

#include <curl/curl.h>

#include "storage/fd.h"

#include "lineage.h"
#include "lineage_send.h"

#define EXCERPT_BYTES	200
#define POLL_MS			100

typedef struct Body
{
	char		data[EXCERPT_BYTES + 1];
	size_t		len;
} Body;

static CURLM *multi = NULL;
static CURL *easy = NULL;
static bool curl_ready = false;

/* Keeps the start of the answer, for the record; swallows the rest. */
static size_t
keep_excerpt(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	Body	   *body = (Body *) userdata;
	size_t		n = size * nmemb;
	size_t		room = EXCERPT_BYTES - body->len;

	memcpy(body->data + body->len, ptr, Min(n, room));
	body->len += Min(n, room);
	body->data[body->len] = '\0';
	return n;
}

static void
init_curl(void)
{
	if (curl_ready)
		return;
	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		elog(ERROR, "could not initialize libcurl");
	multi = curl_multi_init();
	easy = curl_easy_init();
	curl_ready = true;
	if (multi == NULL || easy == NULL)
		elog(ERROR, "could not create libcurl handles");
}

void
lineage_send_cleanup(int code, Datum arg)
{
	if (!curl_ready)
		return;
	if (easy)
		curl_easy_cleanup(easy);
	if (multi)
		curl_multi_cleanup(multi);
	easy = NULL;
	multi = NULL;
	curl_global_cleanup();
	curl_ready = false;
}

/*
 * Printable ASCII only (the record is text in any server encoding), and
 * never the api key, even if an endpoint echoes it.
 */
static char *
clean_excerpt(const char *text, const char *api_key)
{
	char	   *clean = pstrdup(text);
	char	   *p;

	for (p = clean; *p; p++)
		if ((unsigned char) *p < 0x20 || (unsigned char) *p > 0x7e)
			*p = ' ';
	if (api_key != NULL && api_key[0] != '\0')
		while ((p = strstr(clean, api_key)) != NULL)
			memset(p, '*', strlen(api_key));
	return clean;
}

static struct curl_slist *
add_header(struct curl_slist *list, const char *header)
{
	struct curl_slist *more = curl_slist_append(list, header);

	if (more == NULL)
	{
		curl_slist_free_all(list);
		elog(ERROR, "out of memory for an HTTP header");
	}
	return more;
}

static struct curl_slist *
request_headers(const char *api_key)
{
	struct curl_slist *list = add_header(NULL, "Content-Type: application/json");
	struct curl_slist *more;
	char	   *auth;

	/* no "Expect: 100-continue" round trip before a larger event */
	list = add_header(list, "Expect:");

	if (api_key == NULL || api_key[0] == '\0')
		return list;
	auth = psprintf("Authorization: Bearer %s", api_key);
	more = curl_slist_append(list, auth);	/* copies it */
	explicit_bzero(auth, strlen(auth));
	pfree(auth);
	if (more == NULL)
	{
		curl_slist_free_all(list);
		elog(ERROR, "out of memory for an HTTP header");
	}
	return more;
}

static void
set_options(const char *url, const char *event, struct curl_slist *headers,
			Body *body, char *errbuf, long connect_ms, long timeout_ms)
{
	curl_easy_reset(easy);
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "dtecert/" DTECERT_VERSION);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(easy, CURLOPT_POST, 1L);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, event);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen(event));
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, keep_excerpt);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
}

/* Run the transfer; false when interrupted. */
static bool
run_transfer(send_interrupt_fn interrupted, CURLcode *code)
{
	CURLMsg    *msg;
	int			running = 1;
	int			left;

	*code = CURLE_OK;
	while (running > 0)
	{
		CURLMcode	mc = curl_multi_perform(multi, &running);

		if (mc == CURLM_OK && running > 0)
		{
			if (interrupted())
				return false;
			mc = curl_multi_poll(multi, NULL, 0, POLL_MS, NULL);
		}
		if (mc != CURLM_OK)
		{
			*code = CURLE_FAILED_INIT;
			return true;
		}
	}
	while ((msg = curl_multi_info_read(multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy)
			*code = msg->data.result;
	return true;
}

static void
classify(CURLcode code, const char *errbuf, Body *body, const char *api_key,
		 SendResult *result)
{
	long		status = 0;
	char	   *excerpt;

	if (code != CURLE_OK)
	{
		result->outcome = SEND_RETRY;
		result->error = clean_excerpt(errbuf[0] ? errbuf : curl_easy_strerror(code), api_key);
		return;
	}
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	result->http_status = (int) status;
	if (status >= 200 && status < 300)
	{
		result->outcome = SEND_DELIVERED;
		return;
	}
	excerpt = clean_excerpt(body->data, api_key);
	result->outcome = (status == 408 || status == 429 || status >= 500) ?
		SEND_RETRY : SEND_REFUSED;
	if (status >= 300 && status < 400)
		result->error = psprintf("HTTP %ld: redirects are not followed", status);
	else
		result->error = psprintf("HTTP %ld: %s", status, excerpt);
}

static void
http_post(const char *url, const char *api_key, const char *event,
		  send_interrupt_fn interrupted, SendResult *result)
{
	struct curl_slist *volatile headers = NULL;
	volatile bool added = false;
	Body		body = {{0}, 0};
	char		errbuf[CURL_ERROR_SIZE] = {0};
	CURLcode	code;

	init_curl();
	PG_TRY();
	{
		headers = request_headers(api_key);
		set_options(url, event, headers, &body, errbuf,
					lineage_connect_timeout_ms, lineage_timeout_ms);
		if (curl_multi_add_handle(multi, easy) != CURLM_OK)
			elog(ERROR, "could not start an HTTP transfer");
		added = true;
		if (!run_transfer(interrupted, &code))
			result->outcome = SEND_INTERRUPTED;
		else
			classify(code, errbuf, &body, api_key, result);
	}
	PG_FINALLY();
	{
		if (added)
			curl_multi_remove_handle(multi, easy);
		/* the handle must not keep pointers to freed memory */
		curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, NULL);
		curl_easy_setopt(easy, CURLOPT_WRITEDATA, NULL);
		curl_slist_free_all(headers);
	}
	PG_END_TRY();
}

/* file:///path: one event a line, on disk before it counts as delivered */
static void
file_append(const char *path, const char *event, SendResult *result)
{
	size_t		len = strlen(event);
	char	   *line = palloc(len + 2);
	int			fd;
	ssize_t		written;

	memcpy(line, event, len);
	line[len] = '\n';
	line[len + 1] = '\0';
	fd = OpenTransientFilePerm(path, O_WRONLY | O_APPEND | O_CREAT | PG_BINARY, 0640);
	if (fd < 0)
	{
		result->outcome = SEND_RETRY;
		result->error = psprintf("could not open file \"%s\": %m", path);
		return;
	}
	written = write(fd, line, len + 1);
	if (written != (ssize_t) (len + 1) || pg_fsync(fd) != 0)
	{
		result->outcome = SEND_RETRY;
		result->error = psprintf("could not write to file \"%s\": %m", path);
	}
	else
		result->outcome = SEND_DELIVERED;
	CloseTransientFile(fd);
	pfree(line);
}

void
lineage_send(const char *url, const char *api_key, const char *event,
			 send_interrupt_fn interrupted, SendResult *result)
{
	result->outcome = SEND_RETRY;
	result->http_status = 0;
	result->error = NULL;
	if (strncmp(url, "file://", 7) == 0)
		file_append(url + 7, event, result);
	else
		http_post(url, api_key, event, interrupted, result);
}
