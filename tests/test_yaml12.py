"""specc reads plain scalars by the YAML 1.2 core schema, as the editor and check-jsonschema do.

Each row of :data:`SCALARS` is read by specc (:func:`specc.core.yaml_source.parse_spec`)
and by the very loader check-jsonschema uses (``check_jsonschema.parsers.yaml``:
ruamel.yaml, ``typ="safe"``, YAML 1.2), and compared with the answer of the YAML 1.2.2
core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution): same Python type, same
value (NaN equal to NaN).

specc gives the spec's answer for every row. ruamel.yaml 0.19 deviates from the core
schema in a few rows (its 1.2 resolver keeps some YAML 1.1 habits); those rows list
ruamel's reading in :data:`RUAMEL_DEVIATIONS` and specc keeps the spec's answer, which is
also the editor's: yaml-language-server 1.25/2.0 reads YAML with eemeli/yaml 2.8 at
version 1.2, and that parser gave the spec's answer for every row here (checked by hand
with ``YAML.parseDocument(text, {version: "1.2"})``; :func:`test_editor_parser_agrees`
repeats it when ``SPECC_YAML_JS`` names that package's folder and ``node`` is installed).
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import subprocess

import pytest
import yaml

from specc.core.yaml_source import SpecLoader, dump_spec, parse_spec
from specc.errors import SpecError

# (plain YAML text of a value, the YAML 1.2 core schema's reading)
SCALARS = [
    # floats: exponents need no dot in 1.2 (YAML 1.1 / PyYAML read these as strings)
    ("5e-4", 0.0005), ("1e3", 1000.0), ("1.0e-4", 0.0001), ("1.5E+3", 1500.0),
    ("-1.5e-3", -0.0015), (".5", 0.5), ("-.5", -0.5), ("5.", 5.0), ("64.0", 64.0),
    (".5e2", 50.0), ("+.5e2", 50.0), ("1e999", math.inf),
    (".inf", math.inf), ("-.Inf", -math.inf), ("+.INF", math.inf), (".nan", math.nan),
    (".NaN", math.nan), ("NaN", "NaN"), ("inf", "inf"), ("-.nan", "-.nan"),
    # integers: decimal (leading zeros too), 0o octal, 0x hex; no _, no 0b, no sexagesimal
    ("+1", 1), ("-0", 0), ("0", 0), ("012", 12), ("09", 9), ("0o17", 15), ("0x1F", 31),
    ("0x1f", 31), ("0o8", "0o8"), ("0x", "0x"), ("1_000", "1_000"), ("0b101", "0b101"),
    ("-0x1F", "-0x1F"), ("+0o17", "+0o17"), ("1:20", "1:20"), ("1e", "1e"),
    ("1.2.3", "1.2.3"),
    # booleans: only true/false in three spellings; YAML 1.1's yes/no/on/off are strings
    ("true", True), ("True", True), ("TRUE", True), ("false", False), ("FALSE", False),
    ("tRUE", "tRUE"), ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"),
    ("y", "y"), ("n", "n"), ("Y", "Y"),
    # null
    ("~", None), ("null", None), ("Null", None), ("NULL", None), ("", None), ("nUll", "nUll"),
    # no timestamps in the core schema
    ("2001-12-14", "2001-12-14"), ("2001-12-14T21:59:43.10-05:00", "2001-12-14T21:59:43.10-05:00"),
    # other YAML 1.1 tags that are plain strings in 1.2
    ("=", "="),
    # quoted scalars are always strings
    ('"5e-4"', "5e-4"), ("'yes'", "yes"), ("'1e3'", "1e3"), ('"true"', "true"), ("'~'", "~"),
]

ERROR = object()
"""ruamel refuses the document."""

RUAMEL_DEVIATIONS = {
    # ruamel.yaml's 1.2 resolver still allows '_' digit separators and 0b binary
    "1_000": 1000, "0b101": 5,
    # ... and a sign on 0x / 0o integers
    "-0x1F": -31, "+0o17": 15,
    # ... but wants a dot before a signless exponent when there is no leading digit
    ".5e2": ".5e2", "+.5e2": "+.5e2",
    # ... and still resolves '=' to YAML 1.1's !!value tag, which it cannot construct
    "=": ERROR,
}
"""Rows where check-jsonschema's loader (ruamel.yaml 0.19) reads something other than the
YAML 1.2 core schema says; specc and the editor follow the spec there."""


def same(a, b) -> bool:
    """Equal type and value; NaN equals NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def check_jsonschema_reads(text: str):
    """The value of ``k`` in ``k: TEXT`` as check-jsonschema's YAML loader reads it."""
    from check_jsonschema.parsers import yaml as cj_yaml
    load = cj_yaml.impl2loader(cj_yaml.construct_yaml_implementation(),
                               cj_yaml.construct_yaml_implementation(pure=True))
    try:
        return load(io.BytesIO(f"k: {text}\n".encode()))["k"]
    except cj_yaml.ParseError:
        return ERROR


@pytest.mark.parametrize("text, expected", SCALARS, ids=[t or "<empty>" for t, _ in SCALARS])
def test_specc_reads_the_core_schema(text, expected):
    got = parse_spec(f"k: {text}\n").data["k"]
    assert same(got, expected), (text, got, expected)


@pytest.mark.parametrize("text, expected", SCALARS, ids=[t or "<empty>" for t, _ in SCALARS])
def test_check_jsonschema_reads_the_same(text, expected):
    got = check_jsonschema_reads(text)
    if text in RUAMEL_DEVIATIONS:
        # the documented deviation, or the spec's answer once ruamel.yaml follows it
        assert same(got, RUAMEL_DEVIATIONS[text]) or same(got, expected), (text, got)
    else:
        assert same(got, expected), (text, got, expected)


@pytest.mark.skipif(not (os.environ.get("SPECC_YAML_JS") and shutil.which("node")),
                    reason="set SPECC_YAML_JS to the folder of the npm package 'yaml' "
                           "(yaml-language-server's parser) and install node")
def test_editor_parser_agrees():
    """eemeli/yaml at version 1.2, the parser yaml-language-server uses, gives the spec's
    reading for every row (JSON has one number type: ints and floats compare by value)."""
    script = ("const Y = require(process.env.SPECC_YAML_JS); const out = [];"
              "for (const t of JSON.parse(process.argv[1])) {"
              "  const v = Y.parseDocument('k: ' + t + '\\n', {version: '1.2'}).toJS().k;"
              "  out.push(typeof v === 'number' && !Number.isFinite(v) ? ['num', String(v)]"
              "           : [typeof v, v]); }"
              "console.log(JSON.stringify(out));")
    texts = [t for t, _ in SCALARS]
    out = subprocess.run(["node", "-e", script, json.dumps(texts)], capture_output=True,
                         text=True, check=True, timeout=60)
    for text, (kind, value), (_, expected) in zip(texts, json.loads(out.stdout), SCALARS):
        if isinstance(expected, bool) or expected is None or isinstance(expected, str):
            assert value == expected and kind != "num", (text, kind, value)
        elif math.isfinite(expected):
            assert kind == "number" and value == expected, (text, kind, value)
        else:
            assert kind == "num" and value == {"inf": "Infinity", "-inf": "-Infinity",
                                               "nan": "NaN"}[str(expected)], (text, value)


def test_keys_resolve_by_the_core_schema_too():
    assert parse_spec("yes: 1\non: 2\n5e-4: 3\ntrue: 4\n").data == {
        "yes": 1, "on": 2, 0.0005: 3, True: 4}


def test_pyyaml_global_loader_is_untouched():
    assert yaml.safe_load("a: yes\nb: 5e-4\n") == {"a": True, "b": "5e-4"}
    assert SpecLoader.yaml_implicit_resolvers is not yaml.SafeLoader.yaml_implicit_resolvers
    assert SpecLoader.yaml_constructors is not yaml.SafeLoader.yaml_constructors


@pytest.mark.parametrize("text, expected", [
    ("!!int 0o17", 15), ("!!int -0x1F", -31), ("!!int '12'", 12), ("!!float 1", 1.0),
    ("!!float .NaN", math.nan), ("!!str 5e-4", "5e-4"), ("!!str yes", "yes"),
    ("!!bool TRUE", True), ("!!null ''", None), ("!!timestamp 2001-12-14", "2001-12-14")])
def test_explicit_tags(text, expected):
    assert same(parse_spec(f"k: {text}\n").data["k"], expected)


@pytest.mark.parametrize("text, message", [
    ("!!bool yes", "'yes' is not a YAML 1.2 boolean (true or false)"),
    ("!!int 1_000", "'1_000' is not a YAML 1.2 integer"),
    ("!!int 1:20", "'1:20' is not a YAML 1.2 integer"),
    ("!!float 1_0", "'1_0' is not a YAML 1.2 number"),
    ("9" * 5000, "integer of 5000 digits is too long")])
def test_explicit_tags_outside_the_core_forms_are_errors_at_their_line(text, message):
    with pytest.raises(SpecError) as e:
        parse_spec(f"name: x\nk: {text}\n", "s.yaml")
    (issue,) = e.value.issues
    assert (issue.file, issue.line, issue.column, issue.path) == ("s.yaml", 2, 4, "$")
    assert issue.message == f"YAML error: {message}"


def test_positions_and_duplicate_keys_are_kept():
    source = parse_spec("train:\n  optimizer: {name: adam, learning_rate: 5e-4}\n"
                        "on: 1\non: 2\n")
    assert source.data["train"]["optimizer"]["learning_rate"] == 0.0005
    assert source.locate(("train", "optimizer", "learning_rate")) == (2, 42)
    assert [(i.line, i.path) for i in source.issues] == [(4, "$.on")]


@pytest.mark.parametrize("value", [
    "5e-4", "1e3", ".5e2", "0o17", "0x1F", "012", "+1", "1_000", "0b1", "1:20", "yes", "no",
    "on", "off", "y", "~", "null", "true", "True", "2001-12-14", "=", "<<", ".inf", ".nan",
    "", " 1", "-", 0.0001, 5e-4, 1e20, 1e300, -0.0, math.inf, -math.inf, 0, -7,
    10**30, True, False, None])
def test_dump_spec_reads_back_unchanged(value):
    """Strings that look like numbers in either YAML version are quoted by dump_spec, so
    specc, PyYAML and the editor read a dumped spec back as it was."""
    text = dump_spec({"name": value, "items": [value]})
    back = parse_spec(text).data
    assert same(back["name"], value) and same(back["items"][0], value), text
    if isinstance(value, str):
        assert yaml.safe_load(text)["name"] == value, text  # YAML 1.1 readers too


def test_dump_spec_nan_reads_back_as_nan():
    assert math.isnan(parse_spec(dump_spec({"x": math.nan})).data["x"])


def test_a_spec_mapping_keeps_number_like_strings():
    """load_spec dumps a mapping and parses it again: '5e-4' stays a string, 5e-4 a float."""
    from specc.loader.validate import load_spec
    spec = load_spec({"name": "5e-4", "description": "yes", "task": "regression",
                      "data": {"dataset": "sine", "window": 10},
                      "model": {"layers": [{"SimpleRNN": {"units": 8.0}}]},
                      "train": {"optimizer": {"name": "adam", "learning_rate": 5e-4}}})
    assert spec.name == "5e-4" and spec.to_dict()["description"] == "yes"
    assert spec.to_dict()["train"]["optimizer"]["learning_rate"] == 0.0005
    units = spec.to_dict()["model"]["layers"][0]["SimpleRNN"]["units"]
    assert units == 8 and type(units) is int
