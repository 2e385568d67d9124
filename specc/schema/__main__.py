"""``python -m specc.schema``: regenerate ``spec.schema.json`` from the registries."""

from specc.schema import SCHEMA_PATH, render_schema

SCHEMA_PATH.write_text(render_schema(), encoding="utf-8")
print(f"wrote {SCHEMA_PATH}")
