#!/usr/bin/env python3
"""Compare the measurements of two results.json files (e.g. `reproduce all --quick` before and after
a refactor). Values, details and not-run reasons must be identical; timestamps, wall times and the
commit in provenance are ignored. Fields present only in the second file (new structured data such
as intervals) are listed, not counted as differences. Optionally evaluates verdicts with
`reproduce check` output files (--check-before/--check-after) to list every changed verdict.

Usage: scripts/compare_results.py BEFORE/results.json AFTER/results.json [--check-before F --check-after F]
Exit status 1 when a measurement differs.
"""
import json
import sys


def measurements(path):
    data = json.load(open(path))
    out = {}
    for figure in data["figures"]:
        key = (figure["id"], figure["profile"], figure.get("protocolFamily") or "paper")
        out[key] = {m["claimId"]: m for m in figure["measurements"]}
        out[key]["__hashes__"] = sorted(figure["provenance"]["configurationHashes"])
    return out


def verdicts(path):
    """claim -> verdict from a `reproduce check` table (the last column)."""
    table = {}
    for line in open(path):
        parts = line.split("  ")
        parts = [p.strip() for p in parts if p.strip()]
        if len(parts) >= 6 and parts[1] in ("quick", "full"):
            table[(parts[0], parts[1])] = parts[-1]
    return table


def main(argv):
    before, after = measurements(argv[1]), measurements(argv[2])
    differences, added = [], set()
    for key in sorted(set(before) | set(after)):
        if key not in before or key not in after:
            differences.append(f"{key}: only in {'after' if key in after else 'before'}")
            continue
        b, a = before[key], after[key]
        if b["__hashes__"] != a["__hashes__"]:
            differences.append(f"{key}: configuration hashes differ")
        for claim in sorted(set(b) | set(a)):
            if claim == "__hashes__":
                continue
            if claim not in b or claim not in a:
                differences.append(f"{key} {claim}: only in {'after' if claim in a else 'before'}")
                continue
            for field in ("value", "interval", "sampleSize", "method", "detail", "notRunReason", "partialBecause", "protocolChangedBecause"):
                if b[claim].get(field) != a[claim].get(field):
                    differences.append(f"{key} {claim}.{field}: {b[claim].get(field)!r} -> {a[claim].get(field)!r}")
            added |= set(a[claim]) - set(b[claim])
    count = sum(len(v) - 1 for v in after.values())
    print(f"{count} measurements in {len(after)} figure results compared; {len(differences)} differences")
    for line in differences:
        print("  " + line)
    if added:
        print("fields only in the second file: " + ", ".join(sorted(added)))
    if "--check-before" in argv:
        vb = verdicts(argv[argv.index("--check-before") + 1])
        va = verdicts(argv[argv.index("--check-after") + 1])
        changed = [(k, vb.get(k), va.get(k)) for k in sorted(set(vb) | set(va)) if vb.get(k) != va.get(k)]
        print(f"{len(changed)} verdicts changed")
        for (claim, profile), old, new in changed:
            print(f"  {claim} [{profile}]: {old} -> {new}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
