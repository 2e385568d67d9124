"""Shared fixtures: spec paths, the data mirror, and a quiet Keras import."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"


def data_dir_available() -> bool:
    """True when SPECC_DATA_DIR points at a folder (the offline data mirror)."""
    d = os.environ.get("SPECC_DATA_DIR")
    return bool(d) and Path(d).is_dir()


needs_data = pytest.mark.skipif(not data_dir_available(),
                                reason="SPECC_DATA_DIR is not set to the data mirror")


@pytest.fixture
def write_spec(tmp_path):
    """Write YAML text to a spec file in a temp folder and return its path."""
    def _write(text: str, name: str = "spec.yaml") -> Path:
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        return p
    return _write
