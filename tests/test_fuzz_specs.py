"""Property test: mutated example specs never crash ``specc validate`` or ``specc build``.

Hypothesis mutates every example spec, on the parsed tree (delete keys, change types,
insert unknown keys and layers, huge and negative numbers) and on the text (break
indentation, random unicode, delete or duplicate lines, several documents, empty file).
Every outcome must be exit 0, or our own error: one ``FILE:LINE:COL: $.path: message``
line per issue (exit 1) or one ``error: ...`` line (exit 2); never a traceback. Specs
that validate are also built (every model kind), with the same rule. The
default suite runs 300 cases; ``-m slow`` runs 10,000.

A second family pushes VALUES to their limits, per the type of the value it replaces
(:func:`limit_of`: huge integers, 0, negatives, NaN and infinities, wrong types, very long
strings) and inserts keys that are not strings (``1: x``, ``true: 1``). Through the Python
API, ``load_spec`` either raises a :class:`~specc.errors.SpeccError` or returns a spec;
a spec that validated is built, and (for a few mutants of tiny specs on made-up data)
trained for one epoch, and neither raises anything but a SpeccError.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from specc.cli import main
from specc.core.yaml_source import dump_spec, parse_spec
from specc.errors import SpeccError
from tests.conftest import SPECS

EXAMPLES = sorted(p.read_text(encoding="utf-8") for p in SPECS.glob("*.yaml"))
ISSUE_LINE = re.compile(r"^.+:\d+:\d+: (warning: )?\$.*: .+$")
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(),
                    st.text(max_size=12), st.sampled_from(["LSTM", "Dense", "minilm-l6", "cls",
                                                           "LinearSVC", "auto", "imdb"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6)
KEYS = st.one_of(st.text(max_size=10), st.sampled_from(
    ["layers", "backbone", "features", "estimator", "pooling", "tokenizer", "preset", "units",
     "Embedding", "LSTM", "LogisticRegression", "tfidf", "max_len", "head", "epochs"]))


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, path + (i,))


@st.composite
def tree_mutants(draw):
    """An example spec with 1-3 random edits of its parsed tree, dumped back to YAML."""
    tree = yaml.safe_load(draw(st.sampled_from(EXAMPLES)))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(tree) if p]
        path = draw(st.sampled_from(paths))
        parent = tree
        for key in path[:-1]:
            parent = parent[key]
        op = draw(st.sampled_from(["delete", "replace", "insert"]))
        if op == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif op == "insert" and isinstance(parent, dict):
            parent[draw(KEYS)] = draw(VALUES)
        elif op == "insert" and isinstance(parent, list):
            parent.insert(path[-1], draw(st.dictionaries(KEYS, VALUES, max_size=2)))
        else:
            parent[path[-1]] = draw(VALUES)
    return yaml.safe_dump(tree, allow_unicode=True)


@st.composite
def text_mutants(draw):
    """An example spec with 1-3 random edits of its text."""
    lines = draw(st.sampled_from(EXAMPLES)).splitlines()
    for _ in range(draw(st.integers(1, 3))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["indent", "dedent", "unicode", "delete", "duplicate",
                                   "document", "truncate"]))
        if op == "indent":
            lines[i] = " " * draw(st.integers(1, 5)) + lines[i]
        elif op == "dedent":
            lines[i] = lines[i].lstrip()
        elif op == "unicode":
            pos = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + draw(st.text(min_size=1, max_size=4)) + lines[i][pos:]
        elif op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "document":
            lines.insert(i, "---")
        else:
            lines = lines[:i]
    return "\n".join(lines) + "\n"


def check_output(status: int, stderr: str) -> None:
    """Exit 0 (with ``FILE:LINE:COL: warning: $.path: message`` lines only); or 1 with one
    ``FILE:LINE:COL: [warning: ]$.path: message`` line per issue (a real line number); or 2
    with one ``error: ...`` line. Never a traceback."""
    lines = stderr.splitlines()
    assert status in (0, 1, 2)
    if status == 0:  # warnings only: a resource absent on this machine
        assert all(ISSUE_LINE.match(line) and ": warning: $" in line for line in lines), lines
    if status == 1:
        assert lines and all(ISSUE_LINE.match(line) for line in lines), lines
        assert all(not line.split(":")[1] == "0" for line in lines), lines  # a real line number
    elif status == 2:
        assert len(lines) == 1 and lines[0].startswith("error: "), lines


def run_cli(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main(args)
    return status, err.getvalue()


def check_validate_and_build(text: str) -> None:
    """``validate``, then for a valid spec ``build`` (a BERT-backbone spec loads the
    22.7M-parameter backbone: a few seconds a case)."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "spec.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        status, err = run_cli(["validate", str(path)])
        check_output(status, err)
        event(f"validate exit {status}")  # counts in --hypothesis-show-statistics
        if status == 0:
            status, err = run_cli(["build", str(path)])
            check_output(status, err)
            event(f"build exit {status}")


SPEC_MUTANTS = st.one_of(tree_mutants(), text_mutants())
FAST = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FAST
@given(SPEC_MUTANTS)
def test_mutated_specs_never_crash_validate_or_build(text):
    check_validate_and_build(text)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(SPEC_MUTANTS)
def test_mutated_specs_never_crash_validate_or_build_10k(text):
    check_validate_and_build(text)


# --- values at their limits -------------------------------------------------------------
LIMIT_INTS = [0, 1, 2, 3, -1, 2**31, 2**32 - 1, 2**32, 2**63, 10**30, 10**300]
LIMIT_FLOATS = [math.nan, math.inf, -math.inf, 0.0, -1.0, 1.0, 0.999999, 1e308, 5e-324]
LIMIT_STRINGS = ["", "x" * 300, "../../outside", "a b\u2028c", "/dev/zero"]
ODD_KEYS = [1, 0, -1, True, False, None, 1.5]

TINY_DATA = {
    "train.csv": "text,label\n" + "".join(f"{w} {w} x,{w}\n" for w in ("ab", "cd", "ef") * 8),
    "test.csv": "text,label\n" + "".join(f"{w} x {w},{w}\n" for w in ("ab", "cd", "ef") * 4),
}
"""Made-up data of the tiny specs: three words, one class each."""

TINY = [
    """\
name: tiny-keras
task: multiclass
data: {train: train.csv, test: test.csv, validation_split: 0.25}
preprocessing:
  tokenizer: {num_words: 20}
  sequence: {max_len: 6}
model:
  layers:
    - Embedding: {output_dim: 4}
    - Conv1D: {filters: 4, kernel_size: 2}
    - MaxPooling1D: {pool_size: 2}
    - LSTM: {units: 3}
    - Dropout: {rate: 0.1}
    - Dense: {units: 4, kernel_regularizer: {l2: 0.01}}
train:
  optimizer: {name: adam, learning_rate: 0.01}
  batch_size: 8
  epochs: 1
  seed: 1
  early_stopping: {monitor: val_loss, patience: 1}
report: {plots: false}
""",
    """\
name: tiny-series
task: regression
data: {dataset: sine, window: 5, test_split: 0.2, validation_split: 0.2, options: {steps: 60}}
model:
  layers:
    - GRU: {units: 3, return_sequences: true}
    - LayerNormalization
    - GlobalAveragePooling1D
train: {optimizer: {name: sgd, learning_rate: 0.01}, batch_size: 8, epochs: 1, seed: 2}
report: {plots: false}
""",
    """\
name: tiny-tfidf
task: multiclass
data: {train: train.csv, test: test.csv}
model:
  features: {tfidf: {ngram_range: [1, 2], min_df: 1, max_features: 50}}
  estimator: {LogisticRegression: {C: 1.0, max_iter: 50}}
report: {plots: false}
""",
]
"""Small specs of every trainable kind that train in seconds on :data:`TINY_DATA`."""


def limit_of(draw, value):
    """A value at or past the limits of ``value``'s type, or one of another type."""
    if isinstance(value, bool):
        choices = [not value, None, 0, 1, "true"]
    elif isinstance(value, int):
        choices = LIMIT_INTS + [-value, value + 0.5, str(value), [value]]
    elif isinstance(value, float):
        choices = LIMIT_FLOATS + [-value, int(value) if math.isfinite(value) else 1, str(value)]
    elif isinstance(value, str):
        choices = LIMIT_STRINGS + [value * 50, 10**30, None, [value]]
    else:  # a mapping, list or null
        choices = [None, {}, [], 10**30, math.nan, "x" * 300]
    return draw(st.sampled_from(choices))


@st.composite
def limit_mutants(draw, bases=tuple(EXAMPLES) + tuple(TINY)):
    """A spec from ``bases`` with 1-3 of its values pushed to their limits, or a key that is
    not a string inserted into one of its mappings; YAML text."""
    tree = parse_spec(draw(st.sampled_from(bases))).data
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from([p for p in _paths(tree) if p]))
        parent = tree
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and draw(st.integers(0, 5)) == 0:
            parent[draw(st.sampled_from(ODD_KEYS))] = parent[path[-1]]
        else:
            parent[path[-1]] = limit_of(draw, parent[path[-1]])
    return dump_spec(tree)


def check_api(text: str, train: bool = False) -> None:
    """``load_spec`` raises a SpeccError or returns a spec; a spec is built, and with
    ``train`` trained (one epoch) on :data:`TINY_DATA`: nothing but a SpeccError may escape.
    With ``train`` only specs that validate count (``assume``): training is the point."""
    import specc
    from specc.compiler.model import compile_spec
    from specc.core.quiet import import_keras
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        for name, rows in TINY_DATA.items():
            (folder / name).write_text(rows, encoding="utf-8")
        (folder / "spec.yaml").write_text(text, encoding="utf-8")
        try:
            spec = specc.load_spec(folder / "spec.yaml")
        except SpeccError:
            event("limits: refused")
            assume(not train)
            return
        event("limits: valid")
        try:
            if spec.uses_keras:
                import_keras()
            compile_spec(spec)
            if train and not spec.task_def.pretraining:
                if spec.model_kind.keras and spec.train["epochs"] > 1:
                    spec = spec.replace({"train.epochs": 1})
                specc.train(spec, out=folder / "run")
                event("limits: trained")
        except SpeccError:
            event("limits: build or train refused")


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(limit_mutants())
def test_values_at_their_limits_never_crash_validate_or_build(text):
    check_api(text)


@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.filter_too_much])
@given(limit_mutants(bases=tuple(TINY)))
def test_tiny_specs_at_their_limits_never_crash_training(text):
    check_api(text, train=True)


@pytest.mark.parametrize("text", TINY, ids=["keras", "series", "tfidf"])
def test_tiny_specs_train(text):
    """The unmutated tiny specs are valid and train: the limit tests start from specs that
    reach training."""
    import specc
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        for name, rows in TINY_DATA.items():
            (folder / name).write_text(rows, encoding="utf-8")
        (folder / "spec.yaml").write_text(text, encoding="utf-8")
        run = specc.train(specc.load_spec(folder / "spec.yaml"), out=folder / "run")
        assert (run.folder / "metrics.json").is_file()
