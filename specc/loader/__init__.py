"""Loader: spec file -> YAML nodes with positions -> schema and semantic validation -> resolved spec."""
