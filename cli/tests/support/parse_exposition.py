"""Reads an exposition on stdin with the official Python client's parser and prints each
sample as one JSON line: {"labels": {...}, "value": "<repr>", "timestamp": "<repr>" | null}.

    python3 parse_exposition.py text          # Prometheus text format 0.0.4
    python3 parse_exposition.py openmetrics   # OpenMetrics 1.0
    python3 parse_exposition.py serve         # many, one after another (see below)

Values are printed with repr(), the shortest text that reads back to the same float, so the
caller compares them bit for bit. Needs `pip install prometheus-client`.

`serve` keeps one process for many expositions (a property test parses hundreds): it reads
a line `FORMAT LENGTH`, then LENGTH bytes of exposition, and answers with one JSON line:
{"samples": [sample, ...]} or {"error": "what the parser raised"}. It ends at end of input.
"""

import json
import sys

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families as text_families

PARSERS = {"text": text_families, "openmetrics": openmetrics_families}


def samples(parse, text):
    for family in parse(text):
        for sample in family.samples:
            labels = dict(sample.labels)
            labels["__name__"] = sample.name
            timestamp = None if sample.timestamp is None else repr(float(sample.timestamp))
            yield {"labels": labels, "value": repr(float(sample.value)), "timestamp": timestamp}


def serve():
    stdin = sys.stdin.buffer
    while True:
        header = stdin.readline()
        if not header:
            return
        name, length = header.decode().split()
        text = stdin.read(int(length)).decode()
        try:
            answer = {"samples": list(samples(PARSERS[name], text))}
        except Exception as e:  # what the parser refuses, whatever it raises
            answer = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def main():
    if sys.argv[1] == "serve":
        serve()
        return
    for sample in samples(PARSERS[sys.argv[1]], sys.stdin.read()):
        print(json.dumps(sample))


if __name__ == "__main__":
    main()
