/*
 * import_dbt.c — `dtecert import-dbt SCHEMA_YML [--schema S] [--out DIR]`
 *
 * Reads a dbt properties file (models/schema.yml) with libyaml and writes a
 * dtecert policy per model: dbt's generic tests (not_null, unique,
 * accepted_values, relationships), dbt_utils' and dbt-expectations' common
 * ones become dtecert checks; `meta: {dtecert: {...}}` (or
 * `config: {meta: {dtecert: ...}}`) adds policy sections (tier, lineage,
 * freshness, ...) and checks of its own.  A test without a dtecert
 * equivalent is named in a comment and on stderr, never silently dropped.
 */
#include "dtecert.h"
#include "options.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

typedef struct ImportOptions
{
	const char *schema;
	const char *out;
} ImportOptions;

typedef struct Ctx
{
	yaml_document_t *doc;
	const char *file;
	const char *model;
	Buf		   *out;			/* the current policy */
	char	  **names;			/* check names used in the current policy */
	int			nnames;
	int			nchecks;
	int			skipped;
} Ctx;

/* ---- YAML tree helpers ---- */

static yaml_node_t *
node(Ctx *ctx, int index)
{
	return index ? yaml_document_get_node(ctx->doc, index) : NULL;
}

static const char *
scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *) n->data.scalar.value : NULL;
}

/* The value of KEY in a mapping node, or NULL. */
static yaml_node_t *
get(Ctx *ctx, yaml_node_t *map, const char *key)
{
	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
	{
		const char *k = scalar(node(ctx, p->key));

		if (k && strcmp(k, key) == 0)
			return node(ctx, p->value);
	}
	return NULL;
}

static const char *
get_str(Ctx *ctx, yaml_node_t *map, const char *key)
{
	return scalar(get(ctx, map, key));
}

static bool
is_true(const char *v)
{
	return v && (strcmp(v, "true") == 0 || strcmp(v, "True") == 0 || strcmp(v, "TRUE") == 0 ||
				 strcmp(v, "yes") == 0);
}

static bool
is_false(const char *v)
{
	return v && (strcmp(v, "false") == 0 || strcmp(v, "False") == 0 || strcmp(v, "FALSE") == 0 ||
				 strcmp(v, "no") == 0);
}

/* ---- YAML output ---- */

/* Whether text can be written as a plain scalar inside a flow collection. */
static bool
plain_safe(const char *s)
{
	if (s[0] == '\0')
		return false;
	if (s[0] == '-' && !isdigit((unsigned char) s[1]))
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char) *p) && !strchr("_.+/-", *p))
			return false;
	return true;
}

static void
emit_text(Buf *b, const char *s, bool may_be_plain)
{
	bool		control = false;

	if (may_be_plain && plain_safe(s))
	{
		buf_puts(b, s);
		return;
	}
	for (const char *p = s; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			control = true;
	if (!control)
	{
		buf_puts(b, "'");
		for (const char *p = s; *p; p++)
		{
			if (*p == '\'')
				buf_puts(b, "'");
			buf_append(b, p, 1);
		}
		buf_puts(b, "'");
		return;
	}
	buf_puts(b, "\"");
	for (const char *p = s; *p; p++)
	{
		switch (*p)
		{
			case '"':
				buf_puts(b, "\\\"");
				break;
			case '\\':
				buf_puts(b, "\\\\");
				break;
			case '\n':
				buf_puts(b, "\\n");
				break;
			case '\t':
				buf_puts(b, "\\t");
				break;
			case '\r':
				buf_puts(b, "\\r");
				break;
			default:
				if ((unsigned char) *p < 0x20 || *p == 0x7f)
					buf_printf(b, "\\x%02x", (unsigned char) *p);
				else
					buf_append(b, p, 1);
		}
	}
	buf_puts(b, "\"");
}

/* A node in flow style; a scalar keeps its quoting (values are taken as written). */
static void
emit_node(Ctx *ctx, Buf *b, yaml_node_t *n)
{
	if (n == NULL)
	{
		buf_puts(b, "null");
		return;
	}
	switch (n->type)
	{
		case YAML_SCALAR_NODE:
			emit_text(b, (const char *) n->data.scalar.value,
					  n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
			break;
		case YAML_SEQUENCE_NODE:
			buf_puts(b, "[");
			for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++)
			{
				if (i > n->data.sequence.items.start)
					buf_puts(b, ", ");
				emit_node(ctx, b, node(ctx, *i));
			}
			buf_puts(b, "]");
			break;
		case YAML_MAPPING_NODE:
			buf_puts(b, "{");
			for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++)
			{
				if (p > n->data.mapping.pairs.start)
					buf_puts(b, ", ");
				emit_node(ctx, b, node(ctx, p->key));
				buf_puts(b, ": ");
				emit_node(ctx, b, node(ctx, p->value));
			}
			buf_puts(b, "}");
			break;
		default:
			buf_puts(b, "null");
	}
}

/* ---- one check ---- */

#define MAX_PARAMS 12

typedef struct Check
{
	const char *kind;
	const char *column;			/* NULL: no column parameter */
	yaml_node_t *columns;		/* a sequence, for unique(a,b) and columns_in_order */
	const char *keys[MAX_PARAMS];
	Buf			values[MAX_PARAMS];
	int			n;
} Check;

static void
check_init(Check *c, const char *kind, const char *column)
{
	c->kind = kind;
	c->column = column;
	c->columns = NULL;
	c->n = 0;
}

static void
check_free(Check *c)
{
	for (int i = 0; i < c->n; i++)
		buf_free(&c->values[i]);
	c->n = 0;
}

static Buf *
param(Check *c, const char *key)
{
	Buf		   *b = &c->values[c->n];

	c->keys[c->n++] = key;
	buf_init(b);
	return b;
}

/* Copies a dbt argument (any node) into the check under another name. */
static void
param_node(Ctx *ctx, Check *c, const char *key, yaml_node_t *value)
{
	if (value != NULL && c->n < MAX_PARAMS)
		emit_node(ctx, param(c, key), value);
}

static void
param_text(Check *c, const char *key, const char *text, bool plain)
{
	if (c->n < MAX_PARAMS)
		emit_text(param(c, key), text, plain);
}

/* The name dtecert gives a check (docs/policy.md), to keep names unique. */
static char *
check_name(Ctx *ctx, Check *c)
{
	Buf			b;

	buf_init(&b);
	buf_puts(&b, c->kind);
	if (c->column)
		buf_printf(&b, "(%s)", c->column);
	else if (c->columns && strcmp(c->kind, "unique") == 0)
	{
		buf_puts(&b, "(");
		for (yaml_node_item_t *i = c->columns->data.sequence.items.start;
			 i < c->columns->data.sequence.items.top; i++)
		{
			const char *s = scalar(node(ctx, *i));

			if (i > c->columns->data.sequence.items.start)
				buf_puts(&b, ",");
			buf_puts(&b, s ? s : "?");
		}
		buf_puts(&b, ")");
	}
	return b.data;
}

static void
write_check(Ctx *ctx, Check *c, bool has_name)
{
	Buf		   *o = ctx->out;

	if (!has_name)
	{
		char	   *name = check_name(ctx, c);
		bool		dup = false;

		for (int i = 0; i < ctx->nnames; i++)
			if (strcmp(ctx->names[i], name) == 0)
				dup = true;
		if (dup)
		{
			/* two tests would share a name: number the later ones */
			for (int k = 2;; k++)
			{
				char	   *alt = xmalloc(strlen(name) + 16);

				sprintf(alt, "%s#%d", name, k);
				dup = false;
				for (int i = 0; i < ctx->nnames; i++)
					if (strcmp(ctx->names[i], alt) == 0)
						dup = true;
				if (!dup)
				{
					free(name);
					name = alt;
					param_text(c, "name", name, false);
					break;
				}
				free(alt);
			}
		}
		{
			char	  **p = realloc(ctx->names, (ctx->nnames + 1) * sizeof(char *));

			if (p == NULL)
			{
				errmsg("out of memory");
				exit(EXIT_ERROR);
			}
			ctx->names = p;
			ctx->names[ctx->nnames++] = name;
		}
	}
	buf_printf(o, "  - %s: ", c->kind);
	if (c->column && c->n == 0 && !c->columns)
		emit_text(o, c->column, true);
	else
	{
		bool		first = true;

		buf_puts(o, "{");
		if (c->column)
		{
			buf_puts(o, "column: ");
			emit_text(o, c->column, true);
			first = false;
		}
		if (c->columns)
		{
			buf_puts(o, first ? "" : ", ");
			buf_puts(o, "columns: ");
			emit_node(ctx, o, c->columns);
			first = false;
		}
		for (int i = 0; i < c->n; i++)
		{
			buf_printf(o, "%s%s: %s", first ? "" : ", ", c->keys[i], c->values[i].data);
			first = false;
		}
		buf_puts(o, "}");
	}
	buf_puts(o, "\n");
	ctx->nchecks++;
}

/* relationships' `to: ref('customers')` or `source('raw', 'customers')` */
static char *
relation_of(const char *to, const char *schema)
{
	const char *open = strchr(to, '(');
	char		parts[2][256];
	int			n = 0;
	const char *p;
	char	   *out;

	if (open == NULL)
		return xstrdup(to);
	p = open + 1;
	while (*p && n < 2)
	{
		const char *q;
		size_t		len;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p != '\'' && *p != '"')
			break;
		q = strchr(p + 1, *p);
		if (q == NULL)
			break;
		len = (size_t) (q - p - 1);
		if (len >= sizeof(parts[0]))
			len = sizeof(parts[0]) - 1;
		memcpy(parts[n], p + 1, len);
		parts[n][len] = '\0';
		n++;
		p = q + 1;
	}
	if (n == 0)
		return xstrdup(to);
	out = xmalloc(strlen(schema) + 2 * sizeof(parts[0]) + 4);
	if (strncmp(to, "source", 6) == 0 && n == 2)
		sprintf(out, "%s.%s", parts[0], parts[1]);	/* the source's name as its schema */
	else
		sprintf(out, "%s.%s", schema, parts[n - 1]);
	return out;
}

/* Appends the parameters every kind shares: severity, where, mostly. */
static void
common_params(Ctx *ctx, Check *c, yaml_node_t *args, yaml_node_t *config, bool row_level)
{
	const char *severity = get_str(ctx, config, "severity");
	yaml_node_t *where = get(ctx, config, "where");

	if (where == NULL)
		where = get(ctx, args, "where");
	if (where == NULL)
		where = get(ctx, args, "row_condition");
	if (row_level)
		param_node(ctx, c, "mostly", get(ctx, args, "mostly"));
	if (where && scalar(where))
		param_text(c, "where", scalar(where), false);
	if (severity)
	{
		if (strcasecmp(severity, "warn") == 0)
			param_text(c, "severity", "warn", true);
		else if (strcasecmp(severity, "error") == 0)
			param_text(c, "severity", "error", true);
	}
}

static void
bounds(Ctx *ctx, Check *c, yaml_node_t *args, const char *lo, const char *hi)
{
	param_node(ctx, c, "min", get(ctx, args, lo));
	param_node(ctx, c, "max", get(ctx, args, hi));
	if (is_true(get_str(ctx, args, "strictly")))
	{
		param_text(c, "strict_min", "true", true);
		param_text(c, "strict_max", "true", true);
	}
	else
	{
		if (is_true(get_str(ctx, args, "strict_min")))
			param_text(c, "strict_min", "true", true);
		if (is_true(get_str(ctx, args, "strict_max")))
			param_text(c, "strict_max", "true", true);
	}
}

static void
not_imported(Ctx *ctx, const char *test, const char *column, const char *why)
{
	fprintf(stderr, "%s: import-dbt: %s: model %s%s%s: %s not imported (%s)\n", progname,
			ctx->file, ctx->model, column ? ", column " : "", column ? column : "", test, why);
	buf_printf(ctx->out, "  # not imported: %s%s%s%s (%s)\n", test, column ? " on " : "",
			   column ? column : "", "", why);
	ctx->skipped++;
}

/*
 * One dbt test: a scalar ("not_null") or a one-key mapping
 * ("accepted_values: {values: [...], config: {...}}"), dbt 1.10's
 * `arguments:` included.
 */
static void
import_test(Ctx *ctx, yaml_node_t *t, const char *column, const char *schema)
{
	const char *test = NULL;
	const char *name;
	yaml_node_t *args = NULL,
			   *config = NULL;
	Check		c;
	bool		row_level = true;
	yaml_node_t *a;

	if (scalar(t))
		test = scalar(t);
	else if (t && t->type == YAML_MAPPING_NODE && get(ctx, t, "test_name"))
	{
		test = get_str(ctx, t, "test_name");
		args = t;
	}
	else if (t && t->type == YAML_MAPPING_NODE &&
			 t->data.mapping.pairs.top - t->data.mapping.pairs.start == 1)
	{
		test = scalar(node(ctx, t->data.mapping.pairs.start->key));
		args = node(ctx, t->data.mapping.pairs.start->value);
	}
	if (test == NULL)
	{
		not_imported(ctx, "a test", column, "not a test name or a one-key mapping");
		return;
	}
	config = get(ctx, args, "config");
	if ((a = get(ctx, args, "arguments")) != NULL)
		args = a;
	if (column == NULL)
		column = get_str(ctx, args, "column_name");
	name = strrchr(test, '.') ? strrchr(test, '.') + 1 : test;

	check_init(&c, NULL, column);

#define IS(x) (strcmp(name, (x)) == 0)
	if (IS("not_null") || IS("expect_column_values_to_not_be_null"))
		c.kind = "not_null";
	else if (IS("not_null_proportion"))
	{
		c.kind = "not_null";
		param_node(ctx, &c, "mostly", get(ctx, args, "at_least"));
	}
	else if (IS("unique") || IS("expect_column_values_to_be_unique"))
		c.kind = "unique";
	else if (IS("expect_column_values_to_be_null"))
		c.kind = "be_null";
	else if (IS("accepted_values") || IS("expect_column_values_to_be_in_set"))
	{
		c.kind = "accepted_values";
		param_node(ctx, &c, "values", get(ctx, args, IS("accepted_values") ? "values" : "value_set"));
	}
	else if (IS("expect_column_values_to_not_be_in_set"))
	{
		c.kind = "rejected_values";
		param_node(ctx, &c, "values", get(ctx, args, "value_set"));
	}
	else if (IS("relationships"))
	{
		const char *to = get_str(ctx, args, "to");
		const char *field = get_str(ctx, args, "field");

		if (to && field)
		{
			char	   *rel = relation_of(to, schema);

			c.kind = "references";
			param_text(&c, "table", rel, true);
			param_text(&c, "to", field, true);
			free(rel);
		}
	}
	else if (IS("expect_column_values_to_be_between"))
	{
		c.kind = "between";
		bounds(ctx, &c, args, "min_value", "max_value");
	}
	else if (IS("accepted_range"))
	{
		c.kind = "between";
		param_node(ctx, &c, "min", get(ctx, args, "min_value"));
		param_node(ctx, &c, "max", get(ctx, args, "max_value"));
		if (is_false(get_str(ctx, args, "inclusive")))
		{
			param_text(&c, "strict_min", "true", true);
			param_text(&c, "strict_max", "true", true);
		}
	}
	else if (IS("expect_column_values_to_match_regex") || IS("expect_column_values_to_not_match_regex"))
	{
		const char *regex = get_str(ctx, args, "regex");
		const char *flags = get_str(ctx, args, "flags");

		if (regex)
		{
			c.kind = IS("expect_column_values_to_match_regex") ? "matches" : "not_matches";
			if (flags && strchr(flags, 'i'))
			{
				char	   *r = xmalloc(strlen(regex) + 5);

				sprintf(r, "(?i)%s", regex);
				param_text(&c, "regex", r, false);
				free(r);
			}
			else
				param_text(&c, "regex", regex, false);
		}
	}
	else if (IS("expect_column_value_lengths_to_be_between"))
	{
		c.kind = "length_between";
		param_node(ctx, &c, "min", get(ctx, args, "min_value"));
		param_node(ctx, &c, "max", get(ctx, args, "max_value"));
	}
	else if (IS("expect_column_value_lengths_to_equal"))
	{
		c.kind = "length_between";
		param_node(ctx, &c, "min", get(ctx, args, "value"));
		param_node(ctx, &c, "max", get(ctx, args, "value"));
	}
	else if (IS("expect_column_min_to_be_between") || IS("expect_column_max_to_be_between") ||
			 IS("expect_column_mean_to_be_between") || IS("expect_column_median_to_be_between") ||
			 IS("expect_column_sum_to_be_between") || IS("expect_column_stdev_to_be_between"))
	{
		static const char *const kinds[][2] = {
			{"expect_column_min_to_be_between", "min_between"},
			{"expect_column_max_to_be_between", "max_between"},
			{"expect_column_mean_to_be_between", "mean_between"},
			{"expect_column_median_to_be_between", "median_between"},
			{"expect_column_sum_to_be_between", "sum_between"},
			{"expect_column_stdev_to_be_between", "stdev_between"},
		};

		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (IS(kinds[i][0]))
				c.kind = kinds[i][1];
		bounds(ctx, &c, args, "min_value", "max_value");
		row_level = false;
	}
	else if (IS("expect_column_distinct_count_to_be_between") || IS("expect_column_unique_value_count_to_be_between"))
	{
		c.kind = "distinct_count_between";
		bounds(ctx, &c, args, "min_value", "max_value");
		row_level = false;
	}
	else if (IS("expect_column_distinct_count_to_equal"))
	{
		c.kind = "distinct_count_between";
		param_node(ctx, &c, "min", get(ctx, args, "value"));
		param_node(ctx, &c, "max", get(ctx, args, "value"));
		row_level = false;
	}
	else if (IS("expect_column_proportion_of_unique_values_to_be_between"))
	{
		c.kind = "distinct_ratio_between";
		bounds(ctx, &c, args, "min_value", "max_value");
		row_level = false;
	}
	else if (IS("expect_column_to_exist"))
	{
		c.kind = "column_exists";
		param_node(ctx, &c, "position", get(ctx, args, "column_index"));
		row_level = false;
	}
	else if (IS("expect_column_values_to_be_increasing"))
	{
		c.kind = "increasing";
		param_node(ctx, &c, "order_by", get(ctx, args, "sort_column"));
		if (is_true(get_str(ctx, args, "strictly")))
			param_text(&c, "strictly", "true", true);
	}
	else if (IS("expect_table_row_count_to_be_between"))
	{
		c.kind = "row_count";
		c.column = NULL;
		param_node(ctx, &c, "min", get(ctx, args, "min_value"));
		param_node(ctx, &c, "max", get(ctx, args, "max_value"));
		row_level = false;
	}
	else if (IS("expect_table_row_count_to_equal"))
	{
		c.kind = "row_count";
		c.column = NULL;
		param_node(ctx, &c, "equals", get(ctx, args, "value"));
		row_level = false;
	}
	else if (IS("expect_table_column_count_to_equal"))
	{
		c.kind = "column_count";
		c.column = NULL;
		param_node(ctx, &c, "equals", get(ctx, args, "value"));
		row_level = false;
	}
	else if (IS("expect_table_column_count_to_be_between"))
	{
		c.kind = "column_count";
		c.column = NULL;
		param_node(ctx, &c, "min", get(ctx, args, "min_value"));
		param_node(ctx, &c, "max", get(ctx, args, "max_value"));
		row_level = false;
	}
	else if (IS("expect_table_columns_to_match_ordered_list"))
	{
		c.kind = "columns_in_order";
		c.column = NULL;
		c.columns = get(ctx, args, "column_list");
		row_level = false;
	}
	else if (IS("expect_compound_columns_to_be_unique") || IS("unique_combination_of_columns"))
	{
		c.kind = "unique";
		c.column = NULL;
		c.columns = get(ctx, args, IS("unique_combination_of_columns") ? "combination_of_columns"
						: "column_list");
	}
	else if (IS("expect_column_pair_values_A_to_be_greater_than_B"))
	{
		c.kind = "pair_greater";
		c.column = NULL;
		param_node(ctx, &c, "a", get(ctx, args, "column_A"));
		param_node(ctx, &c, "b", get(ctx, args, "column_B"));
		if (is_true(get_str(ctx, args, "or_equal")))
			param_text(&c, "or_equal", "true", true);
	}
	else if (IS("expression_is_true"))
	{
		const char *expr = get_str(ctx, args, "expression");

		if (expr)
		{
			Buf			e;
			char		nm[64];

			buf_init(&e);
			if (column)
				buf_printf(&e, "NOT (%s %s)", column, expr);
			else
				buf_printf(&e, "NOT (%s)", expr);
			c.kind = "sql";
			c.column = NULL;
			snprintf(nm, sizeof(nm), "expression_is_true_%d", ctx->nchecks + 1);
			param_text(&c, "name", nm, true);
			param_text(&c, "failing_rows", e.data, false);
			buf_free(&e);
		}
	}
#undef IS

	if (c.kind == NULL || ((strcmp(c.kind, "unique") == 0 || strcmp(c.kind, "columns_in_order") == 0)
						   && c.column == NULL && (c.columns == NULL || c.columns->type != YAML_SEQUENCE_NODE)))
	{
		check_free(&c);
		not_imported(ctx, test, column, c.kind ? "its column list is missing"
					 : "no dtecert equivalent, or its arguments are missing");
		return;
	}
	if (strcmp(c.kind, "sql") != 0 && strcmp(c.kind, "row_count") != 0 &&
		strcmp(c.kind, "column_count") != 0 && strcmp(c.kind, "columns_in_order") != 0 &&
		strcmp(c.kind, "pair_greater") != 0 && c.column == NULL && c.columns == NULL)
	{
		check_free(&c);
		not_imported(ctx, test, column, "a column test outside a column, without column_name");
		return;
	}
	common_params(ctx, &c, args, config, row_level);
	write_check(ctx, &c, strcmp(c.kind, "sql") == 0);
	check_free(&c);
}

static void
import_tests(Ctx *ctx, yaml_node_t *owner, const char *column, const char *schema)
{
	static const char *const keys[] = {"tests", "data_tests"};

	for (int k = 0; k < 2; k++)
	{
		yaml_node_t *tests = get(ctx, owner, keys[k]);

		if (tests == NULL || tests->type != YAML_SEQUENCE_NODE)
			continue;
		for (yaml_node_item_t *i = tests->data.sequence.items.start; i < tests->data.sequence.items.top; i++)
			import_test(ctx, node(ctx, *i), column, schema);
	}
}

/* An identifier as PostgreSQL needs it written (quoted unless plain lowercase). */
static void
quote_ident(Buf *b, const char *s)
{
	bool		plain = (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_';

	for (const char *p = s; *p && plain; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '$'))
			plain = false;
	if (plain)
	{
		buf_puts(b, s);
		return;
	}
	buf_puts(b, "\"");
	for (const char *p = s; *p; p++)
	{
		if (*p == '"')
			buf_puts(b, "\"");
		buf_append(b, p, 1);
	}
	buf_puts(b, "\"");
}

static bool
on_import_option(int c, const char *arg, void *state)
{
	ImportOptions *io = state;

	if (c == 's')
		io->schema = arg;
	else if (c == 'o')
		io->out = arg;
	else
		return false;
	return true;
}

int
cmd_import_dbt(const Options *gopts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{"schema", required_argument, NULL, 's'},
		{"out", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0}
	};
	Options		opts = *gopts;
	ImportOptions io = {"public", NULL};
	int			first;
	Buf			text,
				all;
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root,
			   *models;
	int			rc = EXIT_ERROR,
				written = 0;
	Ctx			ctx;

	if (!parse_command_options("import-dbt", argc, argv, "d:hs:o:", longopts, &opts,
							   on_import_option, &io, &first))
		return EXIT_ERROR;
	if (argc - first != 1)
	{
		errmsg("import-dbt: give one dbt properties file (schema.yml)");
		return EXIT_ERROR;
	}
	if (io.out && !make_dirs(io.out))
		return EXIT_ERROR;
	if (!read_file(argv[first], &text))
	{
		buf_free(&text);
		return EXIT_ERROR;
	}
	if (!yaml_parser_initialize(&parser))
	{
		errmsg("out of memory");
		exit(EXIT_ERROR);
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *) text.data, text.len);
	if (!yaml_parser_load(&parser, &doc))
	{
		errmsg("%s:%zu:%zu: invalid YAML: %s", argv[first], parser.problem_mark.line + 1,
			   parser.problem_mark.column + 1, parser.problem ? parser.problem : "parse error");
		yaml_parser_delete(&parser);
		buf_free(&text);
		return EXIT_ERROR;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.doc = &doc;
	ctx.file = argv[first];
	buf_init(&all);
	root = yaml_document_get_root_node(&doc);
	models = get(&ctx, root, "models");
	if (models == NULL || models->type != YAML_SEQUENCE_NODE)
	{
		errmsg("import-dbt: %s: no `models:` list", argv[first]);
		goto done;
	}
	buf_printf(&all, "# dtecert policies imported from %s by `dtecert import-dbt` (one document per model)\n",
			   argv[first]);
	for (yaml_node_item_t *m = models->data.sequence.items.start; m < models->data.sequence.items.top; m++)
	{
		yaml_node_t *model = node(&ctx, *m);
		const char *name = get_str(&ctx, model, "name");
		yaml_node_t *config = get(&ctx, model, "config");
		const char *alias = get_str(&ctx, config, "alias");
		yaml_node_t *meta = get(&ctx, get(&ctx, model, "meta"), "dtecert");
		yaml_node_t *columns = get(&ctx, model, "columns");
		yaml_node_t *meta_checks = NULL;
		const char *description = get_str(&ctx, model, "description");
		const char *dataset_override;
		Buf			policy,
					dataset;

		if (name == NULL)
		{
			errmsg("import-dbt: %s: a model without a name", argv[first]);
			goto done;
		}
		if (meta == NULL)
			meta = get(&ctx, get(&ctx, config, "meta"), "dtecert");
		dataset_override = get_str(&ctx, meta, "dataset");
		buf_init(&policy);
		buf_init(&dataset);
		if (dataset_override)
			buf_puts(&dataset, dataset_override);
		else
		{
			quote_ident(&dataset, io.schema);
			buf_puts(&dataset, ".");
			quote_ident(&dataset, alias ? alias : name);
		}
		ctx.model = name;
		ctx.out = &policy;
		ctx.nchecks = 0;

		buf_printf(&policy, "# dbt model %s\ndataset: ", name);
		emit_text(&policy, dataset.data, true);
		buf_puts(&policy, "\n");
		if (description && description[0] && get(&ctx, meta, "description") == NULL)
		{
			buf_puts(&policy, "description: ");
			emit_text(&policy, description, false);
			buf_puts(&policy, "\n");
		}
		/* meta.dtecert's sections, as written */
		if (meta && meta->type == YAML_MAPPING_NODE)
		{
			for (yaml_node_pair_t *p = meta->data.mapping.pairs.start; p < meta->data.mapping.pairs.top; p++)
			{
				const char *k = scalar(node(&ctx, p->key));

				if (k == NULL || strcmp(k, "dataset") == 0)
					continue;
				if (strcmp(k, "checks") == 0)
				{
					meta_checks = node(&ctx, p->value);
					continue;
				}
				emit_text(&policy, k, true);
				buf_puts(&policy, ": ");
				emit_node(&ctx, &policy, node(&ctx, p->value));
				buf_puts(&policy, "\n");
			}
		}
		buf_puts(&policy, "checks:\n");
		import_tests(&ctx, model, NULL, io.schema);
		if (columns && columns->type == YAML_SEQUENCE_NODE)
		{
			for (yaml_node_item_t *c = columns->data.sequence.items.start; c < columns->data.sequence.items.top; c++)
			{
				yaml_node_t *col = node(&ctx, *c);
				const char *cname = get_str(&ctx, col, "name");

				if (cname)
					import_tests(&ctx, col, cname, io.schema);
			}
		}
		if (meta_checks && meta_checks->type == YAML_SEQUENCE_NODE)
		{
			for (yaml_node_item_t *i = meta_checks->data.sequence.items.start;
				 i < meta_checks->data.sequence.items.top; i++)
			{
				buf_puts(&policy, "  - ");
				emit_node(&ctx, &policy, node(&ctx, *i));
				buf_puts(&policy, "\n");
				ctx.nchecks++;
			}
		}
		for (int i = 0; i < ctx.nnames; i++)
			free(ctx.names[i]);
		free(ctx.names);
		ctx.names = NULL;
		ctx.nnames = 0;

		if (ctx.nchecks == 0)
		{
			fprintf(stderr, "%s: import-dbt: %s: model %s: no test to import, no policy written\n",
					progname, argv[first], name);
		}
		else if (io.out)
		{
			char	   *path = xmalloc(strlen(io.out) + strlen(name) * 3 + strlen(io.schema) * 3 + 16);
			char	   *s = pct_encode(io.schema);
			char	   *t = pct_encode(alias ? alias : name);

			sprintf(path, "%s/%s.%s.yml", io.out, s, t);
			free(s);
			free(t);
			if (!write_file(path, policy.data, policy.len))
			{
				free(path);
				buf_free(&policy);
				buf_free(&dataset);
				goto done;
			}
			fprintf(stderr, "wrote %s\n", path);
			free(path);
			written++;
		}
		else
		{
			buf_puts(&all, "---\n");
			buf_append(&all, policy.data, policy.len);
			written++;
		}
		buf_free(&policy);
		buf_free(&dataset);
	}
	if (!io.out)
		fputs(all.data, stdout);
	if (ctx.skipped)
		fprintf(stderr, "%s: import-dbt: %d test%s not imported (named in comments)\n",
				progname, ctx.skipped, ctx.skipped == 1 ? "" : "s");
	rc = EXIT_CERTIFIED;
	(void) written;
done:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	buf_free(&all);
	buf_free(&text);
	return rc;
}
