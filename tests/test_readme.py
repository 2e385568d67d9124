"""The README's "Use your model" snippets run as written (paths under ``runs/`` moved to a
temporary folder; the ``serve``/``curl`` lines are covered by tests/test_serve.py)."""

from __future__ import annotations

import contextlib
import io
import re
import shlex

import pytest

from specc.cli import main
from tests.conftest import ROOT, needs_data


def section_blocks(kind: str) -> list[str]:
    """The ``kind`` code blocks of the README's "Use your model" section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Use your model", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{kind}\n(.*?)```", section, flags=re.S)


@needs_data
@pytest.mark.realdata
def test_use_your_model_snippets_run(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    runs = str(tmp_path / "runs")
    bash, python = section_blocks("bash"), section_blocks("python")
    assert len(bash) == 2 and len(python) == 1
    for line in bash[0].strip().splitlines():
        argv = shlex.split(line.replace("runs/", runs + "/"))
        assert argv[0] == ".venv/bin/specc"
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(argv[1:]) == 0, line
        if argv[1] == "predict" and "--output" not in argv:
            assert [row.count('"label"') for row in out.getvalue().splitlines()] == [1, 1]
    assert "specc serve" in bash[1] and "/predict" in bash[1]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(python[0].replace('"runs/', f'"{runs}/'), "README.md", "exec"), {})
    printed = out.getvalue().splitlines()
    assert printed[0].startswith("['positive', 'negative']") and printed[-1] == "0.0"


def test_readme_spec_example_is_specs_lstm_yaml():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## A spec\n", 1)[1].split("\n## ", 1)[0]
    block = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)[0]
    assert block == (ROOT / "specs" / "lstm.yaml").read_text(encoding="utf-8")


def test_readme_examples_table_lists_every_spec():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("## Example specs\n", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `specs/([\w.]+\.yaml)` \|", table, flags=re.M))
    assert listed == {p.name for p in (ROOT / "specs").glob("*.yaml")}
