#!/usr/bin/python3
"""Check dtecert evidence packs from outside the database.

    check_packs.py SCHEMA PACK.json...      validate each pack against the schema
    check_packs.py --core CORE.json SHA256  recompute a seal with an independent
                                            RFC 8785 canonicalization

Run with Debian's /usr/bin/python3 (python3-jsonschema).  Prints one line per
file and exits non-zero on the first failure.
"""
import hashlib
import json
import math
import sys

import jsonschema


def jcs_number(x):
    """A number as ECMAScript's Number.prototype.toString writes it."""
    if isinstance(x, bool):
        raise TypeError("bool is not a number")
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        raise ValueError("JSON has no NaN or infinity")
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    r = repr(abs(x))                        # shortest round-trip digits
    mantissa, _, exp = r.partition("e")
    intpart, _, frac = mantissa.partition(".")
    digits = (intpart + frac).lstrip("0")
    n = len(intpart) + (int(exp) if exp else 0) - (len(intpart + frac) - len((intpart + frac).lstrip("0")))
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    return sign + digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))


def jcs(value):
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return jcs_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(jcs(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + jcs(value[k]) for k in keys) + "}"
    raise TypeError(type(value))


def main(argv):
    if len(argv) == 4 and argv[1] == "--core":
        with open(argv[2], encoding="utf-8") as f:
            core = json.load(f)
        digest = hashlib.sha256(jcs(core).encode("utf-8")).hexdigest()
        if digest != argv[3]:
            print(f"seal mismatch: recomputed {digest}, recorded {argv[3]}")
            return 1
        print(f"seal ok {digest}")
        return 0
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    for path in argv[2:]:
        with open(path, encoding="utf-8") as f:
            pack = json.load(f, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
        errors = sorted(validator.iter_errors(pack), key=lambda e: list(e.path))
        if errors:
            for e in errors[:5]:
                print(f"{path}: {'/'.join(map(str, e.path))}: {e.message}")
            return 1
        print(f"valid {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
