#!/usr/bin/env python3
"""Parses Prometheus text exposition (stdin) with prometheus_client's own parser and prints it as
JSON: {"families": [{"name", "type", "help"}], "samples": [{"name", "labels", "value"}]}.

Exits 1 on a parse error, and on what that lax parser lets through but the format does not want
here: a sample without a TYPE line (it comes back "unknown"), a family without HELP, a family
declared twice. Used by metrics.test.mjs; needs Debian's python3-prometheus-client."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    families, samples, seen = [], [], set()
    try:
        for f in text_string_to_metric_families(text):
            if f.type in ("unknown", "untyped"):
                raise ValueError(f"samples of {f.name} have no TYPE line")
            if not f.documentation:
                raise ValueError(f"family {f.name} has no HELP text")
            if (f.name, f.type) in seen:
                raise ValueError(f"family {f.name} is declared twice")
            seen.add((f.name, f.type))
            families.append({"name": f.name, "type": f.type, "help": f.documentation})
            samples += [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]
    except ValueError as e:
        print(f"parse_metrics.py: {e}", file=sys.stderr)
        return 1
    json.dump({"families": families, "samples": samples}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
