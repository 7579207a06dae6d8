/*-------------------------------------------------------------------------
 *
 * canonical.c
 *	  dtecert.canonical_json(jsonb) → text: the JSON Canonicalization Scheme
 *	  (RFC 8785) that a certificate's core is hashed in, so that anyone can
 *	  recompute core_sha256 from an evidence pack with any JCS library.
 *
 *	  - object members sorted by their names as UTF-16 code units;
 *	  - no whitespace;
 *	  - strings with only the escapes JSON requires (\" \\ \b \f \n \r \t,
 *		other control characters as \u00xx), everything else as UTF-8;
 *	  - numbers as IEEE doubles, written as ECMAScript's Number.toString
 *		writes them (shortest round-trip digits).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

PG_FUNCTION_INFO_V1(dtecert_canonical_json);

/* A jsonb value as a tree, so that members can be sorted before writing. */
typedef struct JsonNode
{
	JsonbValue	scalar;			/* when neither object nor array */
	bool		is_object;
	bool		is_array;
	int			n;
	char	  **keys;			/* objects: member names, NUL-terminated */
	struct JsonNode **items;
} JsonNode;

static JsonNode *read_value(JsonbIterator **it, JsonbIteratorToken token,
							JsonbValue *value);

static JsonNode *
read_container(JsonbIterator **it, JsonbValue *begin, bool is_object)
{
	JsonNode   *node = palloc0(sizeof(JsonNode));
	int			size = is_object ? begin->val.object.nPairs : begin->val.array.nElems;
	JsonbIteratorToken token;
	JsonbValue	value;

	node->is_object = is_object;
	node->is_array = !is_object;
	node->items = palloc(sizeof(JsonNode *) * Max(size, 1));
	if (is_object)
		node->keys = palloc(sizeof(char *) * Max(size, 1));
	while ((token = JsonbIteratorNext(it, &value, false)) != WJB_END_OBJECT &&
		   token != WJB_END_ARRAY)
	{
		if (node->n >= size)
			elog(ERROR, "jsonb container larger than its header says");
		if (token == WJB_KEY)
		{
			node->keys[node->n] = pnstrdup(value.val.string.val, value.val.string.len);
			token = JsonbIteratorNext(it, &value, false);
		}
		node->items[node->n++] = read_value(it, token, &value);
	}
	/* a top-level scalar is stored as a one-element "raw scalar" array */
	if (!is_object && begin->val.array.rawScalar && node->n == 1)
		return node->items[0];
	return node;
}

static JsonNode *
read_value(JsonbIterator **it, JsonbIteratorToken token, JsonbValue *value)
{
	JsonNode   *node;

	if (token == WJB_BEGIN_OBJECT)
		return read_container(it, value, true);
	if (token == WJB_BEGIN_ARRAY)
		return read_container(it, value, false);
	node = palloc0(sizeof(JsonNode));
	node->scalar = *value;
	return node;
}

/* The next UTF-16 code unit of a UTF-8 string; *pending holds a low surrogate. */
static int
next_utf16_unit(const unsigned char **p, int *pending)
{
	pg_wchar	cp;

	if (*pending)
	{
		int			unit = *pending;

		*pending = 0;
		return unit;
	}
	if (**p == '\0')
		return -1;
	cp = utf8_to_unicode(*p);
	*p += pg_utf_mblen(*p);
	if (cp < 0x10000)
		return (int) cp;
	cp -= 0x10000;
	*pending = 0xDC00 + (int) (cp & 0x3FF);
	return 0xD800 + (int) (cp >> 10);
}

/* RFC 8785 orders member names by UTF-16 code units, not by bytes. */
static int
compare_utf16(const char *a, const char *b)
{
	const unsigned char *pa = (const unsigned char *) a;
	const unsigned char *pb = (const unsigned char *) b;
	int			pending_a = 0;
	int			pending_b = 0;

	for (;;)
	{
		int			ua = next_utf16_unit(&pa, &pending_a);
		int			ub = next_utf16_unit(&pb, &pending_b);

		if (ua != ub)
			return ua < ub ? -1 : 1;
		if (ua < 0)
			return 0;
	}
}

static JsonNode *sort_node;

static int
compare_members(const void *a, const void *b)
{
	return compare_utf16(sort_node->keys[*(const int *) a],
						 sort_node->keys[*(const int *) b]);
}

/*
 * A double as ECMAScript writes it: the shortest digits that read back as
 * the same double, in fixed notation for 1e-7 <= |x| < 1e21, else as
 * d[.ddd]e±n.  PostgreSQL's shortest-decimal output (d[.d][e±d]) is read as
 * x = 0.DIGITS × 10^n, then written by ECMAScript's rules.
 */
static void
write_number(StringInfo out, double x)
{
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];
	char		digits[DOUBLE_SHORTEST_DECIMAL_LEN];
	int			ndigits = 0;
	int			integer_digits = 0;
	bool		after_point = false;
	int			n;
	int			i;
	char	   *p;

	if (x == 0)
	{
		appendStringInfoChar(out, '0');		/* -0 too */
		return;
	}
	if (x < 0)
	{
		appendStringInfoChar(out, '-');
		x = -x;
	}
	double_to_shortest_decimal_buf(x, buf);
	for (p = buf; *p && *p != 'e'; p++)
	{
		if (*p == '.')
			after_point = true;
		else
		{
			if (!after_point)
				integer_digits++;
			if (ndigits == 0 && *p == '0')
				integer_digits--;	/* a leading zero moves the point left */
			else
				digits[ndigits++] = *p;
		}
	}
	n = integer_digits + (*p == 'e' ? atoi(p + 1) : 0);
	while (ndigits > 1 && digits[ndigits - 1] == '0')
		ndigits--;
	digits[ndigits] = '\0';

	if (ndigits <= n && n <= 21)
	{
		appendStringInfoString(out, digits);
		for (i = ndigits; i < n; i++)
			appendStringInfoChar(out, '0');
	}
	else if (0 < n && n <= 21)
		appendStringInfo(out, "%.*s.%s", n, digits, digits + n);
	else if (-6 < n && n <= 0)
	{
		appendStringInfoString(out, "0.");
		for (i = n; i < 0; i++)
			appendStringInfoChar(out, '0');
		appendStringInfoString(out, digits);
	}
	else
	{
		appendStringInfoChar(out, digits[0]);
		if (ndigits > 1)
			appendStringInfo(out, ".%s", digits + 1);
		appendStringInfo(out, "e%c%d", n - 1 >= 0 ? '+' : '-', abs(n - 1));
	}
}

static void
write_node(StringInfo out, JsonNode *node)
{
	int			i;

	if (node->is_object)
	{
		int		   *order = palloc(sizeof(int) * Max(node->n, 1));

		for (i = 0; i < node->n; i++)
			order[i] = i;
		sort_node = node;
		qsort(order, node->n, sizeof(int), compare_members);
		appendStringInfoChar(out, '{');
		for (i = 0; i < node->n; i++)
		{
			if (i > 0)
				appendStringInfoChar(out, ',');
			escape_json(out, node->keys[order[i]]);
			appendStringInfoChar(out, ':');
			write_node(out, node->items[order[i]]);
		}
		appendStringInfoChar(out, '}');
		return;
	}
	if (node->is_array)
	{
		appendStringInfoChar(out, '[');
		for (i = 0; i < node->n; i++)
		{
			if (i > 0)
				appendStringInfoChar(out, ',');
			write_node(out, node->items[i]);
		}
		appendStringInfoChar(out, ']');
		return;
	}
	switch (node->scalar.type)
	{
		case jbvNull:
			appendStringInfoString(out, "null");
			break;
		case jbvBool:
			appendStringInfoString(out, node->scalar.val.boolean ? "true" : "false");
			break;
		case jbvString:
			escape_json(out, pnstrdup(node->scalar.val.string.val,
									  node->scalar.val.string.len));
			break;
		case jbvNumeric:
			write_number(out, DatumGetFloat8(DirectFunctionCall1(numeric_float8,
																 NumericGetDatum(node->scalar.val.numeric))));
			break;
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) node->scalar.type);
	}
}

Datum
dtecert_canonical_json(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb = PG_GETARG_JSONB_P(0);
	JsonbIterator *it = JsonbIteratorInit(&jb->root);
	JsonbValue	value;
	JsonbIteratorToken token = JsonbIteratorNext(&it, &value, false);
	StringInfoData out;

	initStringInfo(&out);
	write_node(&out, read_value(&it, token, &value));
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}
