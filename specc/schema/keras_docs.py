"""Argument descriptions for the schema, read from the libraries' own docstrings.

Used only when ``spec.schema.json`` is generated (``python -m specc.schema``), never at
validation time: it imports Keras, keras-hub or scikit-learn. A Keras class documents
its constructor in a Google-style ``Args:`` section, a scikit-learn class in a numpydoc
``Parameters`` section; each argument's description here is the first paragraph of its
entry (with the list a paragraph ending in ``:`` introduces), whitespace-normalized and
cut to :data:`MAX_CHARS` at a sentence end, so the hover text in editors is Keras' (or
scikit-learn's) own and cannot drift from it.
"""

from __future__ import annotations

import importlib
import inspect
import re
from functools import cache

from specc.core.quiet import import_keras, import_keras_hub

MAX_CHARS = 300
"""Longest description kept; longer ones are cut at the last sentence end before it."""

_SECTION = re.compile(r"^(Args|Arguments):\s*$")
_ENTRY = re.compile(r"^(\w+)(?:\s*\([^)]*\))?:\s*(.*)$")
_NUMPYDOC_ENTRY = re.compile(r"^(\w+)(?:\s*:\s*(.*))?$")
_ROLE = re.compile(r":[\w:]+:`~?([^`<]*?)\s*(?:<[^>]*>)?`")
_SENTENCE_END = re.compile(
    r"(?<=[.!?])(?<!e\.g\.)(?<!i\.e\.)(?<!\bie\.)(?<!\bcf\.)(?<!\b\d\.)\s+(?=[A-Z]|- )")
"""Where a sentence (or a list item, ``- ...``) ends: after . ! ? but not after e.g., i.e.
or a list number (``2.``)."""
_DEFAULT = re.compile(r"^(Defaults? (to|is)\b|Default:)")


def sentences(text: str) -> list[str]:
    """``text``, whitespace-normalized, split into sentences and list items."""
    return _SENTENCE_END.split(" ".join(text.split()))


def clean(text: str) -> str:
    """One line of at most :data:`MAX_CHARS`, for a schema ``description``.

    Sentences holding a Sphinx ``:ref:`` (a link into the library's own site) are
    dropped, other roles unwrapped (``:class:`~x.Y``` -> ```Y```). A longer text is cut
    after its last complete sentence that fits, or else at a word boundary with "…".
    """
    kept = [s for s in sentences(text) if ":ref:`" not in s]
    text = _ROLE.sub(r"`\1`", " ".join(kept)).replace("]( ", "](")
    if len(text) <= MAX_CHARS:
        return text
    kept = []
    for sentence in sentences(text):
        if len(" ".join([*kept, sentence])) > MAX_CHARS:
            break
        kept.append(sentence)
    while kept and kept[-1].endswith(":"):  # a list's lead-in without its items
        kept.pop()
    return " ".join(kept) or text[:MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"


def without_default(text: str) -> str:
    """``text`` less its "Defaults to ..." sentences: for keys where specc fills its own default."""
    return " ".join(s for s in sentences(text) if not _DEFAULT.match(s))


def google_args(doc: str) -> dict[str, str]:
    """Argument name -> description, from the ``Args:`` section of a Google-style ``doc``."""
    lines = doc.splitlines()
    start = next((i + 1 for i, line in enumerate(lines) if _SECTION.match(line)), None)
    if start is None:
        return {}
    out: dict[str, list[str]] = {}
    indent, current, closed = None, None, False
    for line in lines[start:]:
        if not line.strip():
            closed = current is not None and not _introduces_list(out[current])
            continue
        depth = len(line) - len(line.lstrip())
        if depth == 0:
            break  # the next section ("Call arguments:", "Input shape:", ...)
        indent = depth if indent is None else indent
        entry = _ENTRY.match(line.strip()) if depth == indent else None
        if entry:
            current, closed = entry.group(1), False
            out[current] = [entry.group(2)]
        elif current is not None and not closed:
            out[current].append(line)
    return {name: clean(" ".join(parts)) for name, parts in out.items()}


def numpydoc_params(doc: str) -> dict[str, str]:
    """Parameter name -> description, from the ``Parameters`` section of a numpydoc ``doc``.

    The type line follows in parentheses: ``Inverse of ... (float, default=1.0)``.
    """
    lines = doc.splitlines()
    starts = [i + 2 for i in range(len(lines) - 1)
              if lines[i].strip() == "Parameters" and set(lines[i + 1].strip()) == {"-"}]
    if not starts:
        return {}
    kinds: dict[str, str] = {}
    out: dict[str, list[str]] = {}
    current, closed = None, False
    for i in range(starts[0], len(lines)):
        line = lines[i]
        if not line.strip():
            closed = current is not None and bool(out[current]) and \
                not _introduces_list(out[current])
            continue
        if not line[0].isspace():
            if i + 1 < len(lines) and set(lines[i + 1].strip()) == {"-"}:
                break  # the next section ("Attributes", "See Also", ...)
            entry = _NUMPYDOC_ENTRY.match(line.strip())
            current, closed = (entry.group(1), False) if entry else (None, True)
            if current:
                kinds[current], out[current] = (entry.group(2) or "").strip(), []
        elif current is not None and not closed:
            out[current].append(line)
    return {name: _with_kind(clean(" ".join(parts)), kinds[name]) for name, parts in out.items()}


def _introduces_list(parts: list[str]) -> bool:
    """Whether the paragraph so far ends with ':' (the list after it belongs to it)."""
    return " ".join(parts).rstrip().endswith(":")


def _with_kind(body: str, kind: str) -> str:
    return f"{body} ({kind})" if kind and len(body) + len(kind) + 3 <= MAX_CHARS else body


@cache
def arg_docs(path: str) -> dict[str, str]:
    """Argument descriptions of the class or function at ``path`` (``keras.layers.LSTM``).

    Keras and keras-hub objects are read as Google style, scikit-learn ones as numpydoc;
    an argument a class leaves undocumented is taken from the first base class that
    documents it (``SpatialDropout1D``'s ``seed`` from ``Dropout``).
    """
    parse = numpydoc_params if path.startswith("sklearn.") else google_args
    obj = _find(path)
    found: dict[str, str] = {}
    for cls in inspect.getmro(obj) if inspect.isclass(obj) else (obj,):
        for name, text in parse(inspect.getdoc(cls) or "").items():
            found.setdefault(name, text)
    return found


@cache
def class_summary(path: str) -> str:
    """First paragraph of the docstring of the class at ``path`` (``keras.layers.LSTM``)."""
    return clean((inspect.getdoc(_find(path)) or "").split("\n\n", 1)[0])


def _find(path: str):
    """The class or function at the dotted ``path``; Keras and keras-hub imported quietly."""
    if path.startswith("keras_hub."):
        import_keras_hub()
    elif path.startswith("keras."):
        import_keras()
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


DOC_SOURCES = ("keras", "keras-hub", "scikit-learn")
"""The distributions whose docstrings the schema's descriptions are generated from."""


def doc_versions() -> str:
    """``"keras 3.15.1, keras-hub 0.32.0, scikit-learn 1.9.1"``: the installed versions of
    :data:`DOC_SOURCES` (recorded in the schema's ``$comment``)."""
    from importlib.metadata import version
    return ", ".join(f"{name} {version(name)}" for name in DOC_SOURCES)
