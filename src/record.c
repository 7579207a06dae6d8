/*-------------------------------------------------------------------------
 *
 * record.c
 *	  Append a certificate and its results to dtecert's history, in the
 *	  caller's transaction, as the extension's owner (no other role may
 *	  write those tables).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "certify.h"
#include "dtecert.h"

#define NULLABLE_TEXT(s)	((s) ? CStringGetTextDatum(s) : (Datum) 0)
#define NULL_FLAG(isnull)	((isnull) ? 'n' : ' ')

Datum
dtecert_score_numeric(double score)
{
	/* six decimals: exact enough for any policy of under a million checks */
	Datum		rounded = DirectFunctionCall2(numeric_round,
											  DirectFunctionCall1(float8_numeric,
																  Float8GetDatum(score)),
											  Int32GetDatum(6));

	return DirectFunctionCall1(numeric_trim_scale, rounded);
}

static int64
insert_certificate(Certificate *cert)
{
	Verdict    *v = &cert->verdict;
	Oid			types[21] = {TEXTOID, OIDOID, INT4OID, UUIDOID, TIMESTAMPTZOID,
		TIMESTAMPTZOID, TEXTOID, TEXTOID, BOOLOID, NUMERICOID, INT4OID, INT4OID,
	TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[21];
	char		nulls[21];
	bool		isnull;
	int			ret;

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(cert->dataset);
	values[1] = ObjectIdGetDatum(cert->relid);
	values[2] = Int32GetDatum(cert->policy_version);
	values[3] = UUIDPGetDatum(&cert->run_id);
	values[4] = TimestampTzGetDatum(cert->issued_at);
	values[5] = TimestampTzGetDatum(cert->valid_until);
	nulls[5] = NULL_FLAG(!v->certified);
	values[6] = NULLABLE_TEXT(policy_tier_name(v->required));
	nulls[6] = NULL_FLAG(v->required == TIER_NONE);
	values[7] = NULLABLE_TEXT(policy_tier_name(v->achieved));
	nulls[7] = NULL_FLAG(v->achieved == TIER_NONE);
	values[8] = BoolGetDatum(v->certified);
	values[9] = v->has_score ? dtecert_score_numeric(v->score) : (Datum) 0;
	nulls[9] = NULL_FLAG(!v->has_score);
	values[10] = Int32GetDatum(v->checks_passed);
	values[11] = Int32GetDatum(v->checks_failed);
	values[12] = CStringGetTextDatum(v->status);
	values[13] = NULLABLE_TEXT(v->reason);
	nulls[13] = NULL_FLAG(v->reason == NULL);
	values[14] = NULLABLE_TEXT(cert->version_label);
	nulls[14] = NULL_FLAG(cert->version_label == NULL);
	values[15] = CStringGetTextDatum(cert->issued_by);
	values[16] = NULLABLE_TEXT(cert->profile);
	nulls[16] = NULL_FLAG(cert->profile == NULL);
	values[17] = NULLABLE_TEXT(cert->storage_digest);
	nulls[17] = NULL_FLAG(cert->storage_digest == NULL);
	values[18] = NULLABLE_TEXT(cert->modifications);
	nulls[18] = NULL_FLAG(cert->modifications == NULL);
	values[19] = NULLABLE_TEXT(cert->schema_digest);
	nulls[19] = NULL_FLAG(cert->schema_digest == NULL);
	values[20] = NULLABLE_TEXT(cert->distributions);
	nulls[20] = NULL_FLAG(cert->distributions == NULL);

	ret = SPI_execute_with_args(
		"INSERT INTO dtecert.certificates"
		"  (dataset, relation_oid, policy_version, run_id, issued_at, valid_until,"
		"   tier_required, tier_achieved, certified, quality_score, checks_passed,"
		"   checks_failed, status, reason, version_label, issued_by, profile,"
		"   storage_digest, modifications, schema_digest, previous_sha256)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,"
		"         $17::pg_catalog.jsonb OPERATOR(pg_catalog.||) CASE WHEN $21 IS NULL"
		"           THEN '{}'::pg_catalog.jsonb"
		"           ELSE pg_catalog.jsonb_build_object('distributions', $21::pg_catalog.jsonb) END,"
		"         $18, $19::pg_catalog.int8, $20, dtecert.chain_head($1))"
		" RETURNING certificate_id",
		21, types, values, nulls, false, 1);
	if (ret != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "could not record the certificate: %s", SPI_result_code_string(ret));
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
									   1, &isnull));
}

static void
insert_outcome(SPIPlanPtr plan, int64 certificate_id, int index, Outcome *o)
{
	Datum		values[16];
	char		nulls[16];
	int			ret;

	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int64GetDatum(certificate_id);
	values[1] = Int32GetDatum(index);
	values[2] = CStringGetTextDatum(o->name);
	values[3] = CStringGetTextDatum(o->kind);
	values[4] = NULLABLE_TEXT(o->column);
	nulls[4] = NULL_FLAG(o->column == NULL);
	values[5] = NULLABLE_TEXT(o->severity);
	nulls[5] = NULL_FLAG(o->severity == NULL);
	values[6] = BoolGetDatum(o->passed);
	values[7] = BoolGetDatum(o->waived);
	values[8] = Int64GetDatum(o->element_count);
	nulls[8] = NULL_FLAG(!o->has_counts);
	values[9] = Int64GetDatum(o->unexpected_count);
	nulls[9] = NULL_FLAG(!o->has_counts);
	values[10] = NULLABLE_TEXT(o->observed);
	nulls[10] = NULL_FLAG(o->observed == NULL);
	values[11] = NULLABLE_TEXT(o->expected);
	nulls[11] = NULL_FLAG(o->expected == NULL);
	values[12] = NULLABLE_TEXT(o->proven_by);
	nulls[12] = NULL_FLAG(o->proven_by == NULL);
	values[13] = Int32GetDatum(o->scans);
	values[14] = NULLABLE_TEXT(o->reason);
	nulls[14] = NULL_FLAG(o->reason == NULL);
	values[15] = Int64GetDatum(o->waiver_id);
	nulls[15] = NULL_FLAG(!o->waived);

	ret = SPI_execute_plan(plan, values, nulls, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "could not record the result of check %s: %s", o->name,
			 SPI_result_code_string(ret));
}

/*
 * samples: masked keeps a digest of each value instead of the value, so
 * that equal values can still be matched up without being shown.
 */
static char *
sample_text(PolicySamples mode, const char *value)
{
	if (value == NULL || mode != SAMPLES_MASKED)
		return (char *) value;
	return psprintf("masked:%.16s", dtecert_sha256_hex(value, strlen(value)));
}

static void
insert_samples(int64 certificate_id, Outcome *o, PolicySamples mode)
{
	Oid			types[5] = {INT8OID, TEXTOID, INT4OID, TEXTOID, TEXTOID};
	Datum		values[5];
	char		nulls[5];
	int			i;
	int			ret;

	for (i = 0; i < o->nsamples; i++)
	{
		char	   *value = sample_text(mode, o->sample_values[i]);

		memset(nulls, ' ', sizeof(nulls));
		values[0] = Int64GetDatum(certificate_id);
		values[1] = CStringGetTextDatum(o->name);
		values[2] = Int32GetDatum(i + 1);
		values[3] = NULLABLE_TEXT(o->sample_keys[i]);
		nulls[3] = NULL_FLAG(o->sample_keys[i] == NULL);
		values[4] = NULLABLE_TEXT(value);
		nulls[4] = NULL_FLAG(value == NULL);
		ret = SPI_execute_with_args("INSERT INTO dtecert.check_samples"
									"  (certificate_id, check_name, ordinal, row_key, value, sha256)"
									" VALUES ($1, $2, $3, $4, $5, dtecert.sample_sha256($4, $5))",
									5, types, values, nulls, false, 0);
		if (ret != SPI_OK_INSERT)
			elog(ERROR, "could not record a sample of check %s: %s", o->name,
				 SPI_result_code_string(ret));
	}
}

/*
 * Seal a history record, once its results and samples are in: core_sha256
 * over its canonical core (dtecert.certificate_core).  The caller is the
 * extension's owner and holds the dataset's lock, so the chain cannot fork.
 */
void
record_seal(int64 certificate_id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(certificate_id)};
	int			ret;

	ret = SPI_execute_with_args("UPDATE dtecert.certificates"
								"   SET core_sha256 = dtecert.core_sha256($1)"
								" WHERE certificate_id OPERATOR(pg_catalog.=) $1",
								1, types, values, NULL, false, 0);
	if (ret != SPI_OK_UPDATE || SPI_processed != 1)
		elog(ERROR, "could not seal certificate " INT64_FORMAT ": %s",
			 certificate_id, SPI_result_code_string(ret));
}

void
record_certificate(Certificate *cert)
{
	Oid			types[16] = {INT8OID, INT4OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
		BOOLOID, BOOLOID, INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID, INT4OID,
	TEXTOID, INT8OID};
	SavedIdentity saved;
	SPIPlanPtr	plan;
	int			i;

	dtecert_become_extension_owner(&saved);
	cert->certificate_id = insert_certificate(cert);
	plan = SPI_prepare(
		"INSERT INTO dtecert.check_results"
		"  (certificate_id, check_index, check_name, kind, column_name, severity,"
		"   passed, waived, element_count, unexpected_count, observed, expected,"
		"   proven_by, scans, reason, waiver_id)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
		"         $11::pg_catalog.jsonb, $12::pg_catalog.jsonb, $13, $14, $15, $16)",
		16, types);
	if (plan == NULL)
		elog(ERROR, "could not prepare to record check results: %s",
			 SPI_result_code_string(SPI_result));
	for (i = 0; i < cert->noutcomes; i++)
		insert_outcome(plan, cert->certificate_id, i + 1, &cert->outcomes[i]);
	SPI_freeplan(plan);
	if (cert->samples != SAMPLES_NONE)
		for (i = 0; i < cert->noutcomes; i++)
			insert_samples(cert->certificate_id, &cert->outcomes[i], cert->samples);
	record_seal(cert->certificate_id);
	dtecert_restore_identity(&saved);
}
