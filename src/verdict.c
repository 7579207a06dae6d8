/*-------------------------------------------------------------------------
 *
 * verdict.c
 *	  From outcomes to a verdict: quality score, tiers, certified, status
 *	  (DESIGN section 3).
 *
 *	  The tier says what a policy must declare; whatever a policy declares
 *	  must pass.  tier_achieved is the highest tier all of whose required
 *	  criteria passed; schema and freshness count only where declared, while
 *	  medium needs quality and lineage declared and passed.  A failed
 *	  critical check leaves no tier achieved and fails the certificate.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "certify.h"

static const char *const criterion_names[CRITERION_COUNT] = {
	"schema", "freshness", "quality", "lineage", "robustness", "fairness",
	"explainability"
};

static bool
holds_if_declared(const CriterionState *c)
{
	return !c->declared || c->passed;
}

static bool
declared_and_passed(const CriterionState *c)
{
	return c->declared && c->passed;
}

static void
decide_quality(Policy *policy, Outcome *checks, int nchecks,
			   CriterionState *quality, Verdict *v)
{
	int			counted = 0;
	int			counted_passed = 0;
	int			i;

	for (i = 0; i < nchecks; i++)
	{
		Outcome    *o = &checks[i];
		bool		ok = o->passed || o->waived;

		if (ok)
			v->checks_passed++;
		else
			v->checks_failed++;
		if (strcmp(o->severity, "warn") == 0)
			continue;
		counted++;
		if (ok)
			counted_passed++;
		else if (strcmp(o->severity, "critical") == 0)
			v->critical_failed = true;
	}

	quality->declared = counted > 0;
	v->has_score = counted > 0;
	if (!v->has_score)
		return;
	v->score = (double) counted_passed / counted;
	quality->passed = v->score >= policy->min_score && !v->critical_failed;
	if (v->critical_failed)
		quality->detail = "a critical check failed";
	else if (!quality->passed)
		quality->detail = psprintf("score %d/%d is below min_score %g",
								   counted_passed, counted, policy->min_score);
}

static PolicyTier
tier_achieved(CriterionState *criteria)
{
	bool		low = holds_if_declared(&criteria[CRITERION_SCHEMA]) &&
		holds_if_declared(&criteria[CRITERION_FRESHNESS]);
	bool		medium = low &&
		declared_and_passed(&criteria[CRITERION_QUALITY]) &&
		declared_and_passed(&criteria[CRITERION_LINEAGE]);

	bool		high = medium &&
		declared_and_passed(&criteria[CRITERION_FAIRNESS]) &&
		declared_and_passed(&criteria[CRITERION_ROBUSTNESS]) &&
		declared_and_passed(&criteria[CRITERION_EXPLAINABILITY]);

	return high ? TIER_HIGH : medium ? TIER_MEDIUM : low ? TIER_LOW : TIER_NONE;
}

/* Drifted: robustness is the only declared criterion that failed. */
static bool
only_drift(CriterionState *criteria)
{
	int			i;

	if (holds_if_declared(&criteria[CRITERION_ROBUSTNESS]))
		return false;
	for (i = 0; i < CRITERION_COUNT; i++)
		if (i != CRITERION_ROBUSTNESS && !holds_if_declared(&criteria[i]))
			return false;
	return true;
}

static char *
failure_reason(CriterionState *criteria, Verdict *v)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < CRITERION_COUNT; i++)
	{
		if (!criteria[i].declared || criteria[i].passed)
			continue;
		appendStringInfo(&buf, "%s%s", buf.len ? "; " : "", criterion_names[i]);
		if (criteria[i].detail)
			appendStringInfo(&buf, " (%s)", criteria[i].detail);
	}
	if (buf.len == 0 && v->required > v->achieved)
		appendStringInfo(&buf, "tier %s required, %s achieved",
						 policy_tier_name(v->required),
						 v->achieved ? policy_tier_name(v->achieved) : "none");
	return psprintf("%s: %s", v->status, buf.data);
}

void
decide_verdict(Policy *policy, Outcome *checks, int nchecks,
			   CriterionState *criteria, Verdict *v)
{
	bool		all_declared_passed = true;
	int			i;

	memset(v, 0, sizeof(Verdict));
	v->required = policy->tier;
	decide_quality(policy, checks, nchecks, &criteria[CRITERION_QUALITY], v);

	for (i = 0; i < CRITERION_COUNT; i++)
		all_declared_passed &= holds_if_declared(&criteria[i]);

	v->achieved = (policy->tier == TIER_NONE || v->critical_failed) ?
		TIER_NONE : tier_achieved(criteria);
	v->certified = all_declared_passed && !v->critical_failed &&
		v->achieved >= v->required;
	v->status = v->certified ? "certified" :
		(!v->critical_failed && v->achieved >= v->required && only_drift(criteria)) ?
		"drifted" : "failed";
	v->reason = v->certified ? NULL : failure_reason(criteria, v);
}
