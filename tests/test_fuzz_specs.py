"""Property test: mutated example specs never crash ``specc validate`` or ``specc build``.

Hypothesis mutates every example spec, on the parsed tree (delete keys, change types,
insert unknown keys and layers, huge and negative numbers) and on the text (break
indentation, random unicode, delete or duplicate lines, several documents, empty file).
Every outcome must be exit 0, or our own error: one ``FILE:LINE:COL: $.path: message``
line per issue (exit 1) or one ``error: ...`` line (exit 2); never a traceback. Specs
that validate are also built (every model kind), with the same rule. The
default suite runs 300 cases; ``-m slow`` runs 10,000.
"""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from specc.cli import main
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
