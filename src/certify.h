/*-------------------------------------------------------------------------
 *
 * certify.h
 *	  What a certification run produces: one outcome per check and per tier
 *	  criterion, and the verdict drawn from them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTECERT_CERTIFY_H
#define DTECERT_CERTIFY_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/uuid.h"

#include "policy.h"

typedef struct Outcome
{
	const char *name;			/* unique within the certificate */
	const char *kind;
	const char *column;			/* or NULL */
	const char *severity;		/* NULL for a tier criterion */
	bool		passed;
	bool		waived;			/* failed, but an active waiver made it pass */
	int64		waiver_id;		/* the waiver, when waived */
	bool		has_counts;
	int64		element_count;
	int64		unexpected_count;
	char	   *observed;		/* JSON text, or NULL */
	char	   *expected;		/* JSON text, or NULL */
	char	   *proven_by;
	int			scans;			/* table passes beyond the shared one */
	char	   *reason;			/* why it failed or could not run */
	int			nsamples;		/* failing samples, kept apart */
	char	  **sample_keys;	/* the row's key as text, or NULL */
	char	  **sample_values;	/* the failing value as text, or NULL */
} Outcome;

/* The tier criteria a policy may declare (DESIGN section 3). */
typedef enum Criterion
{
	CRITERION_SCHEMA = 0,
	CRITERION_FRESHNESS,
	CRITERION_QUALITY,
	CRITERION_LINEAGE,
	CRITERION_ROBUSTNESS,
	CRITERION_FAIRNESS,
	CRITERION_EXPLAINABILITY,
	CRITERION_COUNT
} Criterion;

typedef struct CriterionState
{
	bool		declared;
	bool		passed;
	char	   *detail;			/* why it failed */
} CriterionState;

typedef struct Verdict
{
	PolicyTier	required;		/* TIER_NONE: a plain quality gate */
	PolicyTier	achieved;		/* TIER_NONE: null */
	bool		certified;
	bool		has_score;
	double		score;
	int			checks_passed;
	int			checks_failed;
	bool		critical_failed;
	const char *status;
	char	   *reason;
} Verdict;

typedef struct Certificate
{
	const char *dataset;
	Oid			relid;
	int			policy_version;
	pg_uuid_t	run_id;
	TimestampTz issued_at;
	TimestampTz valid_until;	/* 0 when not certified */
	const char *version_label;
	const char *issued_by;
	Verdict		verdict;
	const char *profile;		/* JSON */
	const char *distributions;	/* JSON: robustness bins, or NULL */
	/* relation_state() before the scan: what tells a later change */
	char	   *storage_digest;
	char	   *modifications;
	char	   *schema_digest;
	PolicySamples samples;		/* how samples are kept */
	Outcome    *outcomes;		/* criteria first, then checks */
	int			noutcomes;
	int64		certificate_id; /* set by record_certificate */
} Certificate;

/* verdict.c */
extern void decide_verdict(Policy *policy, Outcome *checks, int nchecks,
						   CriterionState *criteria, Verdict *verdict);

/* record.c */
extern void record_certificate(Certificate *cert);
extern void record_seal(int64 certificate_id);
extern Datum dtecert_score_numeric(double score);

#endif							/* DTECERT_CERTIFY_H */
