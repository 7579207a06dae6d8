/*-------------------------------------------------------------------------
 *
 * policy.h
 *	  dtecert policy documents: parse (YAML or JSON, through libyaml),
 *	  validate the structure, and normalise to canonical JSON.
 *
 * This module is plain C (libc and libyaml only) with no PostgreSQL
 * dependency, so that it can be unit-tested and fuzzed on its own.  It checks
 * everything that can be checked without a catalog: field names, value
 * shapes, ranges, tier rules.  What needs the catalog (does the column
 * exist, does a value cast to the column's type, does a regex compile, is an
 * expression one boolean expression) is checked by the backend in bind.c,
 * using the paths recorded here for its error messages.
 *
 * Every pointer in a Policy points into memory owned by the Policy; one
 * policy_free() releases it all.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTECERT_POLICY_H
#define DTECERT_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits that keep a hostile document from exhausting memory or stack. */
#define POLICY_MAX_BYTES		(16 * 1024 * 1024)	/* input text */
#define POLICY_MAX_DEPTH		64	/* nesting of mappings/sequences */
#define POLICY_MAX_NODES		1000000 /* nodes after alias expansion */
#define POLICY_MAX_CHECKS		10000

typedef enum PolicyTier
{
	TIER_NONE = 0,				/* no tier: a plain quality gate */
	TIER_LOW = 1,
	TIER_MEDIUM = 2,
	TIER_HIGH = 3
} PolicyTier;

typedef enum PolicySeverity
{
	SEVERITY_ERROR = 0,			/* default: counts in the score */
	SEVERITY_CRITICAL,			/* failing it fails the certificate */
	SEVERITY_WARN				/* reported, not counted */
} PolicySeverity;

typedef enum PolicySamples
{
	SAMPLES_VALUES = 0,
	SAMPLES_MASKED,
	SAMPLES_NONE
} PolicySamples;

/*
 * Which rows a check on several columns skips.  unique (on columns) and
 * multicolumn_sum spell the values never, all_values_are_missing and
 * any_value_is_missing; pair_greater spells the same three GE's way for
 * pairs: neither, both_values_are_missing and either_value_is_missing.
 * policy_ignore_row_if_name() gives the name a kind uses.
 */
typedef enum PolicyIgnoreRowIf
{
	IGNORE_ROW_IF_NEVER = 0,	/* never; pairs: neither */
	IGNORE_ROW_IF_ALL_MISSING,	/* all_values_are_missing (the default);
								 * pairs: both_values_are_missing */
	IGNORE_ROW_IF_ANY_MISSING	/* any_value_is_missing; pairs:
								 * either_value_is_missing */
} PolicyIgnoreRowIf;

/* Keep in step with policy_check_kind_names[] in policy.c. */
typedef enum CheckKind
{
	CHECK_NOT_NULL = 0,
	CHECK_BE_NULL,
	CHECK_UNIQUE,
	CHECK_ACCEPTED_VALUES,
	CHECK_REJECTED_VALUES,
	CHECK_BETWEEN,
	CHECK_MATCHES,
	CHECK_NOT_MATCHES,
	CHECK_LENGTH_BETWEEN,
	CHECK_ROW_COUNT,
	CHECK_REFERENCES,
	CHECK_SQL,
	CHECK_MIN_BETWEEN,
	CHECK_MAX_BETWEEN,
	CHECK_MEAN_BETWEEN,
	CHECK_MEDIAN_BETWEEN,
	CHECK_STDEV_BETWEEN,
	CHECK_SUM_BETWEEN,
	CHECK_DISTINCT_COUNT_BETWEEN,
	CHECK_DISTINCT_RATIO_BETWEEN,
	CHECK_COLUMN_COUNT,
	CHECK_COLUMNS_IN_ORDER,
	CHECK_COLUMN_EXISTS,
	CHECK_COLUMN_TYPE,
	CHECK_PAIR_GREATER,
	CHECK_MULTICOLUMN_SUM,
	CHECK_INCREASING,
	CHECK_KIND_COUNT
} CheckKind;

/*
 * A scalar exactly as the author wrote it.  Values of checks are never
 * interpreted here: the backend casts their text with the column type's
 * input function, so "no", "01" and "1.10" stay what was typed.  (Bounds
 * that must be numbers are checked to be numbers, but keep their text too.)
 */
typedef struct PolicyScalar
{
	const char *text;			/* NUL-terminated; never NULL */
	const char *path;			/* e.g. "checks[3].between.min" */
	int			line;			/* 1-based position in the source */
	int			column;
	bool		quoted;			/* written as a quoted string in the source
								 * (the normal form quotes every value) */
} PolicyScalar;

typedef struct PolicyBound
{
	bool		present;
	bool		strict;			/* strict_min / strict_max */
	PolicyScalar value;
} PolicyBound;

typedef struct PolicyCheck
{
	CheckKind	kind;
	const char *kind_name;		/* "not_null", ... */
	const char *name;			/* explicit name, or the default: kind(column),
								 * kind(a,b,...) for columns and pairs,
								 * kind alone for row_count, column_count */
	const char *path;			/* "checks[3].between": fields append ".min" */
	int			index;			/* 0-based position in checks: */
	PolicySeverity severity;
	bool		has_mostly;
	double		mostly;			/* 1.0 when !has_mostly */
	const char *where;			/* row filter expression, or NULL */

	/*
	 * The column of column checks.  columns/ncolumns: unique on several
	 * columns, columns_in_order (the expected order), multicolumn_sum (the
	 * summed columns).  ignore_row_if: unique on columns, multicolumn_sum,
	 * pair_greater; IGNORE_ROW_IF_ALL_MISSING for every other check.
	 */
	const char *column;			/* NULL for row_count, sql, column_count,
								 * columns_in_order, pair_greater,
								 * multicolumn_sum, unique on columns */
	const char **columns;
	int			ncolumns;
	PolicyIgnoreRowIf ignore_row_if;

	/* accepted_values, rejected_values */
	PolicyScalar *values;
	int			nvalues;

	/*
	 * Bounds, their text as written:
	 * - values of the column's type, cast by the backend: between,
	 *   min_between, max_between, sum_between;
	 * - decimal numbers (checked here, min <= max too): mean_between,
	 *   median_between, stdev_between, distinct_ratio_between;
	 * - non-negative integers in canonical digits (min <= max checked here):
	 *   length_between, distinct_count_between, row_count, column_count.
	 * An equals (row_count, column_count: an integer; multicolumn_sum: a
	 * decimal number, required) is stored as min = max = equals, with
	 * has_equals set.  strict_min/strict_max: between and the *_between
	 * kinds only.
	 */
	PolicyBound min;
	PolicyBound max;
	bool		has_equals;

	/* matches, not_matches */
	const char *regex;

	/* references */
	const char *ref_table;
	const char *ref_column;

	/* sql */
	const char *failing_rows;

	/* column_exists: the 1-based position, 0 when not given */
	int			position;

	/* column_type: a PostgreSQL type name as written, resolved by the backend */
	const char *type_name;

	/* pair_greater: a > b, or a >= b with or_equal */
	const char *a;
	const char *b;
	bool		or_equal;

	/*
	 * increasing: column never decreases (strictly: always increases) in the
	 * row order order_by; norder_by == 0 (order_by NULL) means the primary
	 * key, which the backend resolves.
	 */
	bool		strictly;
	const char **order_by;
	int			norder_by;
} PolicyCheck;

typedef struct PolicySchemaColumn
{
	const char *name;
	const char *type;			/* type name as written, or NULL */
	int			nullable;		/* -1 unspecified, 0 false, 1 true */
	const char *path;			/* "schema.columns.order_id" */
} PolicySchemaColumn;

/* Fairness metrics (Fairlearn / AIF360 names); keep in step with policy.c. */
typedef enum FairnessMetric
{
	FAIRNESS_DEMOGRAPHIC_PARITY_DIFFERENCE = 0,
	FAIRNESS_DISPARATE_IMPACT,
	FAIRNESS_EQUAL_OPPORTUNITY_DIFFERENCE,
	FAIRNESS_FALSE_POSITIVE_RATE_DIFFERENCE,
	FAIRNESS_FALSE_NEGATIVE_RATE_DIFFERENCE,
	FAIRNESS_EQUALIZED_ODDS_DIFFERENCE,
	FAIRNESS_AVERAGE_ODDS_DIFFERENCE,
	FAIRNESS_METRIC_COUNT
} FairnessMetric;

/* A limit on one metric; absent when neither bound is present. */
typedef struct PolicyFairnessLimit
{
	bool		has_min;
	double		min;
	bool		has_max;
	double		max;
} PolicyFairnessLimit;

/* One entry of fairness.protected: a column, or an intersection of columns. */
typedef struct PolicyGroupSet
{
	const char **columns;
	int			ncolumns;
	const char *path;			/* "fairness.protected[0]" */
} PolicyGroupSet;

typedef struct Policy
{
	const char *dataset;		/* optional "dataset:" key, or NULL */
	PolicyTier	tier;
	bool		has_min_score;
	double		min_score;		/* 1.0 when !has_min_score */
	const char *valid_for;		/* interval text, or NULL for the default */
	const char *owner;			/* contact, or NULL */
	const char *description;	/* free text, or NULL */
	PolicySamples samples;

	bool		has_schema;
	PolicySchemaColumn *schema_columns;
	int			nschema_columns;
	bool		forbid_extra_columns;

	bool		has_freshness;
	const char *freshness_column;
	const char *freshness_max_age;	/* interval text */

	PolicyCheck *checks;
	int			nchecks;

	bool		has_lineage;
	const char *lineage_job;
	const char **lineage_inputs;
	int			nlineage_inputs;
	bool		require_certified_inputs;

	/*
	 * robustness: drift of these columns against the baseline (the last
	 * certified certificate's profile).  A limit that is absent is not
	 * checked; at least one is present.
	 */
	bool		has_robustness;
	const char *robustness_baseline;	/* "last_certified" */
	const char **robustness_columns;
	int			nrobustness_columns;
	bool		has_psi_max;
	double		psi_max;
	bool		has_null_rate_change_max;
	double		null_rate_change_max;
	bool		has_row_count_change_max;
	double		row_count_change_max;

	/*
	 * fairness: per group of each protected entry, the confusion matrix of
	 * prediction against label; the metrics' gaps across groups of at least
	 * min_group_size rows, each bounded by its limit.  reference_group
	 * gives a value per column (reference_columns[i] = reference_values[i]).
	 */
	bool		has_fairness;
	PolicyGroupSet *fairness_protected;
	int			nfairness_protected;
	const char *fairness_label;
	const char *fairness_prediction;	/* a column name or an expression */
	const char **reference_columns;
	const char **reference_values;
	int			nreference;
	int64_t		min_group_size; /* 1 when not given */
	PolicyFairnessLimit fairness_limits[FAIRNESS_METRIC_COUNT];

	/*
	 * explainability: a model card, and the association of each feature
	 * with the prediction (explainability.prediction, else fairness's).
	 */
	bool		has_explainability;
	const char *model_card;
	const char **explain_features;
	int			nexplain_features;
	const char *explain_prediction; /* NULL: fairness.prediction */
	int64_t		min_features_explained; /* 1 when not given */
	double		min_information;	/* bits; 0.001 when not given */

	/* The whole policy as canonical JSON (see policy_parse). */
	const char *normalized_json;

	void	   *arena;			/* private: owns all the memory above */
} Policy;

typedef enum PolicyErrorKind
{
	POLICY_OK = 0,
	POLICY_ERR_SYNTAX,			/* not well-formed YAML/JSON */
	POLICY_ERR_INVALID,			/* well-formed, but a field is wrong */
	POLICY_ERR_LIMIT,			/* too large, too deep, too many aliases */
	POLICY_ERR_UNSUPPORTED,		/* valid design feature not built yet */
	POLICY_ERR_NOMEM
} PolicyErrorKind;

typedef struct PolicyError
{
	PolicyErrorKind kind;
	char		path[256];		/* "" for syntax errors and the root */
	char		message[512];	/* lower case, no trailing period */
	char		hint[512];		/* "" when there is none */
	int			line;			/* 1-based, 0 when unknown */
	int			column;
} PolicyError;

/*
 * Parse and validate a policy.  On success returns a Policy (free it with
 * policy_free) and sets err->kind = POLICY_OK.  On failure returns NULL,
 * fills *err, and has freed everything it allocated.
 *
 * normalized_json is deterministic: the same policy written in YAML or in
 * JSON, with keys in any order and short forms or long forms, gives the same
 * text, and policy_parse(normalized_json) gives an equal Policy and the same
 * normalized_json again.
 */
extern Policy *policy_parse(const char *text, size_t len, PolicyError *err);
extern void policy_free(Policy *policy);

extern const char *policy_tier_name(PolicyTier tier);	/* NULL for TIER_NONE */
extern const char *policy_severity_name(PolicySeverity severity);
extern const char *policy_check_kind_name(CheckKind kind);
extern const char *policy_fairness_metric_name(FairnessMetric metric);
/* ignore_row_if's value as kind spells it; NULL when out of range */
extern const char *policy_ignore_row_if_name(CheckKind kind,
											 PolicyIgnoreRowIf value);

#endif							/* DTECERT_POLICY_H */
