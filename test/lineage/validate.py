#!/usr/bin/python3
"""Validate OpenLineage events against the 2-0-2 spec and its facet schemas, offline.

    /usr/bin/python3 test/lineage/validate.py events.jsonl   # one event a line; exit 1 if any is invalid

As a module: `errors(text)` returns the problems of one event (its JSON text),
an empty list when it is valid.  Beyond the core schema (which only checks that
facets carry _producer and _schemaURL), every known facet is validated against
its own schema, chosen by key and place; `date-time` is checked with an RFC 3339
pattern (Debian's jsonschema lacks a checker for it); NaN, infinities and JSON
nulls are refused.
"""
import glob
import json
import os
import re
import sys

import jsonschema
from jsonschema import Draft202012Validator, FormatChecker

HERE = os.path.dirname(os.path.abspath(__file__))
CORE = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
FACETS = "https://openlineage.io/spec/facets/"

FC = FormatChecker()
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


@FC.checks("date-time", raises=ValueError)
def _date_time(value):
    if isinstance(value, str) and not RFC3339.match(value):
        raise ValueError("not an RFC 3339 date-time: %r" % value)
    return True


def _load_store():
    store = {}
    for path in [os.path.join(HERE, "schemas", "OpenLineage.json")] + \
            sorted(glob.glob(os.path.join(HERE, "schemas", "facets", "*.json"))):
        with open(path) as f:
            schema = json.load(f)
        store[schema["$id"]] = schema
    return store


STORE = _load_store()


def _validator(ref):
    schema = {"$ref": ref}
    try:  # jsonschema >= 4.18
        from referencing import Registry, Resource
        registry = Registry().with_resources(
            [(uri, Resource.from_contents(s)) for uri, s in STORE.items()])
        return Draft202012Validator(schema, registry=registry, format_checker=FC)
    except ImportError:
        def no_net(uri):
            raise jsonschema.RefResolutionError("offline: " + uri)
        resolver = jsonschema.RefResolver(base_uri="", referrer=schema, store=STORE,
                                          handlers={"http": no_net, "https": no_net})
        return Draft202012Validator(schema, resolver=resolver, format_checker=FC)


def _facet(version, name):
    return _validator(FACETS + version + "/" + name + ".json#/$defs/" + name)


RUN_EVENT = _validator(CORE + "#/$defs/RunEvent")
JOB_EVENT = _validator(CORE + "#/$defs/JobEvent")

RUN_FACETS = {
    "errorMessage": _facet("1-0-1", "ErrorMessageRunFacet"),
    "processing_engine": _facet("1-1-1", "ProcessingEngineRunFacet"),
    "test": _facet("1-0-1", "TestRunFacet"),
    "nominalTime": _facet("1-0-1", "NominalTimeRunFacet"),
}
JOB_FACETS = {
    "jobType": _facet("2-0-4", "JobTypeJobFacet"),
    "sql": _facet("1-1-0", "SQLJobFacet"),
    "documentation": _facet("1-1-0", "DocumentationJobFacet"),
}
DATASET_FACETS = {
    "schema": _facet("1-2-0", "SchemaDatasetFacet"),
    "dataSource": _facet("1-0-1", "DatasourceDatasetFacet"),
    "dataQualityMetrics": _facet("1-0-0", "DataQualityMetricsDatasetFacet"),
    "dataQualityAssertions": _facet("1-1-0", "DataQualityAssertionsDatasetFacet"),
    "version": _facet("1-0-1", "DatasetVersionDatasetFacet"),
    "ownership": _facet("1-0-1", "OwnershipDatasetFacet"),
    "lifecycleStateChange": _facet("1-0-1", "LifecycleStateChangeDatasetFacet"),
}
INPUT_FACETS = {
    "dataQualityMetrics": _facet("1-0-3", "DataQualityMetricsInputDatasetFacet"),
    "dataQualityAssertions": _facet("1-1-0", "DataQualityAssertionsDatasetFacet"),
}


def _refuse_constant(name):
    raise ValueError("not JSON: %s" % name)


def _nulls(value, path="$"):
    if value is None:
        yield path
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _nulls(v, "%s.%s" % (path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _nulls(v, "%s[%d]" % (path, i))


def _check(validator, value, where, problems):
    for e in validator.iter_errors(value):
        problems.append("%s%s: %s" % (where, "".join("/" + str(p) for p in e.absolute_path),
                                      e.message))


def _check_facets(facets, known, where, problems):
    for key, value in (facets or {}).items():
        if key in known:
            _check(known[key], value, "%s.%s" % (where, key), problems)


def errors(text):
    """The problems of one event, [] when it is valid."""
    try:
        event = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as e:
        return ["not JSON: %s" % e]
    problems = ["null at %s" % p for p in _nulls(event)]
    if not isinstance(event, dict):
        return problems + ["not an object"]
    if "run" in event:
        _check(RUN_EVENT, event, "RunEvent", problems)
        _check_facets(event["run"].get("facets"), RUN_FACETS, "run.facets", problems)
    else:
        _check(JOB_EVENT, event, "JobEvent", problems)
    _check_facets((event.get("job") or {}).get("facets"), JOB_FACETS, "job.facets", problems)
    for i, d in enumerate(event.get("inputs") or []):
        _check_facets(d.get("facets"), DATASET_FACETS, "inputs[%d].facets" % i, problems)
        _check_facets(d.get("inputFacets"), INPUT_FACETS, "inputs[%d].inputFacets" % i, problems)
    for i, d in enumerate(event.get("outputs") or []):
        _check_facets(d.get("facets"), DATASET_FACETS, "outputs[%d].facets" % i, problems)
    return problems


def main(paths):
    bad = 0
    count = 0
    for path in paths:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                count += 1
                for p in errors(line):
                    bad += 1
                    print("%s:%d: %s" % (path, n, p))
    print("%d events, %d problems" % (count, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
