"""Safe YAML reading that keeps line/column positions and rejects duplicate keys.

PyYAML's ``safe_load`` silently keeps the last of two equal keys and forgets
positions. Here the document is composed into nodes first (``yaml.compose``
keeps ``start_mark`` on every node), duplicate keys are reported with the line
of the second occurrence, and the Python value is then constructed by
``SafeLoader`` (no Python-object tags). :meth:`SpecSource.locate` maps a spec
path such as ``("model", "layers", 2, "units")`` back to ``(line, column)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from specc.errors import SpecError, SpecIssue, UsageError

MAX_SPEC_BYTES = 1_000_000
"""Specs larger than this (1 MB) are refused: no hand-written spec comes near it."""

MAX_NODES = 100_000
"""Upper bound on YAML nodes after alias expansion (guards against 'billion laughs')."""


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

    def issue(self, path, message: str, at_key: bool = False) -> SpecIssue:
        """A :class:`SpecIssue` at ``path`` in this file."""
        line, col = self.locate(path, at_key)
        return SpecIssue(self.file, line, col, format_path(path), message)


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
            :data:`MAX_NODES`, or tags outside safe YAML. Duplicate keys do not stop
            reading: they are kept in ``SpecSource.issues`` and reported with the rest.
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
    return parse_spec(text, file)


def parse_spec(text: str, file: str = "<spec>") -> SpecSource:
    """Parse spec text (see :func:`read_spec`); ``file`` is used in messages only."""
    try:
        loader = yaml.SafeLoader(text)
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
            issues = _duplicate_keys(root, file)
            if any(i.path == "$" for i in issues):
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


def _duplicate_keys(root: yaml.Node, file: str) -> list[SpecIssue]:
    """Walk the node graph once; report duplicate keys and runaway alias expansion."""
    issues: list[SpecIssue] = []
    count = 0
    stack = [(root, ())]
    while stack:
        node, path = stack.pop()
        count += 1
        if count > MAX_NODES:
            return [SpecIssue(file, 1, 1, "$", f"spec expands to more than {MAX_NODES} YAML "
                                               f"nodes (aliases?); refused")]
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, yaml.Node] = {}
            for k, v in node.value:
                key = k.value if isinstance(k, yaml.ScalarNode) else None
                if key is not None and key in seen:
                    first = seen[key].start_mark.line + 1
                    issues.append(SpecIssue(
                        file, k.start_mark.line + 1, k.start_mark.column + 1,
                        format_path(path + (key,)),
                        f"duplicate key '{key}' (first at line {first}); YAML would silently "
                        f"keep only the last one"))
                elif key is not None:
                    seen[key] = k
                stack.append((v, path + (key,)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((v, path + (i,)) for i, v in enumerate(node.value))
    return issues
