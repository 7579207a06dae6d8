/*-------------------------------------------------------------------------
 *
 * bind.c
 *	  Bind a parsed policy to its relation (see bind.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/genam.h"
#include "access/relation.h"
#include "catalog/pg_class.h"
#include "utils/relcache.h"
#include "catalog/namespace.h"
#include "commands/dbcommands.h"
#include "utils/regproc.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "nodes/makefuncs.h"
#include "parser/parse_oper.h"
#include "parser/parse_relation.h"
#include "utils/syscache.h"
#include "parser/parse_type.h"
#include "parser/parser.h"
#include "regex/regex.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/typcache.h"
#include "utils/numeric.h"

#include "bind.h"
#include "dtecert.h"

typedef struct BindState
{
	BoundPolicy *bp;
	Relation	rel;
	bool		strict;
	Oid			caller;			/* the role that called set_policy/certify */
} BindState;

/*
 * A problem with one field.  Binding strictly, it raises 22023 naming the
 * field; binding leniently, it returns the message for the check's result.
 */
static char *
problem(BindState *st, const char *path, const PolicyScalar *at,
		const char *hint, const char *message)
{
	if (st->strict)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid policy: %s: %s", path, message),
				 at && at->line > 0 ?
				 errdetail("The value is at line %d, column %d of the policy.",
						   at->line, at->column) : 0,
				 hint ? errhint("%s", hint) : 0));
	return pstrdup(message);
}

static char *
field_path(const char *base, const char *field)
{
	return psprintf("%s.%s", base, field);
}

bool
bind_column(Relation rel, const char *name, BoundColumn *column)
{
	int			attnum = attnameAttNum(rel, name, false);
	Form_pg_attribute att;

	if (attnum <= 0)
		return false;
	att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
	column->name = name;
	column->attnum = attnum;
	column->typid = att->atttypid;
	column->basetypid = getBaseType(att->atttypid);
	column->typmod = att->atttypmod;
	column->collation = att->attcollation;
	column->notnull = att->attnotnull;
	column->sql = (char *) quote_identifier(name);
	return true;
}

static char *
missing_column(BindState *st, const char *path, const char *name)
{
	return problem(st, path, NULL, NULL,
				   psprintf("column \"%s\" does not exist in %s",
							name, st->bp->dataset));
}

/* ---- values cast with the column type's input function ---- */

typedef struct CastArgs
{
	Oid			typid;
	int32		typmod;
	const char *text;
	Datum		result;
} CastArgs;

static void
cast_value_guarded(void *arg)
{
	CastArgs   *args = (CastArgs *) arg;
	Oid			input;
	Oid			ioparam;

	getTypeInputInfo(args->typid, &input, &ioparam);
	args->result = OidInputFunctionCall(input, (char *) args->text, ioparam,
										args->typmod);
}

static char *
cast_value(BindState *st, const BoundColumn *column, const PolicyScalar *value,
		   Datum *result)
{
	/*
	 * No typmod: a value is taken as written, so 10.005 stays 10.005 on a
	 * numeric(10,2) column and 'FRA' is no error on a varchar(2) one.
	 */
	CastArgs	args = {column->typid, -1, value->text, (Datum) 0};
	ErrorData  *error;

	if (!dtecert_try(cast_value_guarded, &args, &error))
		return problem(st, value->path, value, NULL,
					   psprintf("\"%s\" is not a valid %s: %s", value->text,
								format_type_be(column->typid), error->message));
	*result = args.result;
	return NULL;
}

static TypeCacheEntry *
comparable_type(const BoundColumn *column, int flags)
{
	return lookup_type_cache(column->basetypid, flags);
}

static char *
require_equality(BindState *st, const char *path, const BoundColumn *column)
{
	if (!OidIsValid(comparable_type(column, TYPECACHE_EQ_OPR)->eq_opr))
		return problem(st, path, NULL, NULL,
					   psprintf("column \"%s\" has type %s, which has no equality operator",
								column->name, format_type_be(column->typid)));
	return NULL;
}

static char *
bind_values(BindState *st, BoundCheck *bc)
{
	PolicyCheck *c = bc->check;
	BoundColumn *column = &bc->columns[0];
	TypeCacheEntry *type;
	Datum	   *elems = palloc(sizeof(Datum) * c->nvalues);
	char	   *err;
	int			i;

	if ((err = require_equality(st, field_path(c->path, "values"), column)))
		return err;
	for (i = 0; i < c->nvalues; i++)
		if ((err = cast_value(st, column, &c->values[i], &elems[i])))
			return err;
	type = comparable_type(column, 0);
	bc->array_typid = get_array_type(column->basetypid);
	if (!OidIsValid(bc->array_typid))
		return problem(st, field_path(c->path, "values"), NULL, NULL,
					   psprintf("type %s has no array type",
								format_type_be(column->basetypid)));
	bc->values_array = PointerGetDatum(construct_array(elems, c->nvalues,
													   column->basetypid,
													   type->typlen,
													   type->typbyval,
													   type->typalign));
	return NULL;
}

static char
type_category(Oid typid)
{
	char		category;
	bool		preferred;

	get_type_category_preferred(typid, &category, &preferred);
	return category;
}

static bool
looks_numeric(const char *text)
{
	char	   *end;

	(void) strtod(text, &end);
	return end != text && *end == '\0';
}

/*
 * A bound written as a number on a text column would compare as text ('10'
 * sorts before '9'): refuse it unless the author quoted it, saying "text".
 */
static char *
check_bound_kind(BindState *st, const BoundColumn *column, const PolicyBound *bound)
{
	if (!bound->present || bound->value.quoted ||
		type_category(column->basetypid) != TYPCATEGORY_STRING ||
		!looks_numeric(bound->value.text))
		return NULL;
	return problem(st, bound->value.path, &bound->value,
				   "Quote the bound (as in '10') to compare text with text.",
				   psprintf("%s is a number, but column \"%s\" holds %s, which compares as text",
							bound->value.text, column->name, format_type_be(column->typid)));
}

static char *
bind_range(BindState *st, BoundCheck *bc)
{
	PolicyCheck *c = bc->check;
	BoundColumn *column = &bc->columns[0];
	TypeCacheEntry *type;
	char	   *err;

	if ((err = check_bound_kind(st, column, &c->min)) ||
		(err = check_bound_kind(st, column, &c->max)))
		return err;

	type = comparable_type(column, TYPECACHE_LT_OPR | TYPECACHE_GT_OPR |
						   TYPECACHE_CMP_PROC_FINFO);
	if (!OidIsValid(type->lt_opr) || !OidIsValid(type->gt_opr) ||
		!OidIsValid(type->cmp_proc_finfo.fn_oid))
		return problem(st, c->path, NULL, NULL,
					   psprintf("column \"%s\" has type %s, which has no ordering",
								column->name, format_type_be(column->typid)));
	if (c->min.present && (err = cast_value(st, column, &c->min.value, &bc->min_value)))
		return err;
	if (c->max.present && (err = cast_value(st, column, &c->max.value, &bc->max_value)))
		return err;
	if (c->min.present && c->max.present &&
		DatumGetInt32(FunctionCall2Coll(&type->cmp_proc_finfo, column->collation,
										bc->min_value, bc->max_value)) > 0)
		return problem(st, field_path(c->path, "min"), &c->min.value, NULL,
					   "min is greater than max");
	return NULL;
}

static void
compile_regex_guarded(void *arg)
{
	(void) RE_compile_and_cache(cstring_to_text((const char *) arg),
								REG_ADVANCED, DEFAULT_COLLATION_OID);
}

static char *
bind_regex(BindState *st, BoundCheck *bc)
{
	PolicyCheck *c = bc->check;
	ErrorData  *error;

	if (!dtecert_try(compile_regex_guarded, (void *) c->regex, &error))
		return problem(st, field_path(c->path, "regex"), NULL, NULL,
					   pstrdup(error->message));
	return NULL;
}

static int64
scalar_int(const PolicyBound *bound)
{
	/* policy.c has checked it is a non-negative integer that fits */
	return strtoll(bound->value.text, NULL, 10);
}

/* ---- expressions: exactly one boolean expression over the row ---- */

static void
parse_select_guarded(void *arg)
{
	List	  **result = (List **) arg;

	*result = raw_parser((const char *) linitial(*result), RAW_PARSE_DEFAULT);
}

/* True when "SELECT <expr>" is one plain SELECT of one unnamed expression. */
static bool
is_one_expression(List *stmts)
{
	SelectStmt *select;
	ResTarget  *target;

	if (list_length(stmts) != 1 ||
		!IsA(linitial_node(RawStmt, stmts)->stmt, SelectStmt))
		return false;
	select = (SelectStmt *) linitial_node(RawStmt, stmts)->stmt;
	if (select->op != SETOP_NONE || select->intoClause || select->fromClause ||
		select->whereClause || select->groupClause || select->havingClause ||
		select->windowClause || select->sortClause || select->limitCount ||
		select->limitOffset || select->lockingClause || select->withClause ||
		select->distinctClause || select->valuesLists ||
		list_length(select->targetList) != 1)
		return false;
	target = linitial_node(ResTarget, select->targetList);
	if (target->name != NULL || target->indirection != NIL)
		return false;
	/* "*" is a target list, not an expression */
	return !(IsA(target->val, ColumnRef) &&
			 IsA(llast(((ColumnRef *) target->val)->fields), A_Star));
}

static void
prepare_guarded(void *arg)
{
	SPIPlanPtr	plan = SPI_prepare((const char *) arg, 0, NULL);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	SPI_freeplan(plan);
}

static char *
bind_expression(BindState *st, const char *expr, const char *path)
{
	List	   *parsed = list_make1(psprintf("SELECT %s\n", expr));
	ErrorData  *error;
	char	   *sql;

	if (!dtecert_try(parse_select_guarded, &parsed, &error))
		return problem(st, path, NULL, NULL,
					   psprintf("not a valid SQL expression: %s", error->message));
	if (!is_one_expression(parsed))
		return problem(st, path, NULL,
					   "Write one boolean expression over the table's columns, such as \"amount < 0\".",
					   "must be exactly one SQL expression");

	/*
	 * Compile it where certify will run it, as the table's owner: this
	 * checks columns, functions, the boolean type, and that it is no
	 * aggregate or window function.
	 */
	sql = psprintf("SELECT pg_catalog.count(*) FILTER (WHERE (\n%s\n)) FROM %s",
				   expr, st->bp->relation_sql);
	if (!dtecert_try(prepare_guarded, sql, &error))
		return problem(st, path, NULL, NULL,
					   psprintf("not a valid boolean expression over %s: %s",
								st->bp->dataset, error->message));
	return NULL;
}

/* ---- relations named in a policy ---- */

typedef struct NameArgs
{
	const char *name;
	List	   *names;
} NameArgs;

static void
qualified_name_guarded(void *arg)
{
	NameArgs   *args = (NameArgs *) arg;

#if PG_VERSION_NUM >= 160000
	args->names = stringToQualifiedNameList(args->name, NULL);
#else
	args->names = stringToQualifiedNameList(args->name);
#endif
}

/*
 * Resolve a relation name written in a policy.  An unqualified name is looked
 * up in the dataset's own schema, never on a search_path.
 */
Oid
bind_relation_name(const char *name, Oid default_namespace, char **error)
{
	NameArgs	args = {name, NIL};
	ErrorData  *edata;
	RangeVar   *rv;
	Oid			relid;

	*error = NULL;
	if (!dtecert_try(qualified_name_guarded, &args, &edata))
	{
		*error = psprintf("\"%s\" is not a valid relation name: %s", name,
						  edata->message);
		return InvalidOid;
	}
	rv = makeRangeVarFromNameList(args.names);
	if (rv->catalogname && strcmp(rv->catalogname, get_database_name(MyDatabaseId)) != 0)
	{
		*error = psprintf("relation \"%s\" is in another database", name);
		return InvalidOid;
	}
	if (rv->schemaname == NULL)
		rv->schemaname = get_namespace_name(default_namespace);
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (!OidIsValid(relid))
		*error = psprintf("relation \"%s\" does not exist", name);
	return relid;
}

/*
 * The equality between the referenced and the referencing column: the
 * type's own when both have one type, else pg_catalog's "=" as the parser
 * resolves it with implicit casts (int4 = numeric compares as numeric).
 * Types that cannot be compared are refused rather than cast.
 */
static char *
bind_reference_equality(BindState *st, BoundCheck *bc)
{
	BoundColumn *from = &bc->columns[0];
	BoundColumn *to = &bc->ref_column;
	Operator	op;

	if (from->basetypid == to->basetypid)
	{
		bc->ref_eq_opr = lookup_type_cache(to->basetypid, TYPECACHE_EQ_OPR)->eq_opr;
		if (!OidIsValid(bc->ref_eq_opr))
			return require_equality(st, field_path(bc->check->path, "to"), to);
		return NULL;
	}
	op = oper(NULL, list_make2(makeString("pg_catalog"), makeString("=")),
			  to->basetypid, from->basetypid, true, -1);
	if (op == NULL)
		return problem(st, field_path(bc->check->path, "to"), NULL, NULL,
					   psprintf("column \"%s\" (%s) cannot be compared with %s.%s (%s)",
								from->name, format_type_be(from->typid),
								bc->ref_relation_sql, to->sql,
								format_type_be(to->typid)));
	bc->ref_eq_opr = oprid(op);
	ReleaseSysCache(op);
	return NULL;
}

static char *
bind_references(BindState *st, BoundCheck *bc)
{
	PolicyCheck *c = bc->check;
	char	   *error;
	Relation	ref;
	bool		found;

	bc->ref_relid = bind_relation_name(c->ref_table, st->bp->namespace, &error);
	if (error)
		return problem(st, field_path(c->path, "table"), NULL, NULL, error);
	if (pg_class_aclcheck(bc->ref_relid, st->caller, ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s",
						dtecert_dataset_name(bc->ref_relid)),
				 errdetail("The policy's check %s reads it.", c->name)));
	bc->ref_relation_sql = dtecert_dataset_name(bc->ref_relid);
	ref = table_open(bc->ref_relid, AccessShareLock);
	found = bind_column(ref, c->ref_column, &bc->ref_column);
	table_close(ref, NoLock);
	if (!found)
		return problem(st, field_path(c->path, "to"), NULL, NULL,
					   psprintf("column \"%s\" does not exist in %s",
								c->ref_column, bc->ref_relation_sql));
	return bind_reference_equality(st, bc);
}

/* ---- checks ---- */

bool
check_reads_catalog_only(CheckKind kind)
{
	return kind == CHECK_COLUMN_COUNT || kind == CHECK_COLUMNS_IN_ORDER ||
		kind == CHECK_COLUMN_EXISTS || kind == CHECK_COLUMN_TYPE;
}

static char *
bind_named_columns(BindState *st, BoundCheck *bc, const char **names, int n,
				   const char *field)
{
	int			i;

	bc->ncolumns = n;
	bc->columns = palloc0(sizeof(BoundColumn) * Max(n, 1));
	for (i = 0; i < n; i++)
		if (!bind_column(st->rel, names[i], &bc->columns[i]))
			return missing_column(st, n == 1 && strcmp(field, "column") == 0 ?
								  field_path(bc->check->path, field) :
								  psprintf("%s.%s[%d]", bc->check->path, field, i),
								  names[i]);
	return NULL;
}

static char *
bind_check_columns(BindState *st, BoundCheck *bc)
{
	PolicyCheck *c = bc->check;

	/* whether the columns exist is what these checks test */
	if (c->kind == CHECK_COLUMNS_IN_ORDER || c->kind == CHECK_COLUMN_EXISTS ||
		c->kind == CHECK_COLUMN_COUNT)
		return NULL;
	if (c->kind == CHECK_PAIR_GREATER)
	{
		char	   *err;

		bc->ncolumns = 2;
		bc->columns = palloc0(sizeof(BoundColumn) * 2);
		if (!bind_column(st->rel, c->a, &bc->columns[0]))
			return missing_column(st, field_path(c->path, "a"), c->a);
		err = NULL;
		if (!bind_column(st->rel, c->b, &bc->columns[1]))
			err = missing_column(st, field_path(c->path, "b"), c->b);
		return err;
	}
	if (c->column)
		return bind_named_columns(st, bc, &c->column, 1, "column");
	return bind_named_columns(st, bc, c->columns, c->ncolumns, "columns");
}

/* ---- the rest of the catalog ---- */

typedef struct TypeArgs
{
	const char *name;
	Oid			typid;
	int32		typmod;
} TypeArgs;

static void
parse_type_guarded(void *arg)
{
	TypeArgs   *args = (TypeArgs *) arg;

	parseTypeString(args->name, &args->typid, &args->typmod, false);
}


/* An aggregate over the column must exist: avg(text) does not. */
static char *
bind_aggregate(BindState *st, BoundCheck *bc, const char *aggregate)
{
	ErrorData  *error;
	char	   *sql = psprintf("SELECT %s(%s) FROM %s", aggregate, bc->columns[0].sql,
							   st->bp->relation_sql);

	if (!dtecert_try(prepare_guarded, sql, &error))
		return problem(st, field_path(bc->check->path, "column"), NULL, NULL,
					   psprintf("column \"%s\" has type %s, which %s does not take",
								bc->columns[0].name, format_type_be(bc->columns[0].typid),
								bc->check->kind_name));
	return NULL;
}

/* mean, median, stdev and sum compute over numbers. */
static char *
require_numbers(BindState *st, BoundCheck *bc)
{
	if (type_category(bc->columns[0].basetypid) == TYPCATEGORY_NUMERIC)
		return NULL;
	return problem(st, field_path(bc->check->path, "column"), NULL, NULL,
				   psprintf("column \"%s\" has type %s; %s needs numbers",
							bc->columns[0].name, format_type_be(bc->columns[0].typid),
							bc->check->kind_name));
}

/* sum_between: bounds are numbers, compared with the sum as numeric. */
static char *
bind_sum_bounds(BindState *st, BoundCheck *bc)
{
	PolicyCheck *c = bc->check;
	BoundColumn numeric_column = {0};
	char	   *err;

	if ((err = require_numbers(st, bc)))
		return err;
	numeric_column.name = bc->columns[0].name;
	numeric_column.typid = numeric_column.basetypid = NUMERICOID;
	numeric_column.typmod = -1;
	if (c->min.present && (err = cast_value(st, &numeric_column, &c->min.value, &bc->min_value)))
		return err;
	if (c->max.present && (err = cast_value(st, &numeric_column, &c->max.value, &bc->max_value)))
		return err;
	if (c->min.present && c->max.present &&
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, bc->min_value, bc->max_value)) > 0)
		return problem(st, field_path(c->path, "min"), &c->min.value, NULL,
					   "min is greater than max");
	return NULL;
}

/* a > b (or >=): pg_catalog's operator, as the parser resolves it. */
static char *
bind_pair(BindState *st, BoundCheck *bc)
{
	BoundColumn *a = &bc->columns[0];
	BoundColumn *b = &bc->columns[1];
	Operator	op;

	op = oper(NULL, list_make2(makeString("pg_catalog"),
							   makeString(bc->check->or_equal ? ">=" : ">")),
			  a->basetypid, b->basetypid, true, -1);
	if (op == NULL)
		return problem(st, bc->check->path, NULL, NULL,
					   psprintf("columns \"%s\" (%s) and \"%s\" (%s) cannot be compared",
								a->name, format_type_be(a->typid),
								b->name, format_type_be(b->typid)));
	bc->pair_opr = oprid(op);
	ReleaseSysCache(op);
	return NULL;
}

/* The row order of increasing: order_by, else the primary key. */
static char *
bind_order(BindState *st, BoundCheck *bc)
{
	PolicyCheck *c = bc->check;
	Oid			pkey;
	Relation	index;
	int			k;

	if (c->norder_by > 0)
	{
		bc->order_by = palloc0(sizeof(BoundColumn) * c->norder_by);
		bc->norder_by = c->norder_by;
		for (k = 0; k < c->norder_by; k++)
			if (!bind_column(st->rel, c->order_by[k], &bc->order_by[k]))
				return missing_column(st, psprintf("%s.order_by[%d]", c->path, k),
									  c->order_by[k]);
		return NULL;
	}
	pkey = st->rel->rd_rel->relkind == RELKIND_VIEW ? InvalidOid :
		RelationGetPrimaryKeyIndex(st->rel);
	if (!OidIsValid(pkey))
		return problem(st, c->path, NULL,
					   "Name the column(s) that give the rows their order with order_by:.",
					   psprintf("increasing needs a row order, and %s has no primary key",
								st->bp->dataset));
	index = index_open(pkey, AccessShareLock);
	bc->norder_by = index->rd_index->indnkeyatts;
	bc->order_by = palloc0(sizeof(BoundColumn) * bc->norder_by);
	for (k = 0; k < bc->norder_by; k++)
		(void) bind_column(st->rel,
						   get_attname(RelationGetRelid(st->rel),
									   index->rd_index->indkey.values[k], false),
						   &bc->order_by[k]);
	index_close(index, AccessShareLock);
	return NULL;
}

static char *
bind_type_name(BindState *st, BoundCheck *bc)
{
	TypeArgs	args = {bc->check->type_name, InvalidOid, -1};
	ErrorData  *error;

	if (!dtecert_try(parse_type_guarded, &args, &error))
		return problem(st, field_path(bc->check->path, "type"), NULL,
					   "Types outside pg_catalog need their schema, as in myschema.mytype.",
					   psprintf("unknown type \"%s\": %s", bc->check->type_name,
								error->message));
	bc->type_typid = args.typid;
	bc->type_typmod = args.typmod;
	return NULL;
}

/* The summed columns must add up as numbers. */
static char *
bind_sum(BindState *st, BoundCheck *bc)
{
	int			i;

	for (i = 0; i < bc->ncolumns; i++)
	{
		char		category;
		bool		preferred;

		get_type_category_preferred(bc->columns[i].basetypid, &category, &preferred);
		if (category != TYPCATEGORY_NUMERIC)
			return problem(st, psprintf("%s.columns[%d]", bc->check->path, i), NULL, NULL,
						   psprintf("column \"%s\" has type %s; multicolumn_sum adds numbers",
									bc->columns[i].name, format_type_be(bc->columns[i].typid)));
	}
	return NULL;
}

static char *
bind_check_kind(BindState *st, BoundCheck *bc)
{
	PolicyCheck *c = bc->check;
	int			i;
	char	   *err;

	switch (c->kind)
	{
		case CHECK_UNIQUE:
			for (i = 0; i < bc->ncolumns; i++)
				if ((err = require_equality(st, c->path, &bc->columns[i])))
					return err;
			return NULL;
		case CHECK_ACCEPTED_VALUES:
		case CHECK_REJECTED_VALUES:
			return bind_values(st, bc);
		case CHECK_BETWEEN:
			return bind_range(st, bc);
		case CHECK_MATCHES:
		case CHECK_NOT_MATCHES:
			return bind_regex(st, bc);
		case CHECK_LENGTH_BETWEEN:
			if (type_category(bc->columns[0].basetypid) != TYPCATEGORY_STRING)
				return problem(st, field_path(c->path, "column"), NULL, NULL,
							   psprintf("column \"%s\" has type %s; length_between measures text",
										bc->columns[0].name,
										format_type_be(bc->columns[0].typid)));
			/* FALLTHROUGH */
		case CHECK_ROW_COUNT:
			bc->min_int = c->min.present ? scalar_int(&c->min) : 0;
			bc->max_int = c->max.present ? scalar_int(&c->max) : PG_INT64_MAX;
			return NULL;
		case CHECK_REFERENCES:
			return bind_references(st, bc);
		case CHECK_SQL:
			return bind_expression(st, c->failing_rows,
								   field_path(c->path, "failing_rows"));
		case CHECK_MIN_BETWEEN:
		case CHECK_MAX_BETWEEN:
			if ((err = bind_aggregate(st, bc, c->kind == CHECK_MIN_BETWEEN ?
									  "pg_catalog.min" : "pg_catalog.max")))
				return err;
			return bind_range(st, bc);
		case CHECK_SUM_BETWEEN:
			return bind_sum_bounds(st, bc);
		case CHECK_MEAN_BETWEEN:
		case CHECK_MEDIAN_BETWEEN:
		case CHECK_STDEV_BETWEEN:
			return require_numbers(st, bc);
		case CHECK_DISTINCT_COUNT_BETWEEN:
		case CHECK_DISTINCT_RATIO_BETWEEN:
			bc->min_int = c->min.present ? scalar_int(&c->min) : 0;
			bc->max_int = c->max.present ? scalar_int(&c->max) : PG_INT64_MAX;
			return require_equality(st, c->path, &bc->columns[0]);
		case CHECK_COLUMN_COUNT:
			bc->min_int = c->min.present ? scalar_int(&c->min) : 0;
			bc->max_int = c->max.present ? scalar_int(&c->max) : PG_INT64_MAX;
			return NULL;
		case CHECK_COLUMN_TYPE:
			return bind_type_name(st, bc);
		case CHECK_PAIR_GREATER:
			return bind_pair(st, bc);
		case CHECK_MULTICOLUMN_SUM:
			return bind_sum(st, bc);
		case CHECK_INCREASING:
			(void) comparable_type(&bc->columns[0], 0);
			if (!OidIsValid(comparable_type(&bc->columns[0], TYPECACHE_LT_OPR)->lt_opr))
				return problem(st, c->path, NULL, NULL,
							   psprintf("column \"%s\" has type %s, which has no ordering",
										bc->columns[0].name, format_type_be(bc->columns[0].typid)));
			return bind_order(st, bc);
		default:
			return NULL;
	}
}

static void
bind_check(BindState *st, BoundCheck *bc)
{
	PolicyCheck *c = bc->check;
	char	   *err;

	err = bind_check_columns(st, bc);
	if (err == NULL)
		err = bind_check_kind(st, bc);
	if (err == NULL && c->where)
		err = bind_expression(st, c->where, field_path(c->path, "where"));
	bc->error = err;
}

/* ---- schema contract, freshness, lifetimes ---- */

static void
bind_schema(BindState *st)
{
	Policy	   *p = st->bp->policy;
	int			i;

	st->bp->schema_columns = palloc0(sizeof(BoundSchemaColumn) *
									 Max(p->nschema_columns, 1));
	for (i = 0; i < p->nschema_columns; i++)
	{
		PolicySchemaColumn *declared = &p->schema_columns[i];
		BoundSchemaColumn *bound = &st->bp->schema_columns[i];
		TypeArgs	args = {declared->type, InvalidOid, -1};
		ErrorData  *error;

		bound->declared = declared;
		bound->typmod = -1;
		if (st->strict && attnameAttNum(st->rel, declared->name, false) <= 0)
			missing_column(st, declared->path, declared->name);
		if (declared->type == NULL)
			continue;
		if (!dtecert_try(parse_type_guarded, &args, &error))
		{
			(void) problem(st, field_path(declared->path, "type"), NULL,
						   "Types outside pg_catalog need their schema, as in myschema.mytype.",
						   psprintf("unknown type \"%s\": %s", declared->type,
									error->message));
			continue;			/* lenient: the contract check reports it */
		}
		bound->typid = args.typid;
		bound->typmod = args.typmod;
	}
}

typedef struct IntervalArgs
{
	const char *text;
	Datum		result;
} IntervalArgs;

static void
parse_interval_guarded(void *arg)
{
	IntervalArgs *args = (IntervalArgs *) arg;

	args->result = DirectFunctionCall3(interval_in, CStringGetDatum(args->text),
									   ObjectIdGetDatum(InvalidOid),
									   Int32GetDatum(-1));
}

static char *
bind_interval(BindState *st, const char *text, const char *path, Datum *result)
{
	IntervalArgs args = {text, (Datum) 0};
	ErrorData  *error;
	Interval   *zero = palloc0(sizeof(Interval));

	if (!dtecert_try(parse_interval_guarded, &args, &error))
		return problem(st, path, NULL, "Write an interval such as '7 days' or '12 hours'.",
					   psprintf("\"%s\" is not an interval: %s", text, error->message));
	if (DatumGetInt32(DirectFunctionCall2(interval_cmp, args.result,
										  IntervalPGetDatum(zero))) <= 0)
		return problem(st, path, NULL, NULL,
					   psprintf("\"%s\" is not a positive interval", text));
	*result = args.result;
	return NULL;
}

static void
bind_freshness(BindState *st)
{
	BoundPolicy *bp = st->bp;
	Policy	   *p = bp->policy;
	BoundColumn *column = &bp->freshness_column;

	if (!p->has_freshness)
		return;
	bp->freshness_error = bind_interval(st, p->freshness_max_age,
										"freshness.max_age", &bp->max_age);
	if (bp->freshness_error)
		return;
	if (!bind_column(st->rel, p->freshness_column, column))
	{
		bp->freshness_error = missing_column(st, "freshness.column",
											 p->freshness_column);
		return;
	}
	if (column->basetypid != TIMESTAMPTZOID && column->basetypid != TIMESTAMPOID &&
		column->basetypid != DATEOID)
		bp->freshness_error =
			problem(st, "freshness.column", NULL, NULL,
					psprintf("column \"%s\" has type %s; freshness needs a timestamptz, timestamp or date",
							 column->name, format_type_be(column->typid)));
}

/*
 * A lineage input is a relation of this database or an external dataset
 * written namespace/name.  set_policy refuses one that does not resolve, to
 * catch typos early; certify verifies them again (lineage verified).
 */
char *
bind_lineage_input(const char *input, Oid default_namespace, Oid *relid)
{
	const char *slash = strrchr(input, '/');
	char	   *error = NULL;

	*relid = InvalidOid;
	if (slash != NULL)
	{
		if (slash == input || slash[1] == '\0')
			return psprintf("external input \"%s\" must be written namespace/name", input);
		return NULL;
	}
	*relid = bind_relation_name(input, default_namespace, &error);
	return error;
}

static void
bind_lineage(BindState *st)
{
	Policy	   *p = st->bp->policy;
	int			i;
	Oid			relid;
	char	   *err;

	for (i = 0; st->strict && i < p->nlineage_inputs; i++)
		if ((err = bind_lineage_input(p->lineage_inputs[i], st->bp->namespace, &relid)))
			(void) problem(st, psprintf("lineage.inputs[%d]", i), NULL,
						   "Name a relation of this database (schema.table) or an external dataset as namespace/name.",
						   err);
}

static void
bind_robustness(BindState *st)
{
	BoundPolicy *bp = st->bp;
	Policy	   *p = bp->policy;
	int			i;

	if (!p->has_robustness)
		return;
	bp->robustness_columns = palloc0(sizeof(BoundColumn) * p->nrobustness_columns);
	for (i = 0; i < p->nrobustness_columns; i++)
		if (!bind_column(st->rel, p->robustness_columns[i], &bp->robustness_columns[i]) &&
			bp->robustness_error == NULL)
			bp->robustness_error = missing_column(st, psprintf("robustness.columns[%d]", i),
												  p->robustness_columns[i]);
}

/* ---- fairness and explainability ---- */

/* The label as int8: a boolean (true = 1) or an integer column. */
static char *
bind_label(BindState *st, const char *name, char **error)
{
	BoundColumn column;

	if (!bind_column(st->rel, name, &column))
	{
		*error = missing_column(st, "fairness.label", name);
		return NULL;
	}
	switch (column.basetypid)
	{
		case BOOLOID:
			return psprintf("((%s)::pg_catalog.int4)::pg_catalog.int8", column.sql);
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return psprintf("(%s)::pg_catalog.int8", column.sql);
		default:
			*error = problem(st, "fairness.label", NULL,
							 "The label is the observed outcome: a boolean, or an integer column of 0 and 1.",
							 psprintf("label column \"%s\" is of type %s, not boolean or an integer",
									  name, format_type_be(column.typid)));
			return NULL;
	}
}

/*
 * The prediction: a boolean column of that name, else one boolean
 * expression over the row (checked like the sql check's failing_rows).
 */
static char *
bind_prediction(BindState *st, const char *prediction, const char *path,
				char **error)
{
	BoundColumn column;

	if (bind_column(st->rel, prediction, &column))
	{
		if (column.basetypid == BOOLOID)
			return column.sql;
		*error = problem(st, path, NULL,
						 "Name a boolean column, or write a boolean expression such as \"score >= 5\".",
						 psprintf("prediction column \"%s\" is of type %s, not boolean",
								  prediction, format_type_be(column.typid)));
		return NULL;
	}
	*error = bind_expression(st, prediction, path);
	return *error ? NULL : psprintf("(%s)", prediction);
}

static void
bind_fairness(BindState *st)
{
	BoundPolicy *bp = st->bp;
	Policy	   *p = bp->policy;
	char	   *err = NULL;
	int			i;
	int			j;

	if (!p->has_fairness)
		return;
	bp->fairness_columns = palloc0(sizeof(BoundColumn *) * p->nfairness_protected);
	for (i = 0; i < p->nfairness_protected && err == NULL; i++)
	{
		PolicyGroupSet *set = &p->fairness_protected[i];

		bp->fairness_columns[i] = palloc0(sizeof(BoundColumn) * set->ncolumns);
		for (j = 0; j < set->ncolumns && err == NULL; j++)
			if (!bind_column(st->rel, set->columns[j], &bp->fairness_columns[i][j]))
				err = missing_column(st, set->ncolumns == 1 ? set->path :
									 psprintf("%s[%d]", set->path, j), set->columns[j]);
	}
	if (err == NULL)
		bp->label_sql = bind_label(st, p->fairness_label, &err);
	if (err == NULL)
		bp->prediction_sql = bind_prediction(st, p->fairness_prediction,
											 "fairness.prediction", &err);
	bp->fairness_error = err;
}

static void
bind_explainability(BindState *st)
{
	BoundPolicy *bp = st->bp;
	Policy	   *p = bp->policy;
	char	   *err = NULL;
	int			i;

	if (!p->has_explainability)
		return;
	bp->explain_features = palloc0(sizeof(BoundColumn) * p->nexplain_features);
	for (i = 0; i < p->nexplain_features && err == NULL; i++)
		if (!bind_column(st->rel, p->explain_features[i], &bp->explain_features[i]))
			err = missing_column(st, psprintf("explainability.features[%d]", i),
								 p->explain_features[i]);
	if (err == NULL && p->explain_prediction != NULL)
		bp->explain_prediction_sql = bind_prediction(st, p->explain_prediction,
													 "explainability.prediction", &err);
	else if (err == NULL)
	{
		/* fairness's prediction, bound (or refused) by bind_fairness */
		bp->explain_prediction_sql = bp->prediction_sql;
		if (bp->prediction_sql == NULL)
			err = psprintf("the prediction cannot be evaluated: %s",
						   bp->fairness_error ? bp->fairness_error : "fairness did not bind");
	}
	bp->explain_error = err;
}

BoundPolicy *
bind_policy(Policy *policy, Relation rel, bool strict)
{
	BoundPolicy *bp = palloc0(sizeof(BoundPolicy));
	BindState	st = {bp, rel, strict, GetUserId()};
	SavedIdentity saved;
	char	   *err;
	int			i;

	bp->policy = policy;
	bp->relid = RelationGetRelid(rel);
	bp->owner = rel->rd_rel->relowner;
	bp->namespace = RelationGetNamespace(rel);
	bp->dataset = dtecert_dataset_name(bp->relid);
	bp->relation_sql = bp->dataset;

	dtecert_become_owner(bp->owner, &saved);

	err = bind_interval(&st, policy->valid_for ? policy->valid_for :
						dtecert_default_valid_for,
						policy->valid_for ? "valid_for" : "dtecert.default_valid_for",
						&bp->valid_for);
	if (err)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid certificate lifetime: %s", err)));

	bind_schema(&st);
	bind_freshness(&st);
	bind_lineage(&st);
	bind_robustness(&st);
	bind_fairness(&st);
	bind_explainability(&st);

	bp->nchecks = policy->nchecks;
	bp->checks = palloc0(sizeof(BoundCheck) * Max(policy->nchecks, 1));
	for (i = 0; i < policy->nchecks; i++)
	{
		bp->checks[i].check = &policy->checks[i];
		bind_check(&st, &bp->checks[i]);
	}

	dtecert_restore_identity(&saved);
	return bp;
}
