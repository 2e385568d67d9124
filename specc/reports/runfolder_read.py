"""Reading one file of a run folder within its size limit: bytes, UTF-8 text, JSON checked
against its schema, and ``.npz`` arrays.

The file must be a regular file in the folder (not a link, device, FIFO or folder) of at
most a size limit: :class:`specc.core.bounded.Reader` checks it without following a link,
opens it with ``O_NOFOLLOW`` and reads up to that limit, so a planted link to
``/dev/zero`` or to a file outside the folder is never followed. JSON nested too deeply
for Python's parser is refused; ``.npz`` archives are opened with ``allow_pickle=False``
after every array's header was checked against the archive's declared sizes (no
allocation a small file can inflate). Any defect is one :class:`~specc.errors.UsageError`
line naming the file (and the field or array).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import zipfile
from pathlib import Path
from typing import BinaryIO

import numpy as np

from specc.core.bounded import Reader
from specc.errors import UsageError
from specc.reports.runfolder_jsonschemas import fail, has_schema, validate
from specc.reports.runfolder_layout import MAX_JSON_BYTES, MAX_NPZ_BYTES, MAX_NPZ_UNPACKED


def present(path: Path) -> bool:
    """Whether anything (a file, a folder, a link, even a dangling one) is at ``path``."""
    return os.path.lexists(path)


def open_run_file(path: str | Path, limit: int, what: str = "run file"
                  ) -> contextlib.AbstractContextManager[BinaryIO]:
    """The regular file ``path`` of at most ``limit`` bytes, open for reading (binary), as
    a context manager: checked without following a link (``lstat``), opened with
    ``O_NOFOLLOW`` and without blocking (a FIFO swapped in since), checked again on the
    open descriptor (:meth:`specc.core.bounded.Reader.opened`).

    Raises:
        UsageError: missing, not a regular file, too large or unreadable (naming it).
    """
    return Reader(UsageError, what).opened(path, limit)


def read_bytes(path: str | Path, limit: int, what: str = "run file") -> bytes:
    """The content of the regular file ``path`` (at most ``limit`` bytes; see
    :func:`open_run_file`: links, devices and folders are refused).

    Raises:
        UsageError: missing, not a regular file, too large or unreadable (naming it).
    """
    return Reader(UsageError, what).read(path, limit)


def read_text(path: str | Path, limit: int, what: str = "run file") -> str:
    """:func:`read_bytes` decoded as UTF-8.

    Raises:
        UsageError: see :func:`read_bytes`; not UTF-8 (naming the byte offset).
    """
    data = read_bytes(path, limit, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise fail(Path(path), None, f"not UTF-8 text (byte {e.start})") from None


def read_json(path: str | Path, name: str | None = None, limit: int = MAX_JSON_BYTES):
    """A JSON file of a run folder, checked against the schema of ``name`` (default: the
    file's name; a key of :func:`schemas`, or ``""``: no schema).

    Raises:
        UsageError: see :func:`read_text`; not JSON; nested too deeply; a schema violation
            (``<file>: <json path>: <message>``).
    """
    path = Path(path)
    text = read_text(path, limit)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise fail(path, None, f"not valid JSON: {e.msg} (line {e.lineno}, column "
                               f"{e.colno})") from None
    except RecursionError:
        raise fail(path, "$", "JSON nested too deeply") from None
    except ValueError as e:  # e.g. an integer of more than 4,300 digits
        raise fail(path, None, f"not valid JSON ({str(e)[:200]})") from None
    name = path.name if name is None else name
    if has_schema(name):
        validate(doc, name, path)
    return doc


def read_npz(path: str | Path, limit: int = MAX_NPZ_BYTES, unpacked: int = MAX_NPZ_UNPACKED
             ) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file: ``{name: array}``, loaded without pickles.

    Each array's ``.npy`` header is read first; its shape times its item size must fit the
    archive's declared size of that member, and all members together ``unpacked`` bytes,
    so no allocation outgrows what the file declares. The file is at most ``limit`` bytes.

    Raises:
        UsageError: see :func:`read_bytes`; not an ``.npz`` archive, a member that is not an
            array, an object array, a truncated or corrupt member (naming the file).
    """
    path = Path(path)
    fmt = np.lib.format
    headers = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}
    arrays: dict[str, np.ndarray] = {}
    try:
        with open_run_file(path, limit) as f, zipfile.ZipFile(f) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > unpacked:
                raise fail(path, None, f"unpacks to more than {unpacked} bytes; refused")
            for member in members:
                name = member.filename.removesuffix(".npy")
                if name == member.filename:
                    raise fail(path, member.filename, "not an array (.npy) member")
                with archive.open(member) as f:
                    version = fmt.read_magic(f)
                    if version not in headers:
                        raise fail(path, name, f".npy format version {version} not read")
                    shape, _, dtype = headers[version](f)
                if dtype.hasobject:
                    raise fail(path, name, "holds Python objects; refused")
                if math.prod(shape) * dtype.itemsize > member.file_size:
                    raise fail(path, name, f"declares shape {shape}, more data than it holds")
                with archive.open(member) as f:
                    arrays[name] = fmt.read_array(f, allow_pickle=False)
    except UsageError:
        raise
    except Exception as e:  # noqa: BLE001 - any failure of a foreign file is one line
        first = (str(e).strip().splitlines() or [""])[0][:200]
        raise fail(path, None, f"not a readable .npz file ({type(e).__name__}"
                               f"{': ' + first if first else ''})") from None
    return arrays


def optional(path: Path, read):
    """``read(path)`` if anything is at ``path`` (a present but refused file is an error
    from ``read``), else None."""
    return read(path) if present(path) else None


def array_field(path: Path, arrays: dict, key: str, ndim: tuple[int, ...] | None,
                kinds: str = "iuf", finite: bool = True) -> np.ndarray:
    """``arrays[key]``, which must exist with a number of dimensions in ``ndim`` (None:
    any), a dtype kind in ``kinds`` (``i`` int, ``u`` unsigned, ``f`` float, ``U`` str)
    and, for floats with ``finite``, no NaN or infinity."""
    if key not in arrays:
        raise fail(path, key, "missing")
    a = arrays[key]
    if ndim is not None and a.ndim not in ndim:
        wanted = " or ".join(f"{d}-D" for d in ndim)
        raise fail(path, key, f"has shape {a.shape}; expected {wanted}")
    if a.dtype.kind not in kinds:
        names = {"i": "integers", "u": "integers", "f": "numbers", "U": "text"}
        wanted = " or ".join(dict.fromkeys(names[k] for k in kinds))
        raise fail(path, key, f"holds {a.dtype}; expected {wanted}")
    if finite and a.dtype.kind == "f" and not np.isfinite(a).all():
        raise fail(path, key, "holds NaN or infinite values")
    return a

