#!/usr/bin/env python3
"""Read emostream's per-source summaries outside Java: kcat consumes, this script decodes with the .avsc files.

    kcat -b 127.0.0.1:9092 -C -t emostream.sources.summary -X isolation.level=read_committed -e -q \
         -f '%k %S\n%s\n' | python3 examples/read_summaries.py [--schemas schemas/src/main/avro]

One record per ended source (key: source id), written by fusion-stream exactly once (README, "Per-source
summary"). Each value is Avro single-object encoded like the fused topic's (read_fused.py explains the
framing); the script checks the fingerprint against SourceSummary.avsc and prints one JSON object per
summary (JSON lines): the record's own fields and names, times as integer milliseconds, shares rounded to 4
decimals.

Needs Python 3 with the avro package (Debian: apt-get install python3-avro; or pip install avro).
"""
import argparse
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import read_fused  # noqa: E402  (the framing, fingerprint and schema loading are the same)

# SourceSummary.avsc references FusionRule and SourceKind (defined in SourceEvent.avsc).
SCHEMA_FILES = ["FusionRule.avsc", "SourceEvent.avsc", "SourceSummary.avsc"]
SHARE_DECIMALS = 4


def plain(value):
    """The decoded record as JSON values: timestamps as epoch milliseconds, doubles rounded."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime.datetime):
        return read_fused._epoch_ms(value)
    if isinstance(value, float):
        return round(value, SHARE_DECIMALS)
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", default=read_fused.DEFAULT_SCHEMAS, help="folder with the .avsc files")
    args = parser.parse_args()
    schema = read_fused.load_schema(args.schemas, SCHEMA_FILES)
    expected = read_fused.fingerprint(schema)
    for key, value in read_fused.records(sys.stdin.buffer):
        try:
            summary = plain(read_fused.decode(schema, expected, value))
        except ValueError as e:
            print("skipping record %s: %s" % (key, e), file=sys.stderr)
            continue
        print(json.dumps(summary, separators=(",", ":")), flush=True)


if __name__ == "__main__":
    main()
