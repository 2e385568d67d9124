"""Shared fixtures: spec paths, the data mirror, and a quiet Keras import."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from tests.postgres import postgresql_url  # noqa: F401  (the real PostgreSQL server fixture)

ROOT = Path(__file__).resolve().parent.parent

# An exception that is not a SpeccError is a bug: in the tests, show where it happened
# (the CLI otherwise reports it as one line, exit status 70).
os.environ.setdefault("SPECC_TRACEBACK", "1")
SPECS = ROOT / "specs"


def data_dir_available() -> bool:
    """True when SPECC_DATA_DIR points at a folder (the offline data mirror)."""
    d = os.environ.get("SPECC_DATA_DIR")
    return bool(d) and Path(d).is_dir()


needs_data = pytest.mark.skipif(not data_dir_available(),
                                reason="SPECC_DATA_DIR is not set to the data mirror")


def write_file(folder: Path, name: str, content: str | bytes) -> Path:
    """A file under ``folder`` (str is written as UTF-8, line endings untouched)."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


@pytest.fixture
def write_spec(tmp_path):
    """Write YAML text to a spec file in a temp folder and return its path."""
    def _write(text: str, name: str = "spec.yaml") -> Path:
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        return p
    return _write


# A made corpus and a tiny pretraining spec (task masked_lm), shared by the pretraining,
# compiler and validation tests: fine-tuning specs point at the preset it writes.
PRETRAIN = """\
name: tiny-pretrain
task: masked_lm
data: {train: corpus.txt.csv, validation_split: 0.1}
preprocessing:
  tokenizer: {wordpiece: {vocabulary_size: 60}}
  sequence: {max_len: 64}
model:
  backbone: {BertBackbone: {num_layers: 1, num_heads: 2, hidden_dim: 32, intermediate_dim: 64}}
  masking: {mask_selection_rate: 0.2, mask_selection_length: 3}
train:
  optimizer: {name: adam, learning_rate: 0.005}
  batch_size: 16
  epochs: %d
  seed: 1
"""

# Eight fixed "sentences": a masked word is predictable from its neighbours.
SENTENCES = ["가 나 다 라 마 바 사", "하나 둘 셋 넷 다섯 여섯", "봄 여름 가을 겨울 봄 여름",
             "월 화 수 목 금 토 일", "도 레 미 파 솔 라 시", "빨강 주황 노랑 초록 파랑",
             "one two three four five six", "red green blue cyan magenta"]


def write_corpus(folder, n=1600, seed=0):
    rng = random.Random(seed)
    rows = ["text"] + [rng.choice(SENTENCES) for _ in range(n)]
    (folder / "corpus.txt.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


@pytest.fixture(scope="session")
def pretrained(tmp_path_factory):
    """A pretraining run of 3 passes on the made corpus: (run folder, metrics)."""
    folder = tmp_path_factory.mktemp("pretrain")
    write_corpus(folder)
    (folder / "pretrain.yaml").write_text(PRETRAIN % 3, encoding="utf-8")
    from specc.cli import main
    assert main(["pretrain", str(folder / "pretrain.yaml"), "--out", str(folder / "run")]) == 0
    run = folder / "run"
    return run, json.loads((run / "metrics.json").read_text())


@pytest.fixture(scope="session")
def tiny_preset(pretrained) -> Path:
    """The keras-hub preset folder of the tiny pretraining run."""
    return pretrained[0] / "preset"


NSMC_PRESET = "../runs/nsmc-pretrain/preset"
"""The preset the NSMC fine-tuning specs name (written by specs/nsmc_pretrain.yaml)."""


def with_preset(path: Path, preset: Path, folder: Path) -> Path:
    """A copy of the spec at ``path`` in ``folder`` whose backbone is ``preset`` instead of
    the NSMC pretraining run's (absent until ``specc pretrain`` has run)."""
    out = folder / path.name
    out.write_text(path.read_text(encoding="utf-8").replace(NSMC_PRESET, str(preset)),
                   encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def topic_run(tmp_path_factory):
    """(run folder, data folder): the CSV topics spec with pre padding, trained through
    ``specc.train``."""
    import specc
    from tests.test_train_e2e import CSV_SPEC, make_csv
    folder = tmp_path_factory.mktemp("topics")
    make_csv(folder)
    (folder / "spec.yaml").write_text(CSV_SPEC.replace("padding: post", "padding: pre"))
    lines: list[str] = []
    run = specc.train(specc.load_spec(folder / "spec.yaml"), out=folder / "run",
                      callback=lines.append)
    assert isinstance(run, specc.Run) and run.folder == folder / "run"
    assert any(line.startswith("test: accuracy") for line in lines)
    return run.folder, folder
