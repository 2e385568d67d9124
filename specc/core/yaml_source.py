"""Safe YAML reading that keeps line/column positions and rejects duplicate keys.

PyYAML's ``safe_load`` silently keeps the last of two equal keys and forgets
positions. Here the document is composed into nodes first (``yaml.compose``
keeps ``start_mark`` on every node), duplicate keys are reported with the line
of the second occurrence, and the Python value is then constructed by
``SafeLoader`` (no Python-object tags). :meth:`SpecSource.locate` maps a spec
path such as ``("model", "layers", 2, "units")`` back to ``(line, column)``.

Plain scalars are resolved by the YAML 1.2 core schema, as the editor
(yaml-language-server) and check-jsonschema read them, not by PyYAML's YAML 1.1
rules: ``5e-4`` and ``1e3`` are numbers; ``yes``, ``no``, ``on``, ``off``,
``1_000``, ``0b1``, ``1:20`` and ``2001-12-14`` are strings (see
:class:`SpecLoader`). :func:`dump_spec` writes YAML that reads back the same.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import yaml

from specc.errors import SpecError, SpecIssue, UsageError

MAX_SPEC_BYTES = 1_000_000
"""Specs larger than this (1 MB) are refused: no hand-written spec comes near it."""

MAX_NODES = 100_000
"""Upper bound on YAML nodes after alias expansion (guards against 'billion laughs')."""


_CORE = "tag:yaml.org,2002:"
_NULL = re.compile(r"(?:~|null|Null|NULL|)\Z")
_BOOL = re.compile(r"(?:true|True|TRUE|false|False|FALSE)\Z")
_INT = re.compile(r"(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)\Z")
_FLOAT = re.compile(r"(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z")
# What an explicit ``!!int`` / ``!!float`` may hold: the core forms, a sign allowed on all.
_INT_TEXT = re.compile(r"([-+]?)(?:(0o)([0-7]+)|(0x)([0-9a-fA-F]+)|([0-9]+))\Z")
_FLOAT_TEXT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_SPECIAL_FLOATS = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}


class SpecLoader(yaml.SafeLoader):
    r"""PyYAML's ``SafeLoader`` with YAML 1.2 core-schema tag resolution.

    Plain (unquoted) scalars resolve as in https://yaml.org/spec/1.2.2/#1032-tag-resolution:
    null ``null|Null|NULL|~|``(empty); bool ``true|True|TRUE|false|False|FALSE``; int
    ``[-+]?[0-9]+`` (decimal even with leading zeros: ``012`` is 12), ``0o[0-7]+``,
    ``0x[0-9a-fA-F]+``; float ``[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?``,
    ``[-+]?\.(inf|Inf|INF)``, ``\.nan|\.NaN|\.NAN``; anything else is a string. Quoted
    scalars are strings. The ``<<`` merge key is kept (PyYAML, ruamel.yaml, so
    check-jsonschema, and earlier specc versions all merge; the editor's parser does not in
    YAML 1.2 mode and reports ``<<`` as an unknown key). Explicit ``!!int``/``!!float``/``!!bool`` values must be
    written in those forms (a sign is allowed on ``0o``/``0x``); ``!!timestamp`` values
    stay strings, as check-jsonschema reads them.

    The resolver table is this class's own: PyYAML's global ``SafeLoader`` is untouched.
    """

    yaml_implicit_resolvers: ClassVar[dict] = {}
    yaml_constructors: ClassVar[dict] = dict(yaml.SafeLoader.yaml_constructors)

    def __init__(self, stream):
        super().__init__(stream)
        self._open_anchors: list[str] = []

    def compose_node(self, parent, index):
        """PyYAML's ``compose_node``, refusing at once an alias inside the node it names.

        ``a: &a [*a]`` would compose a node that contains itself; walking or constructing
        it never ends (PyYAML builds a self-referencing list). The anchors of the nodes
        being composed are kept on a stack, so such an alias is a ``ComposerError`` at the
        alias's position, before anything is built.
        """
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self._open_anchors:
                raise yaml.composer.ComposerError(
                    None, None, f"recursive alias *{event.anchor} inside the node it "
                                f"refers to (&{event.anchor}): the value would contain "
                                f"itself", event.start_mark)
            return super().compose_node(parent, index)
        anchor = getattr(event, "anchor", None)
        if anchor is None:
            return super().compose_node(parent, index)
        self._open_anchors.append(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._open_anchors.pop()

    def construct_yaml_null(self, node):
        """``None`` (an explicit ``!!null`` ignores its text, as in PyYAML)."""
        self.construct_scalar(node)

    def construct_yaml_bool(self, node):
        """``true``/``false`` in any letter case; YAML 1.1's ``yes``/``on``/... are refused."""
        value = self.construct_scalar(node)
        if value.lower() not in ("true", "false"):
            raise yaml.constructor.ConstructorError(
                None, None, f"'{value}' is not a YAML 1.2 boolean (true or false)",
                node.start_mark)
        return value.lower() == "true"

    def construct_yaml_int(self, node):
        """A YAML 1.2 integer: decimal (``012`` is 12), ``0o17`` octal, ``0x1F`` hex."""
        value = self.construct_scalar(node)
        m = _INT_TEXT.match(value)
        if m is None:
            raise yaml.constructor.ConstructorError(
                None, None, f"'{value}' is not a YAML 1.2 integer", node.start_mark)
        sign = -1 if m.group(1) == "-" else 1
        try:
            if m.group(2):
                return sign * int(m.group(3), 8)
            if m.group(4):
                return sign * int(m.group(5), 16)
            return sign * int(m.group(6), 10)
        except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
            raise yaml.constructor.ConstructorError(
                None, None, f"integer of {len(value)} digits is too long",
                node.start_mark) from None

    def construct_yaml_float(self, node):
        """A YAML 1.2 float: ``5e-4``, ``1.``, ``.5``, ``.inf``/``-.Inf``, ``.nan``; an
        explicit ``!!float 1`` is 1.0."""
        value = self.construct_scalar(node)
        special = _SPECIAL_FLOATS.get(value.lower())
        if special is not None:
            return special
        if not _FLOAT_TEXT.match(value):
            raise yaml.constructor.ConstructorError(
                None, None, f"'{value}' is not a YAML 1.2 number", node.start_mark)
        return float(value)

    def construct_yaml_timestamp(self, node):
        """An explicit ``!!timestamp`` stays its text (JSON has no dates; check-jsonschema
        reads timestamps as strings too)."""
        return self.construct_scalar(node)


for _tag, _regexp, _first in (
        ("bool", _BOOL, "tTfF"),
        ("int", _INT, "-+0123456789"),
        ("float", _FLOAT, "-+0123456789."),
        ("null", _NULL, ["~", "n", "N", ""]),
        ("merge", re.compile(r"<<\Z"), "<")):
    SpecLoader.add_implicit_resolver(_CORE + _tag, _regexp, list(_first))
for _tag, _method in (("null", SpecLoader.construct_yaml_null),
                      ("bool", SpecLoader.construct_yaml_bool),
                      ("int", SpecLoader.construct_yaml_int),
                      ("float", SpecLoader.construct_yaml_float),
                      ("timestamp", SpecLoader.construct_yaml_timestamp)):
    SpecLoader.add_constructor(_CORE + _tag, _method)


class SpecDumper(yaml.SafeDumper):
    """PyYAML's ``SafeDumper`` that quotes every string a YAML 1.1 *or* 1.2 reader would
    take for something else: ``'yes'`` (1.1 boolean) as before, and now also ``'5e-4'``,
    ``'0o17'`` (1.2 numbers), so :func:`parse_spec`, PyYAML and the editor all read a
    dumped spec back unchanged. Numbers, booleans and null are written as PyYAML writes
    them (``0.0001``, ``1.0e+20``, ``.inf``, ``true``, ``null``): the same in both."""


for _tag, _regexp, _first in (("int", _INT, "-+0123456789"), ("float", _FLOAT, "-+0123456789.")):
    SpecDumper.add_implicit_resolver(_CORE + _tag, _regexp, list(_first))


def dump_spec(data) -> str:
    """``data`` (a spec mapping) as YAML text that :func:`parse_spec` reads back equal.

    Keys keep their order; non-ASCII text is written as is. Raises ``yaml.YAMLError``
    for a value YAML cannot represent.
    """
    return yaml.dump(data, Dumper=SpecDumper, sort_keys=False, allow_unicode=True)


def flow(value) -> str:
    """``value`` as one line of YAML flow style, as a user writes it in a message or after
    ``--set PATH=``: ``5``, ``.inf``, ``[3, 5]``, ``{layer: {LSTM: {units: 64}}}`` (strings
    that YAML would misread quoted, as :func:`dump_spec` does)."""
    try:
        text = yaml.dump(value, Dumper=SpecDumper, default_flow_style=True, width=1 << 30)
    except yaml.YAMLError:
        return repr(value)
    return text.strip().removesuffix("...").strip()


def format_path(path) -> str:
    """``("model", "layers", 2, "units")`` -> ``$.model.layers[2].units``."""
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


@dataclass
class SpecSource:
    """A parsed spec file: its Python value and its node tree for positions.

    Attributes:
        file: the path as the user gave it (used in messages).
        data: the constructed value (normally a dict).
        root: the composed root node (None for an empty document).
        issues: problems found while reading that did not stop it (duplicate keys).
        text: the document's text.
    """

    file: str
    data: object
    root: yaml.Node | None
    issues: list[SpecIssue] = field(default_factory=list)
    text: str = ""

    def locate(self, path, at_key: bool = False) -> tuple[int, int]:
        """1-based ``(line, column)`` of the node at ``path``, or of the deepest existing parent.

        With ``at_key`` the position of the mapping key itself is given (for unknown
        or misspelt keys). Unknown positions are ``(1, 1)``.
        """
        node, key_node = self.root, None
        for part in path:
            child, child_key = _child(node, part)
            if child is None:
                break
            node, key_node = child, child_key
        else:
            if at_key and key_node is not None:
                node = key_node
        if node is None:
            return 1, 1
        return node.start_mark.line + 1, node.start_mark.column + 1

    def issue(self, path, message: str, at_key: bool = False,
              severity: str = "error") -> SpecIssue:
        """A :class:`SpecIssue` at ``path`` in this file (``severity``: error or warning)."""
        line, col = self.locate(path, at_key)
        return SpecIssue(self.file, line, col, format_path(path), message, severity)


def _child(node, part):
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == str(part):
                return v, k
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            return node.value[part], None
    return None, None


def read_spec(path: str | Path) -> SpecSource:
    """Read and parse a spec file safely.

    Raises:
        UsageError: the file is missing, unreadable, too large or not UTF-8 text.
        SpecError: YAML syntax errors, several documents, aliases expanding past
            :data:`MAX_NODES`, a recursive alias (``a: &a [*a]``), a key that is not a
            string (``1: x``, ``true: 1``), or tags outside safe YAML. Duplicate keys do
            not stop reading: they are kept in ``SpecSource.issues`` and reported with the
            rest.
    """
    file = str(path)
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_SPEC_BYTES:
            raise UsageError(f"{file}: spec is {size} bytes; specs over {MAX_SPEC_BYTES} bytes "
                             f"are refused")
        raw = p.read_bytes()
    except OSError as e:
        raise UsageError(f"{file}: cannot read spec: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UsageError(f"{file}: not UTF-8 text (byte {e.start}); a spec is a UTF-8 YAML "
                         f"file") from None
    return parse_spec(text, file, string_keys=True)


def parse_spec(text: str, file: str = "<spec>", string_keys: bool = False) -> SpecSource:
    """Parse spec text (see :func:`read_spec`); ``file`` is used in messages only.

    Keys resolve by the YAML 1.2 core schema like values (``5e-4: 3`` has the key 0.0005).
    With ``string_keys`` (a whole spec: :func:`read_spec`, ``load_spec`` of a mapping) a
    key that is not a string (``1: x``, ``true: 1``, ``~: 2``, ``? [a]``) is a SpecError
    at the key: keys in a spec are strings (JSON's, the schema's).
    """
    try:
        loader = SpecLoader(text)
    except yaml.reader.ReaderError as e:  # a control character: reported before parsing
        before = text[:e.position]
        line, col = before.count("\n") + 1, e.position - (before.rfind("\n") + 1) + 1
        raise SpecError([SpecIssue(file, line, col, "$", f"YAML error: character "
                                   f"#x{e.character:04x} is not allowed (YAML forbids control "
                                   f"characters)")]) from None
    issues: list[SpecIssue] = []
    try:
        root = loader.get_single_node()
        if root is not None:
            issues, stop = _check_nodes(root, file, string_keys)
            if stop:
                raise SpecError(issues)
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        msg = " ".join(str(p) for p in (e.context, e.problem) if p)
        raise SpecError([SpecIssue(file, line, col, "$", f"YAML error: {msg}")]) from None
    except yaml.YAMLError as e:
        raise SpecError([SpecIssue(file, 1, 1, "$", f"YAML error: {e}")]) from None
    except RecursionError:
        raise SpecError([SpecIssue(file, 1, 1, "$", "YAML nesting too deep")]) from None
    finally:
        loader.dispose()
    return SpecSource(file, data, root, issues, text)


_STR_TAGS = (_CORE + "str", _CORE + "merge")
"""Tags a mapping key may resolve to: a string, or the ``<<`` merge key."""

_KEY_KINDS = {_CORE + "int": "an integer", _CORE + "float": "a number",
              _CORE + "bool": "a boolean", _CORE + "null": "empty (null)"}


def _key_problem(key: yaml.Node) -> str | None:
    """Why ``key`` is not a string key (``1``, ``true``, ``~``, ``[a]``), or None."""
    if isinstance(key, yaml.ScalarNode):
        if key.tag in _STR_TAGS:
            return None
        kind = _KEY_KINDS.get(key.tag, f"tagged {key.tag}")
        shown = key.value if len(key.value) <= 20 else key.value[:17] + "..."
        return (f"key {shown} is {kind}; keys in a spec are strings (quote it, '{shown}', "
                f"if the text is meant)") if key.value else \
            f"a key is {kind}; keys in a spec are strings"
    what = "a list" if isinstance(key, yaml.SequenceNode) else "a mapping"
    return f"a key is {what} ('? ' complex key); keys in a spec are strings"


def _path_of(link) -> tuple:
    """The spec path of a ``(key, parent_link)`` chain (None: the root)."""
    parts = []
    while link is not None:
        part, link = link
        parts.append(part)
    return tuple(reversed(parts))


def _check_nodes(root: yaml.Node, file: str,
                 string_keys: bool) -> tuple[list[SpecIssue], bool]:
    """Walk the node graph once (each alias expanded, as the constructed value will be);
    report duplicate keys, keys that are not strings (``1: x``, ``true: 1``; with
    ``string_keys``) and runaway alias expansion (over :data:`MAX_NODES` nodes). The graph
    has no cycle (:meth:`SpecLoader.compose_node` refuses recursive aliases); paths are kept
    as parent links, built only for an issue, so the walk is linear in the nodes visited.

    Returns ``(issues, stop)``: ``stop`` when reading cannot go on (too many nodes, or a key
    that is not a string: such a value is not a spec, and later stages expect string keys).
    """
    issues: list[SpecIssue] = []
    stop = False
    count = 0
    stack: list[tuple[yaml.Node, object]] = [(root, None)]
    while stack:
        node, link = stack.pop()
        count += 1
        if count > MAX_NODES:
            return [SpecIssue(file, 1, 1, "$", f"spec expands to more than {MAX_NODES} YAML "
                                               f"nodes (aliases?); refused")], True
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, yaml.Node] = {}
            for k, v in node.value:
                scalar = isinstance(k, yaml.ScalarNode)
                key = k.value if scalar else "?"
                problem = _key_problem(k) if string_keys else None
                if problem is None and scalar and key in seen:
                    first = seen[key].start_mark.line + 1
                    problem = (f"duplicate key '{key}' (first at line {first}); YAML would "
                               f"silently keep only the last one")
                elif problem is not None:
                    stop = True
                elif scalar:
                    seen[key] = k
                if problem is not None:
                    issues.append(SpecIssue(file, k.start_mark.line + 1, k.start_mark.column + 1,
                                            format_path(_path_of((key, link))), problem))
                stack.append((v, (key, link)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((v, (i, link)) for i, v in enumerate(node.value))
    return issues, stop
