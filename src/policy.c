/*-------------------------------------------------------------------------
 *
 * policy.c
 *	  Parse, validate and normalise dtecert policies.
 *
 * The text goes through libyaml's event API into a small tree of our own.
 * libyaml's document loader would copy the node of every alias, so a
 * "billion laughs" document would exhaust memory before we could refuse
 * it; here an alias is a shared pointer to its anchor's node, and every node
 * carries its size with aliases expanded, so the expanded size of the whole
 * document is known (and capped) while it is read, at no cost.
 *
 * The tree is then validated field by field into a Policy, whose memory
 * comes from an arena that policy_free() releases in one go.  The tree lives
 * in a second, scratch arena that is released before policy_parse()
 * returns.
 *
 * Every error longjmps back to policy_parse(), which frees whatever was
 * allocated.  Only code in this file runs between the setjmp and the
 * longjmp, so no foreign stack frame is skipped.
 *
 * This file must not depend on PostgreSQL: plain C, libc and libyaml only.
 * strtod() and snprintf("%g") are locale-dependent; a PostgreSQL backend
 * always runs with LC_NUMERIC set to "C".
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "policy.h"

#if defined(__GNUC__)
#define POLICY_NORETURN __attribute__((noreturn))
#define POLICY_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define POLICY_NORETURN
#define POLICY_PRINTF(f, a)
#endif

/* ----------------------------------------------------------------
 * Arenas
 * ----------------------------------------------------------------
 */

#define ARENA_BLOCK_SIZE	(64 * 1024)
#define ARENA_ALIGN			16
#define ARENA_ROUND(n)		(((n) + ARENA_ALIGN - 1) & ~((size_t) ARENA_ALIGN - 1))

typedef struct ArenaBlock
{
	struct ArenaBlock *next;
	size_t		size;			/* usable bytes after the header */
	size_t		used;
} ArenaBlock;

#define ARENA_HEADER		ARENA_ROUND(sizeof(ArenaBlock))

typedef struct Arena
{
	ArenaBlock *head;			/* the block being filled comes first */
} Arena;

static Arena *
arena_create(void)
{
	return calloc(1, sizeof(Arena));
}

static void
arena_destroy(Arena *arena)
{
	ArenaBlock *block;
	ArenaBlock *next;

	if (arena == NULL)
		return;
	for (block = arena->head; block != NULL; block = next)
	{
		next = block->next;
		free(block);
	}
	free(arena);
}

/* Zeroed memory from the arena, or NULL when malloc fails. */
static void *
arena_alloc(Arena *arena, size_t size)
{
	ArenaBlock *block = arena->head;
	size_t		rounded = ARENA_ROUND(size > 0 ? size : 1);
	size_t		bsize;
	ArenaBlock *fresh;
	char	   *p;

	if (block == NULL || block->size - block->used < rounded)
	{
		bsize = rounded > ARENA_BLOCK_SIZE / 4 ? rounded : ARENA_BLOCK_SIZE;
		fresh = calloc(1, ARENA_HEADER + bsize);
		if (fresh == NULL)
			return NULL;
		fresh->size = bsize;
		if (bsize != ARENA_BLOCK_SIZE && block != NULL)
		{
			/* a big chunk gets a block of its own; keep filling the head */
			fresh->next = block->next;
			block->next = fresh;
		}
		else
		{
			fresh->next = block;
			arena->head = fresh;
		}
		block = fresh;
	}
	p = (char *) block + ARENA_HEADER + block->used;
	block->used += rounded;
	return p;
}

/* ----------------------------------------------------------------
 * The document tree
 * ----------------------------------------------------------------
 */

typedef enum NodeType
{
	NODE_SCALAR,
	NODE_SEQUENCE,
	NODE_MAPPING
} NodeType;

typedef struct Node
{
	NodeType	type;
	bool		plain;			/* untagged plain scalar: may be null, a
								 * boolean or a number */
	int			line;			/* 1-based */
	int			column;
	const char *text;			/* scalars: NUL-terminated text */
	struct Node **items;		/* sequence items; mapping keys and values,
								 * alternating */
	int			nitems;
	int64_t		size;			/* nodes in this subtree, aliases expanded */
} Node;

/* An open sequence or mapping while the tree is built. */
typedef struct Frame
{
	Node	   *node;
	size_t		base;			/* its first child in ParseCtx.stack */
	char	   *anchor;			/* registered when the node is complete */
} Frame;

typedef struct Anchor
{
	const char *name;
	Node	   *node;
	struct Anchor *next;		/* hash chain */
} Anchor;

typedef struct StrBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} StrBuf;

/* Where each check was written, for the duplicate-name error. */
typedef struct CheckSource
{
	const Node *kind_key;
	const Node *name_value;		/* NULL when the name is the default */
} CheckSource;

typedef struct ParseCtx
{
	PolicyError *err;
	PolicyError local_err;		/* when the caller passes no PolicyError */
	jmp_buf		jump;

	Arena	   *scratch;		/* the tree, temporary arrays */
	Arena	   *arena;			/* the Policy; handed over on success */
	Policy	   *pol;			/* being filled */
	Policy	   *result;			/* set once everything succeeded */

	/* libyaml state, released by parse_cleanup */
	yaml_parser_t parser;
	bool		parser_live;
	yaml_event_t event;
	bool		event_live;

	/* tree building */
	Node	  **stack;			/* children of the open collections */
	size_t		nstack;
	size_t		stack_cap;
	Frame		frames[POLICY_MAX_DEPTH];
	int			depth;
	Anchor	  **buckets;
	size_t		nbuckets;
	size_t		nanchors;
	int64_t		total;			/* expanded size of the document so far */
	int			ndocuments;
	Node	   *root;

	/* validation */
	const Node *tier_value;
	const Node *checks_value;
	const Node *unsupported_key;	/* first fairness/robustness/... key */
	bool		has_section[3]; /* fairness, robustness, explainability */
	CheckSource *sources;

	StrBuf		out;			/* normalized JSON */
} ParseCtx;

/* ----------------------------------------------------------------
 * Names
 * ----------------------------------------------------------------
 */

static const char *const policy_check_kind_names[CHECK_KIND_COUNT] = {
	"not_null",
	"be_null",
	"unique",
	"accepted_values",
	"rejected_values",
	"between",
	"matches",
	"not_matches",
	"length_between",
	"row_count",
	"references",
	"sql",
	"min_between",
	"max_between",
	"mean_between",
	"median_between",
	"stdev_between",
	"sum_between",
	"distinct_count_between",
	"distinct_ratio_between",
	"column_count",
	"columns_in_order",
	"column_exists",
	"column_type",
	"pair_greater",
	"multicolumn_sum",
	"increasing"
};

static const char *const tier_names[] = {"low", "medium", "high", NULL};
static const char *const severity_names[] = {"error", "critical", "warn", NULL};
static const char *const samples_names[] = {"values", "masked", "none", NULL};
static const char *const extra_columns_names[] = {"allow", "forbid", NULL};

/* In PolicyIgnoreRowIf order. */
static const char *const ignore_row_if_names[] = {
	"never", "all_values_are_missing", "any_value_is_missing", NULL
};

/* The same, as pair_greater spells them (GE's names for pairs). */
static const char *const pair_ignore_row_if_names[] = {
	"neither", "both_values_are_missing", "either_value_is_missing", NULL
};

/* Sections of the high tier, in the order they are named in messages. */
static const char *const section_names[] = {
	"fairness", "robustness", "explainability", NULL
};

static const char *const top_fields[] = {
	"dataset", "description", "tier", "min_score", "valid_for", "owner",
	"samples", "schema", "freshness", "checks", "lineage",
	"fairness", "robustness", "explainability", NULL
};
static const char *const schema_fields[] = {"columns", "extra_columns", NULL};
static const char *const column_fields[] = {"type", "nullable", NULL};
static const char *const column_item_fields[] = {"name", "type", "nullable", NULL};
static const char *const freshness_fields[] = {"column", "max_age", NULL};
static const char *const lineage_fields[] = {
	"job", "inputs", "require_certified_inputs", NULL
};
static const char *const robustness_fields[] = {
	"baseline", "columns", "psi_max", "null_rate_change_max",
	"row_count_change_max", NULL
};

static const char *const fairness_fields[] = {
	"protected", "label", "prediction", "reference_group", "min_group_size",
	"limits", NULL
};
static const char *const limit_fields[] = {"min", "max", NULL};
static const char *const explainability_fields[] = {
	"model_card", "features", "prediction", "min_features_explained",
	"min_information", NULL
};

/* In FairnessMetric order. */
static const char *const fairness_metric_names[] = {
	"demographic_parity_difference",
	"disparate_impact",
	"equal_opportunity_difference",
	"false_positive_rate_difference",
	"false_negative_rate_difference",
	"equalized_odds_difference",
	"average_odds_difference",
	NULL
};

/* Parameters of each kind: its own, then the common ones. */
#define COMMON_FIELDS "name", "severity", "mostly", "where", NULL
static const char *const column_check_fields[] = {"column", COMMON_FIELDS};
static const char *const unique_fields[] = {
	"column", "columns", "ignore_row_if", COMMON_FIELDS
};
static const char *const values_fields[] = {"column", "values", COMMON_FIELDS};
static const char *const bounds_fields[] = {
	"column", "min", "max", "strict_min", "strict_max", COMMON_FIELDS
};
static const char *const regex_fields[] = {"column", "regex", COMMON_FIELDS};
static const char *const row_count_fields[] = {
	"min", "max", "equals", "name", "severity", "where", NULL
};
static const char *const references_fields[] = {
	"column", "table", "to", COMMON_FIELDS
};
static const char *const sql_fields[] = {
	"name", "failing_rows", "severity", "mostly", "where", NULL
};

/* Aggregate and table-shape checks pass or fail as a whole: no mostly. */
static const char *const aggregate_fields[] = {
	"column", "min", "max", "strict_min", "strict_max",
	"name", "severity", "where", NULL
};
static const char *const column_count_fields[] = {
	"min", "max", "equals", "name", "severity", NULL
};
static const char *const columns_in_order_fields[] = {
	"columns", "name", "severity", NULL
};
static const char *const column_exists_fields[] = {
	"column", "position", "name", "severity", NULL
};
static const char *const column_type_fields[] = {
	"column", "type", "name", "severity", NULL
};
static const char *const pair_greater_fields[] = {
	"a", "b", "or_equal", "ignore_row_if", COMMON_FIELDS
};
static const char *const multicolumn_sum_fields[] = {
	"columns", "equals", "ignore_row_if", COMMON_FIELDS
};
static const char *const increasing_fields[] = {
	"column", "strictly", "order_by", COMMON_FIELDS
};

#define AGGREGATE	"an aggregate check"
#define SHAPE		"a check of the table's columns"

typedef struct KindInfo
{
	const char *const *fields;	/* allowed parameters */
	bool		short_form;		/* "- kind: column" is allowed */
	const char *needs;			/* what the long form needs, for errors */
	const char *whole;			/* what the kind is, when it takes no mostly */
} KindInfo;

/* Indexed by CheckKind. */
static const KindInfo kind_info[CHECK_KIND_COUNT] = {
	{column_check_fields, true, "column", NULL},
	{column_check_fields, true, "column", NULL},
	{unique_fields, true, "column or columns", NULL},
	{values_fields, false, "column and values", NULL},
	{values_fields, false, "column and values", NULL},
	{bounds_fields, false, "column and min or max", NULL},
	{regex_fields, false, "column and regex", NULL},
	{regex_fields, false, "column and regex", NULL},
	{bounds_fields, false, "column and min or max", NULL},
	{row_count_fields, false, "min, max or equals", AGGREGATE},
	{references_fields, false, "column, table and to", NULL},
	{sql_fields, false, "name and failing_rows", NULL},
	{aggregate_fields, false, "column and min or max", AGGREGATE},	/* min */
	{aggregate_fields, false, "column and min or max", AGGREGATE},	/* max */
	{aggregate_fields, false, "column and min or max", AGGREGATE},	/* mean */
	{aggregate_fields, false, "column and min or max", AGGREGATE},	/* median */
	{aggregate_fields, false, "column and min or max", AGGREGATE},	/* stdev */
	{aggregate_fields, false, "column and min or max", AGGREGATE},	/* sum */
	{aggregate_fields, false, "column and min or max", AGGREGATE},	/* d. count */
	{aggregate_fields, false, "column and min or max", AGGREGATE},	/* d. ratio */
	{column_count_fields, false, "min, max or equals", SHAPE},
	{columns_in_order_fields, false, "columns", SHAPE},
	{column_exists_fields, true, "column", SHAPE},
	{column_type_fields, false, "column and type", SHAPE},
	{pair_greater_fields, false, "a and b", NULL},
	{multicolumn_sum_fields, false, "columns and equals", NULL},
	{increasing_fields, true, "column", NULL}
};

const char *
policy_tier_name(PolicyTier tier)
{
	if (tier < TIER_LOW || tier > TIER_HIGH)
		return NULL;
	return tier_names[tier - TIER_LOW];
}

const char *
policy_severity_name(PolicySeverity severity)
{
	if (severity > SEVERITY_WARN)
		return NULL;
	return severity_names[severity];
}

const char *
policy_check_kind_name(CheckKind kind)
{
	if (kind >= CHECK_KIND_COUNT)
		return NULL;
	return policy_check_kind_names[kind];
}

const char *
policy_fairness_metric_name(FairnessMetric metric)
{
	if (metric >= FAIRNESS_METRIC_COUNT)
		return NULL;
	return fairness_metric_names[metric];
}

const char *
policy_ignore_row_if_name(CheckKind kind, PolicyIgnoreRowIf value)
{
	if (value > IGNORE_ROW_IF_ANY_MISSING)
		return NULL;
	if (kind == CHECK_PAIR_GREATER)
		return pair_ignore_row_if_names[value];
	return ignore_row_if_names[value];
}

/* ----------------------------------------------------------------
 * Errors and memory
 * ----------------------------------------------------------------
 */

static void vfail(ParseCtx *ctx, PolicyErrorKind kind, const char *path,
				  int line, int column, const char *hint,
				  const char *fmt, va_list ap)
			POLICY_PRINTF(7, 0) POLICY_NORETURN;
static void fail_at(ParseCtx *ctx, PolicyErrorKind kind, const char *path,
					int line, int column, const char *hint,
					const char *fmt,...)
			POLICY_PRINTF(7, 8) POLICY_NORETURN;
static void fail_node(ParseCtx *ctx, PolicyErrorKind kind, const Node *at,
					  const char *path, const char *hint,
					  const char *fmt,...)
			POLICY_PRINTF(6, 7) POLICY_NORETURN;
static void invalid(ParseCtx *ctx, const Node *at, const char *path,
					const char *hint, const char *fmt,...)
			POLICY_PRINTF(5, 6) POLICY_NORETURN;
static void fail_nomem(ParseCtx *ctx) POLICY_NORETURN;
static char *pol_printf(ParseCtx *ctx, const char *fmt,...) POLICY_PRINTF(2, 3);

static void
vfail(ParseCtx *ctx, PolicyErrorKind kind, const char *path,
	  int line, int column, const char *hint, const char *fmt, va_list ap)
{
	PolicyError *err = ctx->err;

	err->kind = kind;
	snprintf(err->path, sizeof(err->path), "%s", path ? path : "");
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	snprintf(err->hint, sizeof(err->hint), "%s", hint ? hint : "");
	err->line = line;
	err->column = column;
	longjmp(ctx->jump, 1);
}

static void
fail_at(ParseCtx *ctx, PolicyErrorKind kind, const char *path,
		int line, int column, const char *hint, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vfail(ctx, kind, path, line, column, hint, fmt, ap);
	/* not reached; keeps va_start/va_end paired for the reader */
	va_end(ap);
}

static void
fail_node(ParseCtx *ctx, PolicyErrorKind kind, const Node *at,
		  const char *path, const char *hint, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vfail(ctx, kind, path, at ? at->line : 0, at ? at->column : 0,
		  hint, fmt, ap);
	va_end(ap);
}

/* The common case: a well-formed document with a wrong field. */
static void
invalid(ParseCtx *ctx, const Node *at, const char *path,
		const char *hint, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vfail(ctx, POLICY_ERR_INVALID, path, at ? at->line : 0,
		  at ? at->column : 0, hint, fmt, ap);
	va_end(ap);
}

static void
fail_nomem(ParseCtx *ctx)
{
	fail_at(ctx, POLICY_ERR_NOMEM, "", 0, 0, NULL, "out of memory");
}

static void *
tmp_alloc(ParseCtx *ctx, size_t size)
{
	void	   *p = arena_alloc(ctx->scratch, size);

	if (p == NULL)
		fail_nomem(ctx);
	return p;
}

static void *
pol_alloc(ParseCtx *ctx, size_t size)
{
	void	   *p = arena_alloc(ctx->arena, size);

	if (p == NULL)
		fail_nomem(ctx);
	return p;
}

static char *
tmp_strndup(ParseCtx *ctx, const char *s, size_t len)
{
	char	   *copy = tmp_alloc(ctx, len + 1);

	memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}

static char *
pol_strdup(ParseCtx *ctx, const char *s)
{
	size_t		len = strlen(s);
	char	   *copy = pol_alloc(ctx, len + 1);

	memcpy(copy, s, len + 1);
	return copy;
}

static char *
pol_printf(ParseCtx *ctx, const char *fmt,...)
{
	va_list		ap;
	int			n;
	char	   *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fail_nomem(ctx);
	s = pol_alloc(ctx, (size_t) n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t) n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* "a.b" from "a" and "b"; the root's path is "". */
static const char *
path_field(ParseCtx *ctx, const char *base, const char *name)
{
	if (base[0] == '\0')
		return pol_strdup(ctx, name);
	return pol_printf(ctx, "%s.%s", base, name);
}

static const char *
path_index(ParseCtx *ctx, const char *base, int index)
{
	return pol_printf(ctx, "%s[%d]", base, index);
}

/*
 * "a, b or c" from a NULL-terminated list, into buf.  With a prefix and a
 * period, this makes the hints that list what is allowed.
 */
static void
join_names(char *buf, size_t size, const char *prefix,
		   const char *const *names, const char *last_sep, const char *suffix)
{
	size_t		len;
	int			i;

	snprintf(buf, size, "%s", prefix);
	for (i = 0; names[i] != NULL; i++)
	{
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s",
				 i == 0 ? "" : (names[i + 1] == NULL ? last_sep : ", "),
				 names[i]);
	}
	len = strlen(buf);
	snprintf(buf + len, size - len, "%s", suffix);
}

/* ----------------------------------------------------------------
 * Building the tree from libyaml's events
 * ----------------------------------------------------------------
 */

/* 1-based line and column (in characters) of a byte offset. */
static void
offset_position(const char *text, size_t len, size_t offset,
				int *line, int *column)
{
	size_t		i;

	*line = 1;
	*column = 1;
	for (i = 0; i < offset && i < len; i++)
	{
		if (text[i] == '\n')
		{
			(*line)++;
			*column = 1;
		}
		else if (((unsigned char) text[i] & 0xC0) != 0x80)
			(*column)++;
	}
}

static void
fail_yaml(ParseCtx *ctx, const char *text, size_t len)
{
	yaml_parser_t *parser = &ctx->parser;
	char		message[300];
	char		hint[300];
	int			line;
	int			column;

	if (parser->error == YAML_MEMORY_ERROR)
		fail_nomem(ctx);
	snprintf(message, sizeof(message), "%s",
			 parser->problem ? parser->problem : "cannot parse the policy");
	message[0] = (char) tolower((unsigned char) message[0]);
	hint[0] = '\0';
	if (parser->error == YAML_READER_ERROR)
	{
		/* reader errors have an offset, not a mark */
		offset_position(text, len, parser->problem_offset, &line, &column);
		if (parser->problem_value >= 0)
		{
			size_t		mlen = strlen(message);

			snprintf(message + mlen, sizeof(message) - mlen, " (0x%02X)",
					 (unsigned) parser->problem_value);
		}
	}
	else
	{
		line = (int) parser->problem_mark.line + 1;
		column = (int) parser->problem_mark.column + 1;
		if (parser->context)
		{
			snprintf(hint, sizeof(hint),
					 "%s, which started at line %d, column %d.",
					 parser->context,
					 (int) parser->context_mark.line + 1,
					 (int) parser->context_mark.column + 1);
			hint[0] = (char) toupper((unsigned char) hint[0]);
		}
	}
	fail_at(ctx, POLICY_ERR_SYNTAX, "", line, column, hint, "%s", message);
}

/* Count n more nodes in the expanded document, refusing too many. */
static void
count_nodes(ParseCtx *ctx, int64_t n, const yaml_mark_t *mark)
{
	ctx->total += n;
	if (ctx->total > POLICY_MAX_NODES)
		fail_at(ctx, POLICY_ERR_LIMIT, "", (int) mark->line + 1,
				(int) mark->column + 1,
				"Every use of an alias counts the whole node it refers to.",
				"policy expands to more than %d nodes", POLICY_MAX_NODES);
}

static Node *
new_node(ParseCtx *ctx, NodeType type, const yaml_mark_t *mark)
{
	Node	   *node;

	count_nodes(ctx, 1, mark);
	node = tmp_alloc(ctx, sizeof(Node));
	node->type = type;
	node->line = (int) mark->line + 1;
	node->column = (int) mark->column + 1;
	node->size = 1;
	return node;
}

/* FNV-1a */
static size_t
hash_name(const char *s)
{
	uint32_t	h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char) *s) * 16777619u;
	return h;
}

static Anchor *
anchor_find(ParseCtx *ctx, const char *name)
{
	Anchor	   *a;

	if (ctx->nbuckets == 0)
		return NULL;
	for (a = ctx->buckets[hash_name(name) & (ctx->nbuckets - 1)];
		 a != NULL; a = a->next)
	{
		if (strcmp(a->name, name) == 0)
			return a;
	}
	return NULL;
}

static void
anchor_grow(ParseCtx *ctx)
{
	size_t		nbuckets = ctx->nbuckets ? ctx->nbuckets * 2 : 64;
	Anchor	  **buckets = calloc(nbuckets, sizeof(Anchor *));
	Anchor	   *a;
	Anchor	   *next;
	size_t		i;
	size_t		b;

	if (buckets == NULL)
		fail_nomem(ctx);
	for (i = 0; i < ctx->nbuckets; i++)
	{
		for (a = ctx->buckets[i]; a != NULL; a = next)
		{
			next = a->next;
			b = hash_name(a->name) & (nbuckets - 1);
			a->next = buckets[b];
			buckets[b] = a;
		}
	}
	free(ctx->buckets);
	ctx->buckets = buckets;
	ctx->nbuckets = nbuckets;
}

/* A later anchor of the same name replaces the earlier one, as in YAML. */
static void
anchor_define(ParseCtx *ctx, char *name, Node *node)
{
	Anchor	   *a = anchor_find(ctx, name);
	size_t		b;

	if (a != NULL)
	{
		a->node = node;
		return;
	}
	if (ctx->nanchors >= ctx->nbuckets)
		anchor_grow(ctx);
	a = tmp_alloc(ctx, sizeof(Anchor));
	a->name = name;
	a->node = node;
	b = hash_name(name) & (ctx->nbuckets - 1);
	a->next = ctx->buckets[b];
	ctx->buckets[b] = a;
	ctx->nanchors++;
}

/* Attach a complete node to the open collection, or make it the root. */
static void
add_child(ParseCtx *ctx, Node *node)
{
	Node	  **stack;
	size_t		cap;

	if (ctx->depth == 0)
	{
		ctx->root = node;
		return;
	}
	ctx->frames[ctx->depth - 1].node->size += node->size;
	if (ctx->nstack == ctx->stack_cap)
	{
		cap = ctx->stack_cap ? ctx->stack_cap * 2 : 256;
		stack = realloc(ctx->stack, cap * sizeof(Node *));
		if (stack == NULL)
			fail_nomem(ctx);
		ctx->stack = stack;
		ctx->stack_cap = cap;
	}
	ctx->stack[ctx->nstack++] = node;
}

static void
add_scalar(ParseCtx *ctx, const yaml_event_t *event)
{
	const char *value = (const char *) event->data.scalar.value;
	size_t		len = event->data.scalar.length;
	Node	   *node = new_node(ctx, NODE_SCALAR, &event->start_mark);

	/* a "\0" escape in a quoted scalar */
	if (memchr(value, '\0', len) != NULL)
		invalid(ctx, node, "", NULL, "a string contains a NUL character");
	node->text = tmp_strndup(ctx, value, len);
	node->plain = event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		event->data.scalar.tag == NULL;
	if (event->data.scalar.anchor)
		anchor_define(ctx,
					  tmp_strndup(ctx, (const char *) event->data.scalar.anchor,
								  strlen((const char *) event->data.scalar.anchor)),
					  node);
	add_child(ctx, node);
}

static void
add_alias(ParseCtx *ctx, const yaml_event_t *event)
{
	const char *name = (const char *) event->data.alias.anchor;
	Anchor	   *a = anchor_find(ctx, name);

	/* an anchor is registered when its node ends, so no alias makes a cycle */
	if (a == NULL)
		fail_at(ctx, POLICY_ERR_SYNTAX, "", (int) event->start_mark.line + 1,
				(int) event->start_mark.column + 1, NULL,
				"found undefined alias \"%s\"", name);
	count_nodes(ctx, a->node->size, &event->start_mark);
	add_child(ctx, a->node);
}

static void
open_collection(ParseCtx *ctx, NodeType type, const yaml_char_t *anchor,
				const yaml_mark_t *mark)
{
	Frame	   *frame;

	if (ctx->depth >= POLICY_MAX_DEPTH)
		fail_at(ctx, POLICY_ERR_LIMIT, "", (int) mark->line + 1,
				(int) mark->column + 1, NULL,
				"policy nests deeper than %d levels", POLICY_MAX_DEPTH);
	frame = &ctx->frames[ctx->depth];
	frame->node = new_node(ctx, type, mark);
	frame->base = ctx->nstack;
	frame->anchor = anchor ?
		tmp_strndup(ctx, (const char *) anchor, strlen((const char *) anchor)) :
		NULL;
	ctx->depth++;
}

static void
close_collection(ParseCtx *ctx)
{
	Frame	   *frame = &ctx->frames[--ctx->depth];
	Node	   *node = frame->node;
	size_t		n = ctx->nstack - frame->base;

	node->items = tmp_alloc(ctx, n * sizeof(Node *));
	if (n > 0)
		memcpy(node->items, ctx->stack + frame->base, n * sizeof(Node *));
	node->nitems = (int) n;
	ctx->nstack = frame->base;
	if (frame->anchor)
		anchor_define(ctx, frame->anchor, node);
	add_child(ctx, node);
}

static void
handle_event(ParseCtx *ctx, const yaml_event_t *event)
{
	switch (event->type)
	{
		case YAML_DOCUMENT_START_EVENT:
			if (ctx->ndocuments++ > 0)
				fail_at(ctx, POLICY_ERR_INVALID, "",
						(int) event->start_mark.line + 1,
						(int) event->start_mark.column + 1,
						"A policy is a single YAML or JSON document.",
						"more than one document");
			break;
		case YAML_SCALAR_EVENT:
			add_scalar(ctx, event);
			break;
		case YAML_ALIAS_EVENT:
			add_alias(ctx, event);
			break;
		case YAML_SEQUENCE_START_EVENT:
			open_collection(ctx, NODE_SEQUENCE,
							event->data.sequence_start.anchor,
							&event->start_mark);
			break;
		case YAML_MAPPING_START_EVENT:
			open_collection(ctx, NODE_MAPPING,
							event->data.mapping_start.anchor,
							&event->start_mark);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			close_collection(ctx);
			break;
		default:
			/* stream and document boundaries carry nothing we need */
			break;
	}
}

static void
build_tree(ParseCtx *ctx, const char *text, size_t len)
{
	const char *nul = memchr(text, '\0', len);
	bool		done = false;
	int			line;
	int			column;

	if (len > POLICY_MAX_BYTES)
		fail_at(ctx, POLICY_ERR_LIMIT, "", 0, 0, NULL,
				"policy is too large (%zu bytes; the limit is %d)",
				len, POLICY_MAX_BYTES);
	if (nul != NULL)
	{
		offset_position(text, len, (size_t) (nul - text), &line, &column);
		fail_at(ctx, POLICY_ERR_SYNTAX, "", line, column, NULL,
				"policy contains a NUL byte");
	}
	if (!yaml_parser_initialize(&ctx->parser))
		fail_nomem(ctx);
	ctx->parser_live = true;
	yaml_parser_set_input_string(&ctx->parser, (const unsigned char *) text,
								 len);
	while (!done)
	{
		if (!yaml_parser_parse(&ctx->parser, &ctx->event))
			fail_yaml(ctx, text, len);
		ctx->event_live = true;
		done = ctx->event.type == YAML_STREAM_END_EVENT;
		handle_event(ctx, &ctx->event);
		yaml_event_delete(&ctx->event);
		ctx->event_live = false;
	}
}

/* ----------------------------------------------------------------
 * Reading values
 * ----------------------------------------------------------------
 */

static bool
is_null(const Node *node)
{
	const char *t = node->text;

	if (node->type != NODE_SCALAR || !node->plain)
		return false;
	return t[0] == '\0' || strcmp(t, "~") == 0 || strcmp(t, "null") == 0 ||
		strcmp(t, "Null") == 0 || strcmp(t, "NULL") == 0;
}

static bool
in_list(const char *const *names, const char *name)
{
	int			i;

	for (i = 0; names[i] != NULL; i++)
	{
		if (strcmp(names[i], name) == 0)
			return true;
	}
	return false;
}

/* A string and where it was, for find_duplicate. */
typedef struct TextRef
{
	const char *text;
	int			index;
} TextRef;

static int
compare_text_refs(const void *a, const void *b)
{
	const TextRef *ra = a;
	const TextRef *rb = b;
	int			cmp = strcmp(ra->text, rb->text);

	if (cmp != 0)
		return cmp;
	return (ra->index > rb->index) - (ra->index < rb->index);
}

/*
 * Index of the earliest second occurrence of a string in texts[0..n), or -1.
 * Sorting keeps this O(n log n), whatever a hostile document holds.
 */
static int
find_duplicate(ParseCtx *ctx, const char *const *texts, int n)
{
	TextRef    *refs;
	int			i;
	int			best = -1;

	if (n < 2)
		return -1;
	refs = tmp_alloc(ctx, (size_t) n * sizeof(TextRef));
	for (i = 0; i < n; i++)
	{
		refs[i].text = texts[i];
		refs[i].index = i;
	}
	qsort(refs, (size_t) n, sizeof(TextRef), compare_text_refs);
	for (i = 1; i < n; i++)
	{
		if (strcmp(refs[i - 1].text, refs[i].text) == 0 &&
			(best < 0 || refs[i].index < best))
			best = refs[i].index;
	}
	return best;
}

/* The value of a mapping's key, or NULL. */
static const Node *
field(const Node *map, const char *name)
{
	int			i;

	for (i = 0; i < map->nitems; i += 2)
	{
		if (strcmp(map->items[i]->text, name) == 0)
			return map->items[i + 1];
	}
	return NULL;
}

/* Like field, but an explicit null counts as absent. */
static const Node *
optional(const Node *map, const char *name)
{
	const Node *value = field(map, name);

	return (value != NULL && is_null(value)) ? NULL : value;
}

static const Node *
required(ParseCtx *ctx, const Node *map, const char *path, const char *name)
{
	const Node *value = field(map, name);

	if (value == NULL)
		invalid(ctx, map, path, NULL, "missing required field \"%s\"", name);
	return value;
}

static void
unknown_field(ParseCtx *ctx, const Node *key, const char *path,
			  const char *const *allowed)
{
	char		hint[512];

	join_names(hint, sizeof(hint), "Allowed fields are: ", allowed, ", ", ".");
	invalid(ctx, key, path, hint, "unknown field \"%s\"", key->text);
}

/*
 * Check that node is a mapping with non-null scalar keys, no key twice and,
 * when allowed is given, only those keys.  Every mapping of a policy goes
 * through here before its fields are read.
 */
static void
check_mapping(ParseCtx *ctx, const Node *map, const char *path,
			  const char *const *allowed)
{
	const char **keys;
	const Node *key;
	int			npairs = map->nitems / 2;
	int			i;
	int			dup;

	if (map->type != NODE_MAPPING)
		invalid(ctx, map, path, NULL, "expected a mapping");
	keys = tmp_alloc(ctx, (size_t) npairs * sizeof(char *));
	for (i = 0; i < npairs; i++)
	{
		key = map->items[2 * i];
		if (key->type != NODE_SCALAR || is_null(key))
			invalid(ctx, key, path, NULL, "expected a string key");
		if (key->plain && strcmp(key->text, "<<") == 0)
			invalid(ctx, key, path, "Merge keys (<<) are not supported.",
					"unknown field \"<<\"");
		if (allowed != NULL && !in_list(allowed, key->text))
			unknown_field(ctx, key, path, allowed);
		keys[i] = key->text;
	}
	dup = find_duplicate(ctx, keys, npairs);
	if (dup >= 0)
		invalid(ctx, map->items[2 * dup], path, NULL,
				"duplicate key \"%s\"", keys[dup]);
}

static const char *
get_string(ParseCtx *ctx, const Node *node, const char *path, bool allow_empty)
{
	if (node->type != NODE_SCALAR || is_null(node))
		invalid(ctx, node, path, NULL, "expected a string");
	if (!allow_empty && node->text[0] == '\0')
		invalid(ctx, node, path, NULL, "must not be empty");
	return pol_strdup(ctx, node->text);
}

/* YAML 1.2 core booleans only: "yes" and "no" are strings. */
static bool
get_bool(ParseCtx *ctx, const Node *node, const char *path)
{
	static const char *const true_names[] = {"true", "True", "TRUE", NULL};
	static const char *const false_names[] = {"false", "False", "FALSE", NULL};

	if (node->type == NODE_SCALAR && node->plain)
	{
		if (in_list(true_names, node->text))
			return true;
		if (in_list(false_names, node->text))
			return false;
	}
	invalid(ctx, node, path, NULL, "expected true or false");
}

static const char *
skip_digits(const char *p, bool *any)
{
	while (*p >= '0' && *p <= '9')
	{
		p++;
		*any = true;
	}
	return p;
}

/*
 * A decimal number, as JSON and YAML's core schema write them: no hex, no
 * .inf, no .nan; strtod alone would take all of those.
 */
static bool
parse_number(const char *text, double *result)
{
	const char *p = text;
	bool		digits = false;
	bool		exp_digits = false;
	char	   *end;

	if (*p == '+' || *p == '-')
		p++;
	p = skip_digits(p, &digits);
	if (*p == '.')
		p = skip_digits(p + 1, &digits);
	if (!digits)
		return false;
	if (*p == 'e' || *p == 'E')
	{
		p++;
		if (*p == '+' || *p == '-')
			p++;
		p = skip_digits(p, &exp_digits);
		if (!exp_digits)
			return false;
	}
	if (*p != '\0')
		return false;
	*result = strtod(text, &end);
	return end == p && isfinite(*result);
}

static double
get_number(ParseCtx *ctx, const Node *node, const char *path)
{
	double		value;

	if (node->type != NODE_SCALAR || !node->plain ||
		!parse_number(node->text, &value))
		invalid(ctx, node, path, NULL, "expected a number");
	/* -0 and 0 normalise alike */
	return value == 0 ? 0.0 : value;
}

/* A non-negative decimal integer that fits int64; *text gets its digits. */
static int64_t
get_count(ParseCtx *ctx, const Node *node, const char *path,
		  const char **text)
{
	const char *p = node->text;
	uint64_t	value = 0;

	if (node->type != NODE_SCALAR || !node->plain)
		invalid(ctx, node, path, NULL, "expected a non-negative integer");
	if (*p == '+')
		p++;
	if (*p == '\0')
		invalid(ctx, node, path, NULL, "expected a non-negative integer");
	for (; *p != '\0'; p++)
	{
		if (*p < '0' || *p > '9')
			invalid(ctx, node, path, NULL, "expected a non-negative integer");
		value = value * 10 + (uint64_t) (*p - '0');
		if (value > (uint64_t) INT64_MAX)
			invalid(ctx, node, path, NULL, "integer out of range");
	}
	*text = pol_printf(ctx, "%lld", (long long) value);
	return (int64_t) value;
}

/* Index of node's text in names; the message lists them all. */
static int
get_enum(ParseCtx *ctx, const Node *node, const char *path,
		 const char *const *names)
{
	char		message[256];
	int			i;

	if (node->type == NODE_SCALAR && !is_null(node))
	{
		for (i = 0; names[i] != NULL; i++)
		{
			if (strcmp(names[i], node->text) == 0)
				return i;
		}
	}
	join_names(message, sizeof(message), "expected ", names, " or ", "");
	invalid(ctx, node, path, NULL, "%s", message);
}

static void
set_scalar(ParseCtx *ctx, PolicyScalar *scalar, const Node *node,
		   const char *path, const char *text)
{
	scalar->text = text ? text : pol_strdup(ctx, node->text);
	scalar->path = path;
	scalar->line = node->line;
	scalar->column = node->column;
	scalar->quoted = !node->plain;
}

/* ----------------------------------------------------------------
 * Sections
 * ----------------------------------------------------------------
 */

static void
parse_column_spec(ParseCtx *ctx, PolicySchemaColumn *col, const Node *node,
				  bool in_list_form)
{
	const Node *value;

	col->nullable = -1;
	if (!in_list_form && is_null(node))
		return;					/* "order_id:" declares the column only */
	if (node->type != NODE_MAPPING)
		invalid(ctx, node, col->path,
				"Write a column as name: {type: ..., nullable: ...}, or name: alone.",
				"expected a mapping");
	check_mapping(ctx, node, col->path,
				  in_list_form ? column_item_fields : column_fields);
	if (in_list_form)
		col->name = get_string(ctx, required(ctx, node, col->path, "name"),
							   path_field(ctx, col->path, "name"), false);
	if ((value = optional(node, "type")) != NULL)
		col->type = get_string(ctx, value, path_field(ctx, col->path, "type"),
							   false);
	if ((value = optional(node, "nullable")) != NULL)
		col->nullable = get_bool(ctx, value,
								 path_field(ctx, col->path, "nullable"));
}

/* columns: {order_id: {type: bigint}, ...}, in document order */
static void
parse_column_map(ParseCtx *ctx, const Node *columns, const char *path)
{
	Policy	   *p = ctx->pol;
	PolicySchemaColumn *col;
	const Node *key;
	int			i;

	check_mapping(ctx, columns, path, NULL);
	p->nschema_columns = columns->nitems / 2;
	p->schema_columns = pol_alloc(ctx, (size_t) p->nschema_columns *
								  sizeof(PolicySchemaColumn));
	for (i = 0; i < p->nschema_columns; i++)
	{
		key = columns->items[2 * i];
		col = &p->schema_columns[i];
		if (key->text[0] == '\0')
			invalid(ctx, key, path, NULL, "a column name must not be empty");
		col->name = pol_strdup(ctx, key->text);
		col->path = path_field(ctx, path, key->text);
		parse_column_spec(ctx, col, columns->items[2 * i + 1], false);
	}
}

/* columns: [{name: order_id, type: bigint}, ...], the normal form */
static void
parse_column_list(ParseCtx *ctx, const Node *columns, const char *path)
{
	Policy	   *p = ctx->pol;
	const char **names;
	int			i;
	int			dup;

	p->nschema_columns = columns->nitems;
	p->schema_columns = pol_alloc(ctx, (size_t) p->nschema_columns *
								  sizeof(PolicySchemaColumn));
	names = tmp_alloc(ctx, (size_t) columns->nitems * sizeof(char *));
	for (i = 0; i < p->nschema_columns; i++)
	{
		p->schema_columns[i].path = path_index(ctx, path, i);
		parse_column_spec(ctx, &p->schema_columns[i], columns->items[i], true);
		names[i] = p->schema_columns[i].name;
	}
	dup = find_duplicate(ctx, names, columns->nitems);
	if (dup >= 0)
		invalid(ctx, field(columns->items[dup], "name"),
				path_field(ctx, p->schema_columns[dup].path, "name"), NULL,
				"duplicate column \"%s\"", names[dup]);
}

static void
parse_schema(ParseCtx *ctx, const Node *node)
{
	Policy	   *p = ctx->pol;
	const Node *columns;
	const Node *extra;

	check_mapping(ctx, node, "schema", schema_fields);
	columns = required(ctx, node, "schema", "columns");
	if (columns->type == NODE_SEQUENCE)
		parse_column_list(ctx, columns, "schema.columns");
	else if (columns->type == NODE_MAPPING)
		parse_column_map(ctx, columns, "schema.columns");
	else
		invalid(ctx, columns, "schema.columns",
				"Write columns as a mapping: {order_id: {type: bigint}, ...}.",
				"expected a mapping of columns");
	if (p->nschema_columns == 0)
		invalid(ctx, columns, "schema.columns", NULL,
				"expected at least one column");
	if ((extra = field(node, "extra_columns")) != NULL)
		p->forbid_extra_columns =
			get_enum(ctx, extra, "schema.extra_columns",
					 extra_columns_names) == 1;
	p->has_schema = true;
}

static void
parse_freshness(ParseCtx *ctx, const Node *node)
{
	Policy	   *p = ctx->pol;

	check_mapping(ctx, node, "freshness", freshness_fields);
	p->freshness_column =
		get_string(ctx, required(ctx, node, "freshness", "column"),
				   "freshness.column", false);
	p->freshness_max_age =
		get_string(ctx, required(ctx, node, "freshness", "max_age"),
				   "freshness.max_age", false);
	p->has_freshness = true;
}

static void
parse_lineage(ParseCtx *ctx, const Node *node)
{
	Policy	   *p = ctx->pol;
	const Node *inputs;
	const Node *value;
	int			i;
	int			dup;

	check_mapping(ctx, node, "lineage", lineage_fields);
	p->lineage_job = get_string(ctx, required(ctx, node, "lineage", "job"),
								"lineage.job", false);
	inputs = required(ctx, node, "lineage", "inputs");
	if (inputs->type != NODE_SEQUENCE)
		invalid(ctx, inputs, "lineage.inputs", NULL, "expected a list");
	p->nlineage_inputs = inputs->nitems;
	p->lineage_inputs = pol_alloc(ctx, (size_t) inputs->nitems * sizeof(char *));
	for (i = 0; i < inputs->nitems; i++)
		p->lineage_inputs[i] =
			get_string(ctx, inputs->items[i],
					   path_index(ctx, "lineage.inputs", i), false);
	dup = find_duplicate(ctx, p->lineage_inputs, p->nlineage_inputs);
	if (dup >= 0)
		invalid(ctx, inputs->items[dup], path_index(ctx, "lineage.inputs", dup),
				NULL, "duplicate input \"%s\"", p->lineage_inputs[dup]);
	if ((value = field(node, "require_certified_inputs")) != NULL)
		p->require_certified_inputs =
			get_bool(ctx, value, "lineage.require_certified_inputs");
	p->has_lineage = true;
}

/* A robustness limit: a number >= 0 (<= 1 for a rate), when present. */
static void
parse_limit(ParseCtx *ctx, const Node *node, const char *name, bool is_rate,
			bool *has, double *limit)
{
	const Node *value = field(node, name);
	const char *path;

	if (value == NULL || is_null(value))
		return;
	path = pol_printf(ctx, "robustness.%s", name);
	*limit = get_number(ctx, value, path);
	if (*limit < 0 || (is_rate && *limit > 1))
		invalid(ctx, value, path, NULL, is_rate ? "must be between 0 and 1" :
				"must not be negative");
	*has = true;
}

static void
parse_robustness(ParseCtx *ctx, const Node *node)
{
	Policy	   *p = ctx->pol;
	const Node *columns;
	const Node *value;
	int			i;
	int			dup;

	check_mapping(ctx, node, "robustness", robustness_fields);
	p->robustness_baseline = "last_certified";
	if ((value = field(node, "baseline")) != NULL && !is_null(value))
	{
		p->robustness_baseline = get_string(ctx, value, "robustness.baseline", false);
		if (strcmp(p->robustness_baseline, "last_certified") != 0)
			fail_node(ctx, POLICY_ERR_UNSUPPORTED, value, "robustness.baseline", NULL,
					  "only \"last_certified\" is supported as a baseline yet");
	}
	columns = required(ctx, node, "robustness", "columns");
	if (columns->type != NODE_SEQUENCE || columns->nitems == 0)
		invalid(ctx, columns, "robustness.columns", NULL, "expected a non-empty list");
	p->nrobustness_columns = columns->nitems;
	p->robustness_columns = pol_alloc(ctx, (size_t) columns->nitems * sizeof(char *));
	for (i = 0; i < columns->nitems; i++)
		p->robustness_columns[i] =
			get_string(ctx, columns->items[i],
					   path_index(ctx, "robustness.columns", i), false);
	dup = find_duplicate(ctx, p->robustness_columns, p->nrobustness_columns);
	if (dup >= 0)
		invalid(ctx, columns->items[dup], path_index(ctx, "robustness.columns", dup),
				NULL, "duplicate column \"%s\"", p->robustness_columns[dup]);
	parse_limit(ctx, node, "psi_max", false, &p->has_psi_max, &p->psi_max);
	parse_limit(ctx, node, "null_rate_change_max", true,
				&p->has_null_rate_change_max, &p->null_rate_change_max);
	parse_limit(ctx, node, "row_count_change_max", false,
				&p->has_row_count_change_max, &p->row_count_change_max);
	if (!p->has_psi_max && !p->has_null_rate_change_max &&
		!p->has_row_count_change_max)
		invalid(ctx, node, "robustness",
				"Set psi_max (0.25 is the usual limit), null_rate_change_max or row_count_change_max.",
				"robustness needs at least one limit");
	p->has_robustness = true;
}

/* ----------------------------------------------------------------
 * Fairness and explainability (the high tier's model sections)
 * ----------------------------------------------------------------
 */

static int	get_column_list(ParseCtx *ctx, const Node *list, const char *path,
							const char ***names);

/* One protected entry: a column name, or a list of them (an intersection). */
static void
parse_group_set(ParseCtx *ctx, PolicyGroupSet *set, const Node *node, int index)
{
	set->path = path_index(ctx, "fairness.protected", index);
	if (node->type == NODE_SEQUENCE)
	{
		set->ncolumns = get_column_list(ctx, node, set->path, &set->columns);
		return;
	}
	set->columns = pol_alloc(ctx, sizeof(char *));
	set->columns[0] = get_string(ctx, node, set->path, false);
	set->ncolumns = 1;
}

/* The entries' names ("race", "race,sex"), to find one written twice. */
static void
parse_protected(ParseCtx *ctx, const Node *node)
{
	Policy	   *p = ctx->pol;
	const char **keys;
	int			i;
	int			j;
	int			dup;

	if (node->type != NODE_SEQUENCE || node->nitems == 0)
		invalid(ctx, node, "fairness.protected",
				"Write a list of columns, or [[a, b]] for the intersection of a and b.",
				"expected a non-empty list");
	p->nfairness_protected = node->nitems;
	p->fairness_protected = pol_alloc(ctx, (size_t) node->nitems * sizeof(PolicyGroupSet));
	keys = tmp_alloc(ctx, (size_t) node->nitems * sizeof(char *));
	for (i = 0; i < node->nitems; i++)
	{
		PolicyGroupSet *set = &p->fairness_protected[i];

		parse_group_set(ctx, set, node->items[i], i);
		keys[i] = set->columns[0];
		for (j = 1; j < set->ncolumns; j++)
			keys[i] = pol_printf(ctx, "%s\x1f%s", keys[i], set->columns[j]);
	}
	dup = find_duplicate(ctx, keys, node->nitems);
	if (dup >= 0)
		invalid(ctx, node->items[dup], path_index(ctx, "fairness.protected", dup),
				NULL, "duplicate protected entry");
}

static bool
protects_column(const Policy *p, const char *column)
{
	int			i;
	int			j;

	for (i = 0; i < p->nfairness_protected; i++)
		for (j = 0; j < p->fairness_protected[i].ncolumns; j++)
			if (strcmp(p->fairness_protected[i].columns[j], column) == 0)
				return true;
	return false;
}

/* reference_group: {column: value, ...}, every column a protected one. */
static void
parse_reference_group(ParseCtx *ctx, const Node *node)
{
	Policy	   *p = ctx->pol;
	int			i;

	check_mapping(ctx, node, "fairness.reference_group", NULL);
	p->nreference = node->nitems / 2;
	p->reference_columns = pol_alloc(ctx, (size_t) p->nreference * sizeof(char *));
	p->reference_values = pol_alloc(ctx, (size_t) p->nreference * sizeof(char *));
	for (i = 0; i < p->nreference; i++)
	{
		const Node *key = node->items[2 * i];
		const Node *value = node->items[2 * i + 1];
		const char *path = pol_printf(ctx, "fairness.reference_group.%s", key->text);

		p->reference_columns[i] = pol_strdup(ctx, key->text);
		if (!protects_column(p, key->text))
			invalid(ctx, key, path, "Name a column of fairness.protected.",
					"\"%s\" is not a protected column", key->text);
		if (value->type != NODE_SCALAR || is_null(value))
			invalid(ctx, value, path, NULL, "expected a value");
		p->reference_values[i] = pol_strdup(ctx, value->text);
	}
}

static int
metric_index(const char *name)
{
	int			i;

	for (i = 0; fairness_metric_names[i] != NULL; i++)
		if (strcmp(fairness_metric_names[i], name) == 0)
			return i;
	return -1;
}

/* limits: {metric: {min: x, max: y}, ...}; at least one bound each. */
static void
parse_fairness_limits(ParseCtx *ctx, const Node *node)
{
	Policy	   *p = ctx->pol;
	char		hint[512];
	int			i;

	check_mapping(ctx, node, "fairness.limits", NULL);
	if (node->nitems == 0)
		invalid(ctx, node, "fairness.limits", NULL, "expected at least one limit");
	join_names(hint, sizeof(hint), "Metrics are: ", fairness_metric_names, ", ", ".");
	for (i = 0; i < node->nitems; i += 2)
	{
		const Node *key = node->items[i];
		const Node *value = node->items[i + 1];
		const char *path = pol_printf(ctx, "fairness.limits.%s", key->text);
		int			m = metric_index(key->text);
		PolicyFairnessLimit *limit;
		const Node *bound;

		if (m < 0)
			invalid(ctx, key, path, hint, "unknown metric \"%s\"", key->text);
		limit = &p->fairness_limits[m];
		check_mapping(ctx, value, path, limit_fields);
		if ((bound = optional(value, "min")) != NULL)
		{
			limit->min = get_number(ctx, bound, path_field(ctx, path, "min"));
			limit->has_min = true;
		}
		if ((bound = optional(value, "max")) != NULL)
		{
			limit->max = get_number(ctx, bound, path_field(ctx, path, "max"));
			limit->has_max = true;
		}
		if (!limit->has_min && !limit->has_max)
			invalid(ctx, value, path, NULL, "expected min or max");
		if (limit->has_min && limit->has_max && limit->min > limit->max)
			invalid(ctx, value, path, NULL, "min is greater than max");
	}
}

static void
parse_fairness(ParseCtx *ctx, const Node *node)
{
	Policy	   *p = ctx->pol;
	const Node *value;
	const char *digits;

	check_mapping(ctx, node, "fairness", fairness_fields);
	parse_protected(ctx, required(ctx, node, "fairness", "protected"));
	p->fairness_label = get_string(ctx, required(ctx, node, "fairness", "label"),
								   "fairness.label", false);
	p->fairness_prediction = get_string(ctx, required(ctx, node, "fairness", "prediction"),
										"fairness.prediction", false);
	if ((value = optional(node, "reference_group")) != NULL)
		parse_reference_group(ctx, value);
	p->min_group_size = 1;
	if ((value = optional(node, "min_group_size")) != NULL)
	{
		p->min_group_size = get_count(ctx, value, "fairness.min_group_size", &digits);
		if (p->min_group_size < 1 || p->min_group_size > INT32_MAX)
			invalid(ctx, value, "fairness.min_group_size", NULL,
					"must be between 1 and %d", INT32_MAX);
	}
	parse_fairness_limits(ctx, required(ctx, node, "fairness", "limits"));
	p->has_fairness = true;
}

static void
parse_explainability(ParseCtx *ctx, const Node *node)
{
	Policy	   *p = ctx->pol;
	const Node *value;
	const char *digits;

	check_mapping(ctx, node, "explainability", explainability_fields);
	p->model_card = get_string(ctx, required(ctx, node, "explainability", "model_card"),
							   "explainability.model_card", false);
	p->nexplain_features = get_column_list(ctx,
										   required(ctx, node, "explainability", "features"),
										   "explainability.features",
										   &p->explain_features);
	if ((value = optional(node, "prediction")) != NULL)
		p->explain_prediction = get_string(ctx, value, "explainability.prediction", false);
	p->min_features_explained = 1;
	if ((value = optional(node, "min_features_explained")) != NULL)
	{
		p->min_features_explained =
			get_count(ctx, value, "explainability.min_features_explained", &digits);
		if (p->min_features_explained > p->nexplain_features)
			invalid(ctx, value, "explainability.min_features_explained", NULL,
					"must not exceed the number of features (%d)", p->nexplain_features);
	}
	p->min_information = 0.001;
	if ((value = optional(node, "min_information")) != NULL)
	{
		p->min_information = get_number(ctx, value, "explainability.min_information");
		if (p->min_information < 0)
			invalid(ctx, value, "explainability.min_information", NULL,
					"must not be negative");
	}
	p->has_explainability = true;
}

/* ----------------------------------------------------------------
 * Checks
 * ----------------------------------------------------------------
 */

static const char *
check_path(ParseCtx *ctx, const PolicyCheck *c, const char *name)
{
	return path_field(ctx, c->path, name);
}

static void
parse_check_column(ParseCtx *ctx, PolicyCheck *c, const Node *map)
{
	c->column = get_string(ctx, required(ctx, map, c->path, "column"),
						   check_path(ctx, c, "column"), false);
}

/* name, severity, where, mostly: every kind's fields allow what applies */
static void
parse_common(ParseCtx *ctx, PolicyCheck *c, const Node *map)
{
	const Node *value;

	if ((value = field(map, "name")) != NULL)
	{
		c->name = get_string(ctx, value, check_path(ctx, c, "name"), false);
		ctx->sources[c->index].name_value = value;
	}
	if ((value = field(map, "severity")) != NULL)
		c->severity = get_enum(ctx, value, check_path(ctx, c, "severity"),
							   severity_names);
	if ((value = field(map, "where")) != NULL)
		c->where = get_string(ctx, value, check_path(ctx, c, "where"), false);
	if ((value = field(map, "mostly")) != NULL)
	{
		c->mostly = get_number(ctx, value, check_path(ctx, c, "mostly"));
		if (!(c->mostly > 0 && c->mostly <= 1))
			invalid(ctx, value, check_path(ctx, c, "mostly"), NULL,
					"must be greater than 0 and at most 1");
		c->has_mostly = true;
	}
}

/*
 * A non-empty list of distinct, non-empty column names (columns, order_by);
 * returns how many, and the names in *names.
 */
static int
get_column_list(ParseCtx *ctx, const Node *list, const char *path,
				const char ***names)
{
	const char **items;
	int			i;
	int			dup;

	if (list->type != NODE_SEQUENCE)
		invalid(ctx, list, path, NULL, "expected a list of column names");
	if (list->nitems == 0)
		invalid(ctx, list, path, NULL, "expected at least one column");
	items = pol_alloc(ctx, (size_t) list->nitems * sizeof(char *));
	for (i = 0; i < list->nitems; i++)
		items[i] = get_string(ctx, list->items[i], path_index(ctx, path, i),
							  false);
	dup = find_duplicate(ctx, items, list->nitems);
	if (dup >= 0)
		invalid(ctx, list->items[dup], path_index(ctx, path, dup), NULL,
				"duplicate column \"%s\"", items[dup]);
	*names = items;
	return list->nitems;
}

/* columns: [...] of unique, columns_in_order, multicolumn_sum */
static void
parse_columns(ParseCtx *ctx, PolicyCheck *c, const Node *columns)
{
	c->ncolumns = get_column_list(ctx, columns, check_path(ctx, c, "columns"),
								  &c->columns);
}

static void
parse_ignore_row_if(ParseCtx *ctx, PolicyCheck *c, const Node *map,
					const char *const *names)
{
	const Node *value = field(map, "ignore_row_if");

	if (value != NULL)
		c->ignore_row_if = (PolicyIgnoreRowIf)
			get_enum(ctx, value, check_path(ctx, c, "ignore_row_if"), names);
}

static void
parse_unique(ParseCtx *ctx, PolicyCheck *c, const Node *map)
{
	const Node *column = field(map, "column");
	const Node *columns = field(map, "columns");
	const Node *ignore = field(map, "ignore_row_if");

	if (column != NULL && columns != NULL)
		invalid(ctx, columns, c->path, NULL,
				"give either column or columns, not both");
	if (column != NULL)
	{
		if (ignore != NULL)
			invalid(ctx, ignore, check_path(ctx, c, "ignore_row_if"), NULL,
					"ignore_row_if applies only to columns");
		parse_check_column(ctx, c, map);
		return;
	}
	if (columns == NULL)
		invalid(ctx, map, c->path, NULL,
				"missing required field \"column\" or \"columns\"");
	parse_columns(ctx, c, columns);
	parse_ignore_row_if(ctx, c, map, ignore_row_if_names);
}

static void
parse_values(ParseCtx *ctx, PolicyCheck *c, const Node *map)
{
	const Node *values = required(ctx, map, c->path, "values");
	const char *path = check_path(ctx, c, "values");
	const Node *item;
	const char *ipath;
	int			i;

	parse_check_column(ctx, c, map);
	if (values->type != NODE_SEQUENCE)
		invalid(ctx, values, path, NULL, "expected a list of values");
	/* no accepted value fails every value: a check that can fail */
	if (values->nitems == 0 && c->kind != CHECK_ACCEPTED_VALUES)
		invalid(ctx, values, path, NULL, "expected at least one value");
	c->nvalues = values->nitems;
	c->values = pol_alloc(ctx, (size_t) c->nvalues * sizeof(PolicyScalar));
	for (i = 0; i < c->nvalues; i++)
	{
		item = values->items[i];
		ipath = path_index(ctx, path, i);
		if (item->type != NODE_SCALAR)
			invalid(ctx, item, ipath, NULL, "expected a scalar value");
		if (is_null(item))
			invalid(ctx, item, ipath, NULL,
					"null is not a value; use not_null or be_null");
		set_scalar(ctx, &c->values[i], item, ipath, NULL);
	}
}

/* What a bound (or an equals) holds; see PolicyCheck. */
typedef enum BoundType
{
	BOUND_VALUE,				/* a value of the column's type, as written */
	BOUND_NUMBER,				/* a decimal number, as written */
	BOUND_COUNT					/* a non-negative integer, canonical digits */
} BoundType;

/* A bound's value, to compare min with max. */
typedef struct BoundValue
{
	int64_t		count;			/* BOUND_COUNT */
	double		number;			/* BOUND_NUMBER */
} BoundValue;

/*
 * A decimal number kept as written.  Unlike min_score or mostly, it may be
 * quoted: the normal form writes it as a string, to keep its text.
 */
static double
get_number_text(ParseCtx *ctx, const Node *node, const char *path)
{
	double		value;

	if (node->type != NODE_SCALAR || is_null(node) ||
		!parse_number(node->text, &value))
		invalid(ctx, node, path, NULL, "expected a number");
	return value;
}

/* min, max or equals, when present; its value goes to *bv. */
static void
parse_bound(ParseCtx *ctx, PolicyCheck *c, const Node *map, const char *name,
			PolicyBound *bound, BoundType type, BoundValue *bv)
{
	const Node *value = field(map, name);
	const char *path;
	const char *text = NULL;

	if (value == NULL)
		return;
	path = check_path(ctx, c, name);
	switch (type)
	{
		case BOUND_COUNT:
			bv->count = get_count(ctx, value, path, &text);
			break;
		case BOUND_NUMBER:
			bv->number = get_number_text(ctx, value, path);
			break;
		case BOUND_VALUE:
			if (value->type != NODE_SCALAR)
				invalid(ctx, value, path, NULL, "expected a scalar value");
			if (is_null(value))
				invalid(ctx, value, path, NULL,
						"null is not a value; leave the bound out");
			break;
	}
	bound->present = true;
	set_scalar(ctx, &bound->value, value, path, text);
}

static void
parse_strict(ParseCtx *ctx, PolicyCheck *c, const Node *map, const char *name,
			 PolicyBound *bound, const char *bound_name)
{
	const Node *value = field(map, name);
	const char *path;

	if (value == NULL)
		return;
	path = check_path(ctx, c, name);
	bound->strict = get_bool(ctx, value, path);
	if (!bound->present)
		invalid(ctx, value, path, NULL, "%s requires %s", name, bound_name);
}

static bool
min_above_max(const PolicyCheck *c, BoundType type, const BoundValue *min,
			  const BoundValue *max)
{
	if (!c->min.present || !c->max.present)
		return false;
	if (type == BOUND_COUNT)
		return min->count > max->count;
	if (type == BOUND_NUMBER)
		return min->number > max->number;
	return false;				/* the backend compares values of the type */
}

/* between, length_between and the aggregate *_between kinds */
static void
parse_between(ParseCtx *ctx, PolicyCheck *c, const Node *map, BoundType type)
{
	BoundValue	min = {0, 0};
	BoundValue	max = {0, 0};

	parse_check_column(ctx, c, map);
	parse_bound(ctx, c, map, "min", &c->min, type, &min);
	parse_bound(ctx, c, map, "max", &c->max, type, &max);
	parse_strict(ctx, c, map, "strict_min", &c->min, "min");
	parse_strict(ctx, c, map, "strict_max", &c->max, "max");
	if (!c->min.present && !c->max.present)
		invalid(ctx, map, c->path, NULL,
				"at least one of min or max is required");
	/* lengths in an empty range fail every value, as Great Expectations has it */
	if (c->kind != CHECK_LENGTH_BETWEEN && min_above_max(c, type, &min, &max))
		invalid(ctx, field(map, "min"), c->path, NULL,
				"min is greater than max");
}

/* row_count, column_count */
static void
parse_count(ParseCtx *ctx, PolicyCheck *c, const Node *map)
{
	const Node *equals = field(map, "equals");
	BoundValue	min = {0, 0};
	BoundValue	max = {0, 0};

	if (equals != NULL)
	{
		if (field(map, "min") != NULL || field(map, "max") != NULL)
			invalid(ctx, equals, check_path(ctx, c, "equals"), NULL,
					"equals excludes min and max");
		parse_bound(ctx, c, map, "equals", &c->min, BOUND_COUNT, &min);
		c->max = c->min;
		c->has_equals = true;
		return;
	}
	parse_bound(ctx, c, map, "min", &c->min, BOUND_COUNT, &min);
	parse_bound(ctx, c, map, "max", &c->max, BOUND_COUNT, &max);
	if (!c->min.present && !c->max.present)
		invalid(ctx, map, c->path, NULL,
				"at least one of min, max or equals is required");
	if (min_above_max(c, BOUND_COUNT, &min, &max))
		invalid(ctx, field(map, "min"), c->path, NULL,
				"min is greater than max");
}

/* A 1-based position: a positive integer that fits int. */
static int
get_position(ParseCtx *ctx, const Node *node, const char *path)
{
	const char *p = node->text;
	int64_t		value = 0;

	if (node->type != NODE_SCALAR || !node->plain)
		invalid(ctx, node, path, NULL, "expected a positive integer");
	if (*p == '+')
		p++;
	if (*p == '\0')
		invalid(ctx, node, path, NULL, "expected a positive integer");
	for (; *p != '\0'; p++)
	{
		if (*p < '0' || *p > '9')
			invalid(ctx, node, path, NULL, "expected a positive integer");
		value = value * 10 + (*p - '0');
		if (value > INT_MAX)
			invalid(ctx, node, path, NULL, "integer out of range");
	}
	if (value == 0)
		invalid(ctx, node, path,
				"Positions are 1-based: the first column is at position 1.",
				"position must be at least 1");
	return (int) value;
}

static void
parse_column_exists(ParseCtx *ctx, PolicyCheck *c, const Node *map)
{
	const Node *value;

	parse_check_column(ctx, c, map);
	if ((value = field(map, "position")) != NULL)
		c->position = get_position(ctx, value, check_path(ctx, c, "position"));
}

static void
parse_pair_greater(ParseCtx *ctx, PolicyCheck *c, const Node *map)
{
	const Node *value;

	c->a = get_string(ctx, required(ctx, map, c->path, "a"),
					  check_path(ctx, c, "a"), false);
	c->b = get_string(ctx, required(ctx, map, c->path, "b"),
					  check_path(ctx, c, "b"), false);
	if (strcmp(c->a, c->b) == 0)
		invalid(ctx, field(map, "b"), check_path(ctx, c, "b"), NULL,
				"a and b must be different columns");
	if ((value = field(map, "or_equal")) != NULL)
		c->or_equal = get_bool(ctx, value, check_path(ctx, c, "or_equal"));
	parse_ignore_row_if(ctx, c, map, pair_ignore_row_if_names);
}

static void
parse_multicolumn_sum(ParseCtx *ctx, PolicyCheck *c, const Node *map)
{
	BoundValue	equals = {0, 0};

	parse_columns(ctx, c, required(ctx, map, c->path, "columns"));
	(void) required(ctx, map, c->path, "equals");
	parse_bound(ctx, c, map, "equals", &c->min, BOUND_NUMBER, &equals);
	c->max = c->min;
	c->has_equals = true;
	parse_ignore_row_if(ctx, c, map, ignore_row_if_names);
}

static void
parse_increasing(ParseCtx *ctx, PolicyCheck *c, const Node *map)
{
	const Node *value;
	const char *path;

	parse_check_column(ctx, c, map);
	if ((value = field(map, "strictly")) != NULL)
		c->strictly = get_bool(ctx, value, check_path(ctx, c, "strictly"));
	if ((value = field(map, "order_by")) == NULL)
		return;
	path = check_path(ctx, c, "order_by");
	if (value->type == NODE_SEQUENCE)
		c->norder_by = get_column_list(ctx, value, path, &c->order_by);
	else if (value->type == NODE_SCALAR && !is_null(value))
	{
		/* one column is a list of one: the normal form writes a list */
		c->order_by = pol_alloc(ctx, sizeof(char *));
		c->order_by[0] = get_string(ctx, value, path, false);
		c->norder_by = 1;
	}
	else
		invalid(ctx, value, path, NULL,
				"expected a column name or a list of column names");
}

static void
parse_kind_fields(ParseCtx *ctx, PolicyCheck *c, const Node *map)
{
	switch (c->kind)
	{
		case CHECK_NOT_NULL:
		case CHECK_BE_NULL:
			parse_check_column(ctx, c, map);
			break;
		case CHECK_UNIQUE:
			parse_unique(ctx, c, map);
			break;
		case CHECK_ACCEPTED_VALUES:
		case CHECK_REJECTED_VALUES:
			parse_values(ctx, c, map);
			break;
		case CHECK_BETWEEN:
		case CHECK_MIN_BETWEEN:
		case CHECK_MAX_BETWEEN:
		case CHECK_SUM_BETWEEN:
			parse_between(ctx, c, map, BOUND_VALUE);
			break;
		case CHECK_MEAN_BETWEEN:
		case CHECK_MEDIAN_BETWEEN:
		case CHECK_STDEV_BETWEEN:
		case CHECK_DISTINCT_RATIO_BETWEEN:
			parse_between(ctx, c, map, BOUND_NUMBER);
			break;
		case CHECK_LENGTH_BETWEEN:
		case CHECK_DISTINCT_COUNT_BETWEEN:
			parse_between(ctx, c, map, BOUND_COUNT);
			break;
		case CHECK_MATCHES:
		case CHECK_NOT_MATCHES:
			parse_check_column(ctx, c, map);
			/* '' matches every value: refused where nothing could fail */
			c->regex = get_string(ctx, required(ctx, map, c->path, "regex"),
								  check_path(ctx, c, "regex"),
								  c->kind == CHECK_NOT_MATCHES);
			break;
		case CHECK_ROW_COUNT:
		case CHECK_COLUMN_COUNT:
			parse_count(ctx, c, map);
			break;
		case CHECK_REFERENCES:
			parse_check_column(ctx, c, map);
			c->ref_table = get_string(ctx, required(ctx, map, c->path, "table"),
									  check_path(ctx, c, "table"), false);
			c->ref_column = get_string(ctx, required(ctx, map, c->path, "to"),
									   check_path(ctx, c, "to"), false);
			break;
		case CHECK_SQL:
			if (c->name == NULL)
				invalid(ctx, map, c->path, NULL,
						"missing required field \"name\"");
			c->failing_rows =
				get_string(ctx, required(ctx, map, c->path, "failing_rows"),
						   check_path(ctx, c, "failing_rows"), false);
			break;
		case CHECK_COLUMNS_IN_ORDER:
			parse_columns(ctx, c, required(ctx, map, c->path, "columns"));
			break;
		case CHECK_COLUMN_EXISTS:
			parse_column_exists(ctx, c, map);
			break;
		case CHECK_COLUMN_TYPE:
			parse_check_column(ctx, c, map);
			c->type_name = get_string(ctx, required(ctx, map, c->path, "type"),
									  check_path(ctx, c, "type"), false);
			break;
		case CHECK_PAIR_GREATER:
			parse_pair_greater(ctx, c, map);
			break;
		case CHECK_MULTICOLUMN_SUM:
			parse_multicolumn_sum(ctx, c, map);
			break;
		case CHECK_INCREASING:
			parse_increasing(ctx, c, map);
			break;
		case CHECK_KIND_COUNT:
			break;
	}
}

/* kind(column), unique(a,b), pair_greater(a,b), row_count */
static const char *
default_check_name(ParseCtx *ctx, const PolicyCheck *c)
{
	size_t		len = strlen(c->kind_name) + 3;
	char	   *name;
	int			i;

	if (c->column != NULL)
		return pol_printf(ctx, "%s(%s)", c->kind_name, c->column);
	if (c->kind == CHECK_PAIR_GREATER)
		return pol_printf(ctx, "%s(%s,%s)", c->kind_name, c->a, c->b);
	if (c->ncolumns == 0)
		return c->kind_name;
	for (i = 0; i < c->ncolumns; i++)
		len += strlen(c->columns[i]) + 1;
	name = pol_alloc(ctx, len);
	strcpy(name, c->kind_name);
	strcat(name, "(");
	for (i = 0; i < c->ncolumns; i++)
	{
		if (i > 0)
			strcat(name, ",");
		strcat(name, c->columns[i]);
	}
	strcat(name, ")");
	return name;
}

static int
find_kind(const char *name)
{
	int			kind;

	for (kind = 0; kind < CHECK_KIND_COUNT; kind++)
	{
		if (strcmp(policy_check_kind_names[kind], name) == 0)
			return kind;
	}
	return -1;
}

static void
unknown_kind(ParseCtx *ctx, const Node *key, const char *path)
{
	char		hint[512];
	const char *names[CHECK_KIND_COUNT + 1];
	int			i;

	for (i = 0; i < CHECK_KIND_COUNT; i++)
		names[i] = policy_check_kind_names[i];
	names[CHECK_KIND_COUNT] = NULL;
	join_names(hint, sizeof(hint), "Known check kinds are: ", names, ", ", ".");
	invalid(ctx, key, path, hint, "unknown check kind \"%s\"", key->text);
}

/*
 * mostly on a check that passes or fails as a whole: a clearer error than
 * check_mapping's unknown field.
 */
static void
refuse_mostly(ParseCtx *ctx, const PolicyCheck *c, const Node *map)
{
	const KindInfo *info = &kind_info[c->kind];
	const Node *key;
	int			i;

	if (info->whole == NULL)
		return;
	for (i = 0; i < map->nitems; i += 2)
	{
		key = map->items[i];
		if (key->type == NODE_SCALAR && strcmp(key->text, "mostly") == 0)
			invalid(ctx, key, check_path(ctx, c, "mostly"),
					"mostly is the fraction of rows that must pass, for "
					"row-level checks; this check passes or fails as a whole.",
					"mostly does not apply to %s, %s",
					c->kind_name, info->whole);
	}
}

/* The value of "- kind: value": a column name or a mapping of parameters. */
static void
parse_check_value(ParseCtx *ctx, PolicyCheck *c, const Node *value)
{
	const KindInfo *info = &kind_info[c->kind];

	if (value->type == NODE_MAPPING)
	{
		refuse_mostly(ctx, c, value);
		check_mapping(ctx, value, c->path, info->fields);
		parse_common(ctx, c, value);
		parse_kind_fields(ctx, c, value);
	}
	else if (!info->short_form)
		invalid(ctx, value, c->path, NULL, "expected a mapping with %s",
				info->needs);
	else if (value->type == NODE_SCALAR && !is_null(value))
		c->column = get_string(ctx, value, c->path, false);
	else
		invalid(ctx, value, c->path, NULL,
				"expected a column name or a mapping of parameters");
}

static void
parse_check(ParseCtx *ctx, const Node *item, int index)
{
	PolicyCheck *c = &ctx->pol->checks[index];
	const char *path = path_index(ctx, "checks", index);
	const Node *key;
	int			kind;

	if (item->type != NODE_MAPPING || item->nitems != 2)
		invalid(ctx, item, path,
				"Write a check as \"- kind: column\" or \"- kind: {parameters}\"; "
				"its parameters go under its kind.",
				"expected a mapping with one key, the check kind");
	key = item->items[0];
	if (key->type != NODE_SCALAR || is_null(key))
		invalid(ctx, key, path, NULL, "expected a check kind");
	kind = find_kind(key->text);
	if (kind < 0)
		unknown_kind(ctx, key, path);
	c->kind = (CheckKind) kind;
	c->kind_name = policy_check_kind_names[kind];
	c->index = index;
	c->path = path_field(ctx, path, c->kind_name);
	c->severity = SEVERITY_ERROR;
	c->mostly = 1.0;
	c->ignore_row_if = IGNORE_ROW_IF_ALL_MISSING;
	ctx->sources[index].kind_key = key;
	parse_check_value(ctx, c, item->items[1]);
	if (c->name == NULL)
		c->name = default_check_name(ctx, c);
}

/* Names identify results across runs, so two checks may not share one. */
static void
check_names_unique(ParseCtx *ctx)
{
	Policy	   *p = ctx->pol;
	const char **names;
	const PolicyCheck *c;
	const Node *at;
	char		hint[512];
	int			i;
	int			first;

	names = tmp_alloc(ctx, (size_t) p->nchecks * sizeof(char *));
	for (i = 0; i < p->nchecks; i++)
		names[i] = p->checks[i].name;
	i = find_duplicate(ctx, names, p->nchecks);
	if (i < 0)
		return;
	for (first = 0; strcmp(names[first], names[i]) != 0; first++)
		;
	c = &p->checks[i];
	at = ctx->sources[i].name_value;
	snprintf(hint, sizeof(hint),
			 "The check at %s has the same name; "
			 "give one of them a name: \"name: ...\".",
			 p->checks[first].path);
	if (at != NULL)
		invalid(ctx, at, check_path(ctx, c, "name"), hint,
				"duplicate check name \"%s\"", c->name);
	invalid(ctx, ctx->sources[i].kind_key, c->path, hint,
			"duplicate check name \"%s\"", c->name);
}

static void
parse_checks(ParseCtx *ctx, const Node *node)
{
	Policy	   *p = ctx->pol;
	int			i;

	if (node->type != NODE_SEQUENCE)
		invalid(ctx, node, "checks", NULL, "expected a list of checks");
	if (node->nitems > POLICY_MAX_CHECKS)
		fail_node(ctx, POLICY_ERR_LIMIT, node, "checks", NULL,
				  "too many checks (%d; the limit is %d)",
				  node->nitems, POLICY_MAX_CHECKS);
	p->checks = pol_alloc(ctx, (size_t) node->nitems * sizeof(PolicyCheck));
	ctx->sources = tmp_alloc(ctx, (size_t) node->nitems * sizeof(CheckSource));
	for (i = 0; i < node->nitems; i++)
	{
		parse_check(ctx, node->items[i], i);
		p->nchecks = i + 1;
	}
	check_names_unique(ctx);
}

/* ----------------------------------------------------------------
 * The whole policy
 * ----------------------------------------------------------------
 */

static double
get_min_score(ParseCtx *ctx, const Node *value)
{
	double		score = get_number(ctx, value, "min_score");

	if (score < 0 || score > 1)
		invalid(ctx, value, "min_score", NULL, "must be between 0 and 1");
	return score;
}

static void
parse_top_field(ParseCtx *ctx, const Node *key, const Node *value)
{
	Policy	   *p = ctx->pol;
	const char *k = key->text;
	int			i;

	if (strcmp(k, "dataset") == 0)
		p->dataset = get_string(ctx, value, k, false);
	else if (strcmp(k, "description") == 0)
		p->description = get_string(ctx, value, k, true);
	else if (strcmp(k, "tier") == 0)
	{
		p->tier = (PolicyTier) (get_enum(ctx, value, k, tier_names) + TIER_LOW);
		ctx->tier_value = value;
	}
	else if (strcmp(k, "min_score") == 0)
	{
		p->min_score = get_min_score(ctx, value);
		p->has_min_score = true;
	}
	else if (strcmp(k, "valid_for") == 0)
		p->valid_for = get_string(ctx, value, k, false);
	else if (strcmp(k, "owner") == 0)
		p->owner = get_string(ctx, value, k, false);
	else if (strcmp(k, "samples") == 0)
		p->samples = (PolicySamples) get_enum(ctx, value, k, samples_names);
	else if (strcmp(k, "schema") == 0)
		parse_schema(ctx, value);
	else if (strcmp(k, "freshness") == 0)
		parse_freshness(ctx, value);
	else if (strcmp(k, "checks") == 0)
	{
		ctx->checks_value = value;
		parse_checks(ctx, value);
	}
	else if (strcmp(k, "lineage") == 0)
		parse_lineage(ctx, value);
	else if (strcmp(k, "robustness") == 0)
	{
		ctx->has_section[1] = true;
		parse_robustness(ctx, value);
	}
	else if (strcmp(k, "fairness") == 0)
	{
		ctx->has_section[0] = true;
		parse_fairness(ctx, value);
	}
	else if (strcmp(k, "explainability") == 0)
	{
		ctx->has_section[2] = true;
		parse_explainability(ctx, value);
	}
	else
	{
		/* a section of the high tier: refused after the tier rules */
		for (i = 0; section_names[i] != NULL; i++)
		{
			if (strcmp(k, section_names[i]) == 0)
				ctx->has_section[i] = true;
		}
		if (ctx->unsupported_key == NULL)
			ctx->unsupported_key = key;
	}
}

static bool
has_counted_check(const Policy *p)
{
	int			i;

	for (i = 0; i < p->nchecks; i++)
	{
		if (p->checks[i].severity != SEVERITY_WARN)
			return true;
	}
	return false;
}

/* "the a, b and c sections", for the sections tier high lacks */
static void
missing_sections(ParseCtx *ctx, char *buf, size_t size)
{
	const char *missing[4];
	int			n = 0;
	int			i;

	for (i = 0; section_names[i] != NULL; i++)
	{
		if (!ctx->has_section[i])
			missing[n++] = section_names[i];
	}
	missing[n] = NULL;
	if (n == 0)
	{
		buf[0] = '\0';
		return;
	}
	join_names(buf, size, "the ", missing, " and ",
			   n == 1 ? " section" : " sections");
}

static void
check_tier_rules(ParseCtx *ctx)
{
	Policy	   *p = ctx->pol;
	const char *tier = policy_tier_name(p->tier);
	char		missing[128];

	if (p->tier < TIER_MEDIUM)
		return;
	if (!has_counted_check(p))
	{
		if (ctx->checks_value != NULL)
			invalid(ctx, ctx->checks_value, "checks", NULL,
					"tier %s requires at least one check of severity error or critical",
					tier);
		invalid(ctx, ctx->tier_value, "tier", NULL,
				"tier %s requires at least one check of severity error or critical",
				tier);
	}
	if (!p->has_lineage)
		invalid(ctx, ctx->tier_value, "tier", NULL,
				"tier %s requires a lineage section", tier);
	if (p->tier != TIER_HIGH)
		return;
	missing_sections(ctx, missing, sizeof(missing));
	if (missing[0] != '\0')
		invalid(ctx, ctx->tier_value, "tier", NULL, "tier high requires %s",
				missing);
}

static void
parse_policy(ParseCtx *ctx, const Node *root)
{
	Policy	   *p = ctx->pol;
	const Node *key;
	const Node *value;
	int			i;

	if (root == NULL || is_null(root))
		invalid(ctx, root, "", NULL, "policy is empty");
	if (root->type != NODE_MAPPING)
		invalid(ctx, root, "", NULL, "expected a mapping at the top level");
	check_mapping(ctx, root, "", top_fields);
	for (i = 0; i < root->nitems; i += 2)
	{
		key = root->items[i];
		value = root->items[i + 1];
		/* an explicit null is absent: the normal form writes "tier": null */
		if (!is_null(value))
			parse_top_field(ctx, key, value);
	}
	check_tier_rules(ctx);
	if (ctx->unsupported_key != NULL)
		fail_node(ctx, POLICY_ERR_UNSUPPORTED, ctx->unsupported_key,
				  ctx->unsupported_key->text, NULL,
				  "\"%s\" is not supported yet", ctx->unsupported_key->text);
	if (p->has_explainability && p->explain_prediction == NULL && !p->has_fairness)
		invalid(ctx, field(root, "explainability"), "explainability",
				"Give explainability.prediction, or a fairness section with its prediction.",
				"explainability needs a prediction");
	if (!p->has_schema && !p->has_freshness && p->nchecks == 0 &&
		!p->has_lineage && !p->has_robustness && !p->has_fairness &&
		!p->has_explainability)
		invalid(ctx, root, "",
				"Declare at least one of schema, freshness, checks, lineage, robustness, fairness or explainability.",
				"policy is empty");
}

/* ----------------------------------------------------------------
 * The normal form
 * ----------------------------------------------------------------
 */

static void
emit(ParseCtx *ctx, const char *s, size_t n)
{
	StrBuf	   *b = &ctx->out;
	size_t		cap;
	char	   *data;

	if (b->len + n + 1 > b->cap)
	{
		cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		data = realloc(b->data, cap);
		if (data == NULL)
			fail_nomem(ctx);
		b->data = data;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void
emit_raw(ParseCtx *ctx, const char *s)
{
	emit(ctx, s, strlen(s));
}

/* One UTF-8 character (libyaml has validated the text); *len gets its size. */
static unsigned int
utf8_decode(const unsigned char *s, int *len)
{
	unsigned int cp = s[0];
	int			n = 1;
	int			i;

	if (cp >= 0xF0)
	{
		n = 4;
		cp &= 0x07;
	}
	else if (cp >= 0xE0)
	{
		n = 3;
		cp &= 0x0F;
	}
	else if (cp >= 0xC0)
	{
		n = 2;
		cp &= 0x1F;
	}
	for (i = 1; i < n; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
		{
			*len = 1;
			return s[0];
		}
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	*len = n;
	return cp;
}

/*
 * Characters written as \uXXXX: JSON's control characters, and those that
 * libyaml would refuse or take for line breaks when the normal form is read
 * back (DEL, C1 controls, NEL, U+2028, U+2029, BOM, U+FFFE, U+FFFF).
 */
static bool
needs_escape(unsigned int cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) ||
		cp == 0x2028 || cp == 0x2029 ||
		cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF;
}

static void
emit_string(ParseCtx *ctx, const char *s)
{
	const unsigned char *p = (const unsigned char *) s;
	unsigned int cp;
	char		buf[8];
	int			len;

	if (s == NULL)
	{
		emit_raw(ctx, "null");
		return;
	}
	emit_raw(ctx, "\"");
	while (*p != '\0')
	{
		cp = utf8_decode(p, &len);
		if (cp == '"' || cp == '\\')
		{
			buf[0] = '\\';
			buf[1] = (char) cp;
			emit(ctx, buf, 2);
		}
		else if (needs_escape(cp))
		{
			snprintf(buf, sizeof(buf), "\\u%04x", cp);
			emit_raw(ctx, buf);
		}
		else
			emit(ctx, (const char *) p, (size_t) len);
		p += len;
	}
	emit_raw(ctx, "\"");
}

/* The shortest of %.15g, %.16g, %.17g that reads back as the same double. */
static void
emit_number(ParseCtx *ctx, double value)
{
	char		buf[64];
	int			precision;

	for (precision = 15; precision < 17; precision++)
	{
		snprintf(buf, sizeof(buf), "%.*g", precision, value);
		if (strtod(buf, NULL) == value)
			break;
	}
	if (precision == 17)
		snprintf(buf, sizeof(buf), "%.17g", value);
	emit_raw(ctx, buf);
}

static void
emit_bool(ParseCtx *ctx, bool value)
{
	emit_raw(ctx, value ? "true" : "false");
}

/* ", \"key\": " (no comma before the first key of an object) */
static void
emit_key(ParseCtx *ctx, const char *key, bool first)
{
	if (!first)
		emit_raw(ctx, ", ");
	emit_string(ctx, key);
	emit_raw(ctx, ": ");
}

static void
emit_string_array(ParseCtx *ctx, const char *const *items, int n)
{
	int			i;

	emit_raw(ctx, "[");
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			emit_raw(ctx, ", ");
		emit_string(ctx, items[i]);
	}
	emit_raw(ctx, "]");
}

static void
emit_schema(ParseCtx *ctx, const Policy *p)
{
	const PolicySchemaColumn *col;
	int			i;

	if (!p->has_schema)
	{
		emit_raw(ctx, "null");
		return;
	}
	emit_raw(ctx, "{\"columns\": [");
	for (i = 0; i < p->nschema_columns; i++)
	{
		col = &p->schema_columns[i];
		emit_raw(ctx, i > 0 ? ", {" : "{");
		emit_key(ctx, "name", true);
		emit_string(ctx, col->name);
		emit_key(ctx, "type", false);
		emit_string(ctx, col->type);
		emit_key(ctx, "nullable", false);
		emit_raw(ctx, col->nullable < 0 ? "null" :
				 (col->nullable ? "true" : "false"));
		emit_raw(ctx, "}");
	}
	emit_raw(ctx, "], \"extra_columns\": ");
	emit_string(ctx, extra_columns_names[p->forbid_extra_columns ? 1 : 0]);
	emit_raw(ctx, "}");
}

/* A bound: integers as numbers, values of the column's type as strings. */
static void
emit_bound(ParseCtx *ctx, const char *key, const PolicyBound *bound,
		   bool count)
{
	emit_key(ctx, key, false);
	if (count)
		emit_raw(ctx, bound->value.text);
	else
		emit_string(ctx, bound->value.text);
}

static void
emit_bounds(ParseCtx *ctx, const PolicyCheck *c, bool count)
{
	if (c->has_equals)
	{
		emit_bound(ctx, "equals", &c->min, count);
		return;
	}
	if (c->min.present)
		emit_bound(ctx, "min", &c->min, count);
	if (c->max.present)
		emit_bound(ctx, "max", &c->max, count);
	if (c->kind == CHECK_ROW_COUNT || c->kind == CHECK_COLUMN_COUNT)
		return;
	if (c->min.present)
	{
		emit_key(ctx, "strict_min", false);
		emit_bool(ctx, c->min.strict);
	}
	if (c->max.present)
	{
		emit_key(ctx, "strict_max", false);
		emit_bool(ctx, c->max.strict);
	}
}

/* The parameters proper to a kind, between the column and the severity. */
static void
emit_kind_params(ParseCtx *ctx, const PolicyCheck *c)
{
	char		buf[16];
	int			i;

	switch (c->kind)
	{
		case CHECK_ACCEPTED_VALUES:
		case CHECK_REJECTED_VALUES:
			emit_key(ctx, "values", false);
			emit_raw(ctx, "[");
			for (i = 0; i < c->nvalues; i++)
			{
				if (i > 0)
					emit_raw(ctx, ", ");
				emit_string(ctx, c->values[i].text);
			}
			emit_raw(ctx, "]");
			break;
		case CHECK_BETWEEN:
		case CHECK_MIN_BETWEEN:
		case CHECK_MAX_BETWEEN:
		case CHECK_SUM_BETWEEN:
		case CHECK_MEAN_BETWEEN:
		case CHECK_MEDIAN_BETWEEN:
		case CHECK_STDEV_BETWEEN:
		case CHECK_DISTINCT_RATIO_BETWEEN:
		case CHECK_MULTICOLUMN_SUM:
			emit_bounds(ctx, c, false);
			break;
		case CHECK_LENGTH_BETWEEN:
		case CHECK_DISTINCT_COUNT_BETWEEN:
		case CHECK_ROW_COUNT:
		case CHECK_COLUMN_COUNT:
			emit_bounds(ctx, c, true);
			break;
		case CHECK_MATCHES:
		case CHECK_NOT_MATCHES:
			emit_key(ctx, "regex", false);
			emit_string(ctx, c->regex);
			break;
		case CHECK_REFERENCES:
			emit_key(ctx, "table", false);
			emit_string(ctx, c->ref_table);
			emit_key(ctx, "to", false);
			emit_string(ctx, c->ref_column);
			break;
		case CHECK_SQL:
			emit_key(ctx, "failing_rows", false);
			emit_string(ctx, c->failing_rows);
			break;
		case CHECK_COLUMN_EXISTS:
			if (c->position > 0)
			{
				snprintf(buf, sizeof(buf), "%d", c->position);
				emit_key(ctx, "position", false);
				emit_raw(ctx, buf);
			}
			break;
		case CHECK_COLUMN_TYPE:
			emit_key(ctx, "type", false);
			emit_string(ctx, c->type_name);
			break;
		case CHECK_PAIR_GREATER:
			emit_key(ctx, "a", false);
			emit_string(ctx, c->a);
			emit_key(ctx, "b", false);
			emit_string(ctx, c->b);
			emit_key(ctx, "or_equal", false);
			emit_bool(ctx, c->or_equal);
			break;
		case CHECK_INCREASING:
			emit_key(ctx, "strictly", false);
			emit_bool(ctx, c->strictly);
			if (c->norder_by > 0)
			{
				emit_key(ctx, "order_by", false);
				emit_string_array(ctx, c->order_by, c->norder_by);
			}
			break;
		default:
			break;
	}
}

/* Kinds whose normal form has ignore_row_if. */
static bool
has_ignore_row_if(const PolicyCheck *c)
{
	return (c->kind == CHECK_UNIQUE && c->ncolumns > 0) ||
		c->kind == CHECK_PAIR_GREATER || c->kind == CHECK_MULTICOLUMN_SUM;
}

static void
emit_check(ParseCtx *ctx, const PolicyCheck *c)
{
	emit_raw(ctx, "{");
	emit_key(ctx, c->kind_name, true);
	emit_raw(ctx, "{");
	emit_key(ctx, "name", true);
	emit_string(ctx, c->name);
	if (c->column != NULL)
	{
		emit_key(ctx, "column", false);
		emit_string(ctx, c->column);
	}
	else if (c->ncolumns > 0)
	{
		emit_key(ctx, "columns", false);
		emit_string_array(ctx, c->columns, c->ncolumns);
	}
	emit_kind_params(ctx, c);
	emit_key(ctx, "severity", false);
	emit_string(ctx, policy_severity_name(c->severity));
	if (c->has_mostly)
	{
		emit_key(ctx, "mostly", false);
		emit_number(ctx, c->mostly);
	}
	if (c->where != NULL)
	{
		emit_key(ctx, "where", false);
		emit_string(ctx, c->where);
	}
	if (has_ignore_row_if(c))
	{
		emit_key(ctx, "ignore_row_if", false);
		emit_string(ctx, policy_ignore_row_if_name(c->kind, c->ignore_row_if));
	}
	emit_raw(ctx, "}}");
}

static void
emit_lineage(ParseCtx *ctx, const Policy *p)
{
	if (!p->has_lineage)
	{
		emit_raw(ctx, "null");
		return;
	}
	emit_raw(ctx, "{");
	emit_key(ctx, "job", true);
	emit_string(ctx, p->lineage_job);
	emit_key(ctx, "inputs", false);
	emit_string_array(ctx, p->lineage_inputs, p->nlineage_inputs);
	emit_key(ctx, "require_certified_inputs", false);
	emit_bool(ctx, p->require_certified_inputs);
	emit_raw(ctx, "}");
}

/* A limit, or null when absent. */
static void
emit_limit(ParseCtx *ctx, bool has, double limit)
{
	if (has)
		emit_number(ctx, limit);
	else
		emit_raw(ctx, "null");
}

static void
emit_robustness(ParseCtx *ctx, const Policy *p)
{
	if (!p->has_robustness)
	{
		emit_raw(ctx, "null");
		return;
	}
	emit_raw(ctx, "{");
	emit_key(ctx, "baseline", true);
	emit_string(ctx, p->robustness_baseline);
	emit_key(ctx, "columns", false);
	emit_string_array(ctx, p->robustness_columns, p->nrobustness_columns);
	emit_key(ctx, "psi_max", false);
	emit_limit(ctx, p->has_psi_max, p->psi_max);
	emit_key(ctx, "null_rate_change_max", false);
	emit_limit(ctx, p->has_null_rate_change_max, p->null_rate_change_max);
	emit_key(ctx, "row_count_change_max", false);
	emit_limit(ctx, p->has_row_count_change_max, p->row_count_change_max);
	emit_raw(ctx, "}");
}

static void
emit_fairness_limits(ParseCtx *ctx, const Policy *p)
{
	bool		first = true;
	int			m;

	emit_raw(ctx, "{");
	for (m = 0; m < FAIRNESS_METRIC_COUNT; m++)
	{
		const PolicyFairnessLimit *limit = &p->fairness_limits[m];

		if (!limit->has_min && !limit->has_max)
			continue;
		emit_key(ctx, fairness_metric_names[m], first);
		first = false;
		emit_raw(ctx, "{");
		emit_key(ctx, "min", true);
		emit_limit(ctx, limit->has_min, limit->min);
		emit_key(ctx, "max", false);
		emit_limit(ctx, limit->has_max, limit->max);
		emit_raw(ctx, "}");
	}
	emit_raw(ctx, "}");
}

/* Every protected entry as a list: [["race"], ["race", "sex"]]. */
static void
emit_fairness(ParseCtx *ctx, const Policy *p)
{
	char		buf[32];
	int			i;

	emit_raw(ctx, "{");
	emit_key(ctx, "protected", true);
	emit_raw(ctx, "[");
	for (i = 0; i < p->nfairness_protected; i++)
	{
		if (i > 0)
			emit_raw(ctx, ", ");
		emit_string_array(ctx, p->fairness_protected[i].columns,
						  p->fairness_protected[i].ncolumns);
	}
	emit_raw(ctx, "]");
	emit_key(ctx, "label", false);
	emit_string(ctx, p->fairness_label);
	emit_key(ctx, "prediction", false);
	emit_string(ctx, p->fairness_prediction);
	emit_key(ctx, "reference_group", false);
	if (p->nreference == 0)
		emit_raw(ctx, "null");
	else
	{
		emit_raw(ctx, "{");
		for (i = 0; i < p->nreference; i++)
		{
			emit_key(ctx, p->reference_columns[i], i == 0);
			emit_string(ctx, p->reference_values[i]);
		}
		emit_raw(ctx, "}");
	}
	emit_key(ctx, "min_group_size", false);
	snprintf(buf, sizeof(buf), "%lld", (long long) p->min_group_size);
	emit_raw(ctx, buf);
	emit_key(ctx, "limits", false);
	emit_fairness_limits(ctx, p);
	emit_raw(ctx, "}");
}

static void
emit_explainability(ParseCtx *ctx, const Policy *p)
{
	char		buf[32];

	emit_raw(ctx, "{");
	emit_key(ctx, "model_card", true);
	emit_string(ctx, p->model_card);
	emit_key(ctx, "features", false);
	emit_string_array(ctx, p->explain_features, p->nexplain_features);
	emit_key(ctx, "prediction", false);
	emit_string(ctx, p->explain_prediction);
	emit_key(ctx, "min_features_explained", false);
	snprintf(buf, sizeof(buf), "%lld", (long long) p->min_features_explained);
	emit_raw(ctx, buf);
	emit_key(ctx, "min_information", false);
	emit_number(ctx, p->min_information);
	emit_raw(ctx, "}");
}

static void
emit_freshness(ParseCtx *ctx, const Policy *p)
{
	if (!p->has_freshness)
	{
		emit_raw(ctx, "null");
		return;
	}
	emit_raw(ctx, "{");
	emit_key(ctx, "column", true);
	emit_string(ctx, p->freshness_column);
	emit_key(ctx, "max_age", false);
	emit_string(ctx, p->freshness_max_age);
	emit_raw(ctx, "}");
}

/*
 * Every field, with its effective value and in a fixed order, so that the
 * text identifies the policy.  Schema columns are an array: their order
 * matters.
 */
static void
emit_policy(ParseCtx *ctx)
{
	Policy	   *p = ctx->pol;
	char	   *json;
	int			i;

	emit_raw(ctx, "{");
	emit_key(ctx, "dataset", true);
	emit_string(ctx, p->dataset);
	emit_key(ctx, "description", false);
	emit_string(ctx, p->description);
	emit_key(ctx, "tier", false);
	emit_string(ctx, policy_tier_name(p->tier));
	emit_key(ctx, "min_score", false);
	emit_number(ctx, p->min_score);
	emit_key(ctx, "valid_for", false);
	emit_string(ctx, p->valid_for);
	emit_key(ctx, "owner", false);
	emit_string(ctx, p->owner);
	emit_key(ctx, "samples", false);
	emit_string(ctx, samples_names[p->samples]);
	emit_key(ctx, "schema", false);
	emit_schema(ctx, p);
	emit_key(ctx, "freshness", false);
	emit_freshness(ctx, p);
	emit_key(ctx, "checks", false);
	emit_raw(ctx, "[");
	for (i = 0; i < p->nchecks; i++)
	{
		if (i > 0)
			emit_raw(ctx, ", ");
		emit_check(ctx, &p->checks[i]);
	}
	emit_raw(ctx, "]");
	emit_key(ctx, "lineage", false);
	emit_lineage(ctx, p);
	emit_key(ctx, "robustness", false);
	emit_robustness(ctx, p);
	/* only when present, so that the normal form of older policies stays */
	if (p->has_fairness)
	{
		emit_key(ctx, "fairness", false);
		emit_fairness(ctx, p);
	}
	if (p->has_explainability)
	{
		emit_key(ctx, "explainability", false);
		emit_explainability(ctx, p);
	}
	emit_raw(ctx, "}");

	json = pol_alloc(ctx, ctx->out.len + 1);
	memcpy(json, ctx->out.data, ctx->out.len + 1);
	p->normalized_json = json;
}

/* ----------------------------------------------------------------
 * Entry points
 * ----------------------------------------------------------------
 */

static void
parse_all(ParseCtx *ctx, const char *text, size_t len)
{
	ctx->scratch = arena_create();
	ctx->arena = arena_create();
	if (ctx->scratch == NULL || ctx->arena == NULL)
		fail_nomem(ctx);
	ctx->pol = pol_alloc(ctx, sizeof(Policy));
	ctx->pol->arena = ctx->arena;
	ctx->pol->min_score = 1.0;
	ctx->pol->samples = SAMPLES_VALUES;
	if (text == NULL)
		len = 0;
	build_tree(ctx, text ? text : "", len);
	parse_policy(ctx, ctx->root);
	emit_policy(ctx);
	ctx->result = ctx->pol;
}

static void
parse_cleanup(ParseCtx *ctx)
{
	if (ctx->event_live)
		yaml_event_delete(&ctx->event);
	if (ctx->parser_live)
		yaml_parser_delete(&ctx->parser);
	free(ctx->stack);
	free(ctx->buckets);
	free(ctx->out.data);
	arena_destroy(ctx->scratch);
	if (ctx->result == NULL)
		arena_destroy(ctx->arena);
}

Policy *
policy_parse(const char *text, size_t len, PolicyError *err)
{
	ParseCtx   *ctx = calloc(1, sizeof(ParseCtx));
	Policy	   *result;

	if (ctx == NULL)
	{
		if (err != NULL)
		{
			memset(err, 0, sizeof(*err));
			err->kind = POLICY_ERR_NOMEM;
			strcpy(err->message, "out of memory");
		}
		return NULL;
	}
	ctx->err = err ? err : &ctx->local_err;
	memset(ctx->err, 0, sizeof(PolicyError));
	if (setjmp(ctx->jump) == 0)
		parse_all(ctx, text, len);
	parse_cleanup(ctx);
	result = ctx->result;
	free(ctx);
	return result;
}

void
policy_free(Policy *policy)
{
	if (policy != NULL)
		arena_destroy(policy->arena);
}
