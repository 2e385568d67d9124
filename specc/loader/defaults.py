"""Fill a spec's omitted settings with the ``default`` values of the published schema.

The schema is the one place defaults are written down, so ``spec.yaml`` in a run
folder (the resolved spec) and the editor tooltips always agree. Layer arguments
are not filled: Keras' own defaults apply to what a spec leaves out.
"""

from __future__ import annotations

import copy


def fill_defaults(schema: dict, value):
    """Return a copy of ``value`` with schema defaults filled in, recursively.

    A section that the schema allows as ``true`` or an object (``early_stopping:
    true``) becomes the object of its defaults. In a conditional section
    (``if``/``then``/``else``) the branch that applies is filled too. ``$ref``
    targets are not entered.
    """
    value = copy.deepcopy(value)
    return _fill(schema, value)


def _fill(schema: dict, value):
    if value is True and "object" in _types(schema):
        value = {}
    if not isinstance(value, dict):
        return value
    if "if" in schema:  # a conditional section: fill from the branch that applies
        from jsonschema import Draft7Validator
        branch = schema.get("then" if Draft7Validator(schema["if"]).is_valid(value) else "else")
        if branch:
            value = _fill(branch, value)
    props = schema.get("properties")
    if props is None:
        return value
    for key, sub in props.items():
        if key not in value and "default" in sub:
            value[key] = copy.deepcopy(sub["default"])
        if key in value:
            value[key] = _fill(sub, value[key])
    return value


def _types(schema: dict) -> list:
    t = schema.get("type", [])
    return t if isinstance(t, list) else [t]
