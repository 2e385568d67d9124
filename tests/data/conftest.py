"""Fixtures for tests/data: a way to write small data files and the real-data mirror."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from specc.data import checksums
from tests.conftest import write_file


@pytest.fixture(autouse=True)
def _fresh_checksum_cache():
    checksums.clear_cache()
    yield
    checksums.clear_cache()


@pytest.fixture
def write(tmp_path):
    """write(name, content) -> Path: a file under tmp_path (str is written as UTF-8)."""
    def _write(name: str, content: str | bytes) -> Path:
        return write_file(tmp_path, name, content)
    return _write


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The offline data mirror from SPECC_DATA_DIR; skips the test when it is not there."""
    value = os.environ.get("SPECC_DATA_DIR")
    if not value or not Path(value).is_dir():
        pytest.skip("SPECC_DATA_DIR is not set or does not exist")
    return Path(value)
