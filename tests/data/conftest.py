"""Fixtures for tests/data: a way to write small data files and the real-data mirror."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from specc.data import checksums


@pytest.fixture(autouse=True)
def _fresh_checksum_cache():
    checksums.clear_cache()
    yield
    checksums.clear_cache()


@pytest.fixture
def write(tmp_path):
    """write(name, content) -> Path: a file under tmp_path (str is written as UTF-8)."""
    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8", newline="")
        else:
            path.write_bytes(content)
        return path
    return _write


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The offline data mirror from SPECC_DATA_DIR; skips the test when it is not there."""
    value = os.environ.get("SPECC_DATA_DIR")
    if not value or not Path(value).is_dir():
        pytest.skip("SPECC_DATA_DIR is not set or does not exist")
    return Path(value)
