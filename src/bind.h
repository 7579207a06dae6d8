/*-------------------------------------------------------------------------
 *
 * bind.h
 *	  Bind a parsed policy to a relation: resolve columns and types, cast
 *	  values with the column type's input function, check regexes and
 *	  expressions.  set_policy binds strictly (the first problem raises
 *	  22023 with the field's path); certify binds leniently (a check that no
 *	  longer binds, e.g. because its column was dropped, is recorded as
 *	  failed with the reason).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTECERT_BIND_H
#define DTECERT_BIND_H

#include "postgres.h"

#include "utils/rel.h"

#include "policy.h"

/* A column of the dataset, as the generated SQL names it. */
typedef struct BoundColumn
{
	const char *name;			/* as written in the policy */
	AttrNumber	attnum;
	Oid			typid;			/* the column's type (maybe a domain) */
	Oid			basetypid;		/* domains resolved to their base type */
	int32		typmod;
	Oid			collation;
	bool		notnull;		/* has a NOT NULL constraint */
	char	   *sql;			/* quoted identifier */
} BoundColumn;

typedef struct BoundCheck
{
	PolicyCheck *check;
	char	   *error;			/* why it cannot run, or NULL */

	BoundColumn *columns;		/* the column(s) it reads */
	int			ncolumns;

	/* between: bounds cast to the column type; values: an array of it */
	Datum		min_value;
	Datum		max_value;
	Datum		values_array;
	Oid			array_typid;
	int64		min_int;		/* length_between, row_count */
	int64		max_int;

	/* references */
	Oid			ref_relid;
	char	   *ref_relation_sql;	/* qualified, quoted */
	BoundColumn ref_column;
	Oid			ref_eq_opr;		/* referenced = referencing */

	/* pair_greater: columns[0] (a) OPERATOR(pair_opr) columns[1] (b) */
	Oid			pair_opr;

	/* increasing: the row order (order_by, or the primary key) */
	BoundColumn *order_by;
	int			norder_by;

	/* column_type: the declared type */
	Oid			type_typid;
	int32		type_typmod;

	char	   *proven_by;		/* set by proof.c */
} BoundCheck;

/* Checks of the catalog alone: they read no rows. */
extern bool check_reads_catalog_only(CheckKind kind);

typedef struct BoundSchemaColumn
{
	PolicySchemaColumn *declared;
	Oid			typid;			/* declared type, InvalidOid if none */
	int32		typmod;			/* -1: any typmod matches */
} BoundSchemaColumn;

typedef struct BoundPolicy
{
	Policy	   *policy;
	Oid			relid;
	Oid			owner;
	Oid			namespace;
	char	   *dataset;		/* the dataset identity */
	char	   *relation_sql;	/* qualified, quoted name for FROM */

	BoundCheck *checks;
	int			nchecks;

	BoundSchemaColumn *schema_columns;

	BoundColumn freshness_column;
	char	   *freshness_error;
	Datum		max_age;		/* Interval * */
	Datum		valid_for;		/* Interval * */

	BoundColumn *robustness_columns;	/* one per robustness.columns */
	char	   *robustness_error;	/* a column that does not exist */

	/* fairness: per protected entry its columns; the label as int8 0/1 */
	BoundColumn **fairness_columns;
	char	   *label_sql;		/* an int8 expression */
	char	   *prediction_sql; /* a boolean expression */
	char	   *fairness_error; /* why it cannot run, or NULL */

	/* explainability: the features, and the prediction they explain */
	BoundColumn *explain_features;
	char	   *explain_prediction_sql;
	char	   *explain_error;
} BoundPolicy;

extern BoundPolicy *bind_policy(Policy *policy, Relation rel, bool strict);
extern bool bind_column(Relation rel, const char *name, BoundColumn *column);
extern char *bind_lineage_input(const char *input, Oid default_namespace,
								Oid *relid);
extern Oid	bind_relation_name(const char *name, Oid default_namespace,
							   char **error);

#endif							/* DTECERT_BIND_H */
