"""The published JSON Schema of specc specs (``spec.schema.json``, Draft-07)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

SCHEMA_PATH = Path(__file__).with_name("spec.schema.json")


@lru_cache(maxsize=1)
def load_schema() -> dict:
    """The shipped schema as a dict (read once per process)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def render_schema() -> str:
    """The schema as built from the registries, as the text ``spec.schema.json`` must hold."""
    from specc.schema.build import build_schema
    return json.dumps(build_schema(), indent=2) + "\n"
