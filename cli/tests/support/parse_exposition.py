"""Reads an exposition on stdin with the official Python client's parser and prints each
sample as one JSON line: {"labels": {...}, "value": "<repr>", "timestamp": "<repr>" | null}.

    python3 parse_exposition.py text          # Prometheus text format 0.0.4
    python3 parse_exposition.py openmetrics   # OpenMetrics 1.0

Values are printed with repr(), the shortest text that reads back to the same float, so the
caller compares them bit for bit. Needs `pip install prometheus-client`.
"""

import json
import sys

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families as text_families

PARSERS = {"text": text_families, "openmetrics": openmetrics_families}


def main():
    parse = PARSERS[sys.argv[1]]
    for family in parse(sys.stdin.read()):
        for sample in family.samples:
            labels = dict(sample.labels)
            labels["__name__"] = sample.name
            timestamp = None if sample.timestamp is None else repr(float(sample.timestamp))
            print(json.dumps({"labels": labels, "value": repr(float(sample.value)), "timestamp": timestamp}))


if __name__ == "__main__":
    main()
