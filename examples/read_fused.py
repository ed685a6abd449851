#!/usr/bin/env python3
"""Read emostream's fused topic outside Java: kcat consumes, this script decodes with the .avsc files.

    kcat -b 127.0.0.1:9092 -C -t emostream.fused -X isolation.level=read_committed -e -q \
         -f '%k %S\n%s\n' | python3 examples/read_fused.py [--sorted] [--schemas schemas/src/main/avro]

kcat's format '%k %S\\n%s\\n' writes the key, the value's length in bytes and the raw value, so binary
values pass intact. Each value is Avro single-object encoded: C3 01, the 8-byte little-endian
CRC-64-AVRO fingerprint of the writer schema, then Avro binary. The script checks the fingerprint
against FusedEmotion.avsc and prints one JSON object per record (JSON lines), in the same shape as
./emostream analyze --json and GET /sources/{id} (README, "JSON shape"); --sorted buffers everything and
orders it by source, speaker role and segment index (the topic is keyed by clip id, so the segments
of one source are spread over partitions).

Needs Python 3 with the avro package (Debian: apt-get install python3-avro; or pip install avro).
"""
import argparse
import datetime
import io
import json
import os
import sys

import avro.io
import avro.name
import avro.schema

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMAS = os.path.join(HERE, "..", "schemas", "src", "main", "avro")
# FusedEmotion.avsc references these named types, so they are parsed first into the same names.
SCHEMA_FILES = ["Modality.avsc", "FusionRule.avsc", "ModalityPrediction.avsc", "FusedEmotion.avsc"]
MAGIC = b"\xc3\x01"
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

_EMPTY = 0xC15D213AA4D7A795  # CRC-64-AVRO of the empty input (Avro specification)
_TABLE = []
for _i in range(256):
    _fp = _i
    for _ in range(8):
        _fp = (_fp >> 1) ^ (_EMPTY & -(_fp & 1))
    _TABLE.append(_fp)


PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


def _primitive_simple_form(node):
    # The spec's [PRIMITIVES] rule: {"type": "long"} becomes "long". python avro 1.11 leaves it as an object
    # where a logical type (timestamp-millis) was dropped, so it is applied here.
    if isinstance(node, dict):
        if set(node) == {"type"} and node["type"] in PRIMITIVES:
            return node["type"]
        return {k: _primitive_simple_form(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_primitive_simple_form(v) for v in node]
    return node


def canonical_form(schema):
    return json.dumps(_primitive_simple_form(json.loads(schema.canonical_form)), separators=(",", ":"))


def fingerprint(schema):
    """CRC-64-AVRO of the schema's Parsing Canonical Form, as in the single-object header."""
    fp = _EMPTY
    for byte in canonical_form(schema).encode("utf-8"):
        fp = (fp >> 8) ^ _TABLE[(fp ^ byte) & 0xFF]
    return fp


def load_schema(folder, files=SCHEMA_FILES):
    """The last of files, parsed after the ones it references (into the same names)."""
    names = avro.name.Names()
    schema = None
    for name in files:
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            schema = avro.schema.make_avsc_object(json.load(f), names)
    return schema


def records(stream):
    """(key, value bytes) pairs from kcat's '%k %S\\n%s\\n' output; a null value (length -1) is skipped."""
    while True:
        key = bytearray()
        while True:
            c = stream.read(1)
            if not c:
                return
            if c == b" ":
                break
            key += c
        length = int(stream.readline().strip())
        value = stream.read(length) if length >= 0 else None
        stream.read(1)  # the newline after the value
        if value is not None:
            yield key.decode("utf-8"), value


def decode(schema, expected_fp, value):
    if value[:2] != MAGIC:
        raise ValueError("not Avro single-object encoding (no C3 01 header)")
    fp = int.from_bytes(value[2:10], "little")
    if fp != expected_fp:
        raise ValueError("written with another schema version (fingerprint %016x); decode it with that version's .avsc" % fp)
    return avro.io.DatumReader(schema).read(avro.io.BinaryDecoder(io.BytesIO(value[10:])))


PROBABILITY_DECIMALS = 4  # as io.emostream.schemas.FusedSegmentJson
TIMING_DECIMALS = 2


def _epoch_ms(value):
    # the avro package reads a timestamp-millis field as an aware datetime
    if isinstance(value, datetime.datetime):
        return (value - EPOCH) // datetime.timedelta(milliseconds=1)
    return value


def _distribution(labels, probabilities):
    return {l: round(p, PROBABILITY_DECIMALS) for l, p in zip(labels, probabilities)}


def _prediction(p):
    probabilities = p["probabilities"]
    best = max(range(len(probabilities)), key=lambda i: probabilities[i]) if probabilities else None  # first on a tie
    return {
        "modality": p["modality"],
        "model": p["modelName"],
        "modelVersion": p["modelVersion"],
        "status": p["status"],
        "label": None if best is None else p["labels"][best],
        "confidence": None if best is None else round(probabilities[best], PROBABILITY_DECIMALS),
        "probabilities": _distribution(p["labels"], probabilities),
        "error": p.get("error"),
        "itemsAnalysed": p["itemsAnalysed"],
        "inferenceMs": round(p["timings"]["inferenceMs"], TIMING_DECIMALS),
        "totalMs": round(p["timings"]["totalMs"], TIMING_DECIMALS),
    }


def segment(r):
    """The fused segment in emostream's one JSON shape (README, "JSON shape"; FusedSegmentJson in Java)."""
    return {
        "clipId": r["clipId"],
        "sourceId": r["sourceId"],
        "sourceName": r["sourceName"],
        "speakerRole": r.get("speakerRole"),
        "segmentIndex": r["segmentIndex"],
        "startMs": r["startMs"],
        "endMs": r["endMs"],
        "status": r["status"],
        "label": r["label"],
        "confidence": round(r["confidence"], PROBABILITY_DECIMALS),
        "rule": r["rule"],
        "modalities": r["modalities"],
        "distribution": _distribution(r["labels"], r["distribution"]),
        "predictions": [_prediction(p) for p in r["predictions"]],
        "ingestTimeMs": _epoch_ms(r["ingestTimeMs"]),
        "fusedAtMs": _epoch_ms(r["fusedAtMs"]),
        "latencyMs": r["latencyMs"],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", default=DEFAULT_SCHEMAS, help="folder with the .avsc files")
    parser.add_argument("--sorted", action="store_true", help="order by sourceId, speakerRole, segmentIndex")
    args = parser.parse_args()
    schema = load_schema(args.schemas)
    expected = fingerprint(schema)
    out = []
    for key, value in records(sys.stdin.buffer):
        try:
            row = segment(decode(schema, expected, value))
        except ValueError as e:
            print("skipping record %s: %s" % (key, e), file=sys.stderr)
            continue
        if args.sorted:
            out.append(row)
        else:
            print(json.dumps(row, separators=(",", ":")), flush=True)
    for row in sorted(out, key=lambda r: (r["sourceId"] or "", r["speakerRole"] or "", r["segmentIndex"])):
        print(json.dumps(row, separators=(",", ":")))


if __name__ == "__main__":
    main()
