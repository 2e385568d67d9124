"""The named datasets a spec can ask for with ``data: {dataset: NAME, options: {...}}``.

Files are read from :func:`data_dir` (env ``SPECC_DATA_DIR``, default
``~/.cache/specc/datasets``), laid out as in the offline data mirror
(``imdb/aclImdb_v1_labelled.tar.gz``, ``sst2/...``, ``reuters21578/...``). Every file
is checked against its SHA-256 before loading (:mod:`specc.data.checksums`). Nothing
is ever downloaded.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specc.data.base import CorpusDataset, SeriesDataset, TextDataset
from specc.data.checksums import verify_file
from specc.data.datasets import imdb, nsmc, reuters, sine, sst2
from specc.errors import DataError
from specc.suggest import did_you_mean

ENV_VAR = "SPECC_DATA_DIR"
DEFAULT_DIR = "~/.cache/specc/datasets"

# option name -> (type, default, description)
OptionSchema = dict[str, tuple[type, Any, str]]


@dataclass(frozen=True)
class NamedDataset:
    """One named dataset.

    Attributes:
        name: the name used in specs (``imdb``).
        tasks: task kinds it supports, e.g. ``("binary",)``; the first is the default.
        n_classes: number of classes, None for regression/series.
        class_names: class names by id when known statically, else None.
        has_dev: whether it ships its own dev split.
        files: path relative to :func:`data_dir` -> expected SHA-256 (hex).
        options: option name -> ``(type, default, description)``.
        load: ``load(data_dir, options) -> TextDataset | SeriesDataset``; ``options`` has
            every option filled in (for series datasets also ``window`` / ``test_split``).
        description: one line for listings.
        kind: ``"text"``, ``"series"`` or ``"corpus"`` (unlabelled texts for ``masked_lm``).
        citation: the source to cite (from the mirror's SOURCE.md); empty for generated data.
        needed_files: ``options -> [relative paths]`` a load reads; default all ``files``.
        check: ``options -> None`` raising DataError for bad option values (choices, ranges).
    """

    name: str
    tasks: tuple[str, ...]
    n_classes: int | None
    class_names: tuple[str, ...] | None
    has_dev: bool
    files: dict[str, str]
    options: OptionSchema
    load: Callable[[Path, dict], TextDataset | SeriesDataset | CorpusDataset]
    description: str
    kind: str = "text"
    citation: str = ""
    needed_files: Callable[[dict], list[str]] | None = None
    check: Callable[[dict], None] | None = field(default=None, repr=False)


def _check_sst2(options: dict) -> None:
    if options["train"] not in sst2.TRAIN_CHOICES:
        raise DataError(f"dataset 'sst2': option train must be one of "
                        f"{', '.join(sst2.TRAIN_CHOICES)}, got {options['train']!r}")


SINE_MAX_STEPS = 10_000_000
"""Longest generated sine series (its windows take ``steps x window x 4`` bytes)."""


def _check_sine(options: dict) -> None:
    if not 2 <= options["steps"] <= SINE_MAX_STEPS:
        raise DataError(f"dataset 'sine': option steps must be from 2 to {SINE_MAX_STEPS:,}, "
                        f"got {options['steps']}")
    if not 0 <= options["seed"] < 2**32:
        raise DataError(f"dataset 'sine': option seed must be from 0 to 2**32-1, got "
                        f"{options['seed']}")
    if options["period"] <= 0:
        raise DataError(f"dataset 'sine': option period must be positive, got {options['period']}")
    if options["noise"] < 0:
        raise DataError(f"dataset 'sine': option noise must be >= 0, got {options['noise']}")


_DATASETS = {d.name: d for d in (
    NamedDataset(
        name="imdb", tasks=("binary",), n_classes=2, class_names=tuple(imdb.CLASS_NAMES),
        has_dev=False, files={imdb.FILE: imdb.SHA256}, options={}, load=imdb.load,
        description="IMDB movie reviews (aclImdb v1), positive/negative, 25,000 train / 25,000 test",
        citation="Maas et al., Learning Word Vectors for Sentiment Analysis, ACL 2011"),
    NamedDataset(
        name="sst2", tasks=("binary",), n_classes=2, class_names=tuple(sst2.CLASS_NAMES),
        has_dev=True, files=dict(sst2.FILES),
        options={"train": (str, "sentence_level",
                           "training file: sentence_level (6,920 sentences) or glue "
                           "(67,349 phrases); dev/test are always sentence-level")},
        load=sst2.load, needed_files=sst2.needed_files, check=_check_sst2,
        description="Stanford Sentiment Treebank, binary, 6,920 train / 872 dev / 1,821 test",
        citation="Socher et al., Recursive Deep Models for Semantic Compositionality "
                 "Over a Sentiment Treebank, EMNLP 2013"),
    NamedDataset(
        name="reuters46", tasks=("multiclass",), n_classes=len(reuters.CLASS_NAMES),
        class_names=tuple(reuters.CLASS_NAMES), has_dev=False,
        files={reuters.FILE: reuters.SHA256}, options={}, load=reuters.load,
        description="Reuters-21578 ModApte newswires with one topic, 46 topics, "
                    "6,486 train / 2,545 test",
        citation="Lewis, Reuters-21578 text categorization test collection, Distribution 1.0"),
    NamedDataset(
        name="nsmc", tasks=("binary",), n_classes=2, class_names=tuple(nsmc.CLASS_NAMES),
        has_dev=False, files={nsmc.FILE: nsmc.SHA256}, options={}, load=nsmc.load,
        description="Korean movie reviews, NSMC rule rebuilt from the raw crawl (seed 1234), "
                    "negative/positive, 150,000 train / 50,000 test",
        citation="Park, Naver Sentiment Movie Corpus v1.0, https://github.com/e9t/nsmc, 2016"),
    NamedDataset(
        name="nsmc_unlabelled", tasks=("masked_lm",), n_classes=None, class_names=None,
        has_dev=False, files={nsmc.FILE: nsmc.SHA256}, options={}, kind="corpus",
        load=nsmc.load_unlabelled,
        description="the 502,917 NSMC raw-crawl reviews not drawn for nsmc, none equal to "
                    "an nsmc test text (unlabelled, for pretraining)",
        citation="Park, Naver Sentiment Movie Corpus v1.0, https://github.com/e9t/nsmc, 2016"),
    NamedDataset(
        name="sine", tasks=("regression",), n_classes=None, class_names=None, has_dev=False,
        files={}, kind="series", load=sine.load, check=_check_sine,
        options={"steps": (int, 360, "length of the generated series"),
                 "period": (float, 30.0, "steps per full sine cycle"),
                 "noise": (float, 0.0, "standard deviation of added Gaussian noise"),
                 "seed": (int, 0, "seed of the noise generator")},
        description="generated sine wave for sequence regression (no files)"),
)}


def data_dir() -> Path:
    """The folder named datasets are read from: ``$SPECC_DATA_DIR`` if set and non-empty,
    else ``~/.cache/specc/datasets`` (user-expanded; it may not exist)."""
    return Path(os.environ.get(ENV_VAR) or DEFAULT_DIR).expanduser()


def names() -> list[str]:
    """The names of all named datasets, sorted."""
    return sorted(_DATASETS)


def get(name: str) -> NamedDataset:
    """The :class:`NamedDataset` called ``name``.

    Raises:
        DataError: unknown name, with a did-you-mean suggestion and the known names.
    """
    try:
        return _DATASETS[name]
    except (KeyError, TypeError):
        raise DataError(f"unknown dataset {name!r}{did_you_mean(str(name), names())}; "
                        f"known datasets: {', '.join(names())}") from None


def resolve_options(dataset: NamedDataset, options: dict | None) -> dict:
    """``options`` checked against the dataset's option schema, with defaults filled in.

    ints are accepted where a float is declared (and converted); bools are never numbers.

    Raises:
        DataError: an unknown option (with did-you-mean), a value of the wrong type, or a
            value the dataset rejects (e.g. sst2 ``train`` not in sentence_level/glue).
    """
    options = dict(options or {})
    for key in options:
        if key not in dataset.options:
            known = ", ".join(dataset.options) or "none"
            raise DataError(f"dataset {dataset.name!r} has no option {key!r}"
                            f"{did_you_mean(key, list(dataset.options))}; options: {known}")
    resolved = {}
    for key, (kind, default, _desc) in dataset.options.items():
        value = options.get(key, default)
        ok = isinstance(value, kind) and not isinstance(value, bool)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok:
            raise DataError(f"dataset {dataset.name!r}: option {key} must be "
                            f"{kind.__name__}, got {value!r}")
        resolved[key] = value
    if dataset.check:
        dataset.check(resolved)
    return resolved


def missing_files(dataset: NamedDataset, directory: Path, options: dict) -> str | None:
    """Why a load with ``options`` cannot find its files in ``directory``, or None when
    every file it reads is there (contents are not read: see :func:`verify`). The message
    names the folder searched, the files expected and how to point ``SPECC_DATA_DIR`` at
    the mirror."""
    needed = dataset.needed_files(options) if dataset.needed_files else list(dataset.files)
    missing = [rel for rel in needed if not (directory / rel).is_file()]
    if not missing:
        return None
    origin = (f"{ENV_VAR}={os.environ[ENV_VAR]}" if os.environ.get(ENV_VAR)
              else f"{ENV_VAR} is not set, so the default {DEFAULT_DIR}")
    state = "" if directory.is_dir() else " (the folder does not exist)"
    return (f"dataset {dataset.name!r}: {', '.join(missing)} not found in {directory}"
            f"{state}; searched there because {origin}. Expected files: "
            f"{', '.join(needed)}. Set {ENV_VAR} to the folder holding the offline data "
            f"mirror (e.g. the repository's ../shared/data).")


def verify(dataset: NamedDataset, directory: Path, options: dict) -> None:
    """Check that the files a load with ``options`` reads exist and match their SHA-256.

    Raises:
        DataError: a missing file (:func:`missing_files`), or a digest mismatch (names the
            file, the expected and the actual digest).
    """
    problem = missing_files(dataset, directory, options)
    if problem:
        raise DataError(problem)
    needed = dataset.needed_files(options) if dataset.needed_files else list(dataset.files)
    for rel in needed:
        verify_file(directory / rel, dataset.files[rel])


def load_named(name: str, options: dict | None = None, directory: Path | None = None,
               extra: dict | None = None) -> TextDataset | SeriesDataset | CorpusDataset:
    """Load the named dataset: resolve options, verify checksums, then read.

    Args:
        name: a dataset name (see :func:`names`).
        options: the spec's ``options`` for it.
        directory: where the files are; default :func:`data_dir`.
        extra: further loader arguments outside the option schema (the data section's
            ``window`` / ``test_split`` for series datasets).

    Raises:
        DataError: see :func:`get`, :func:`resolve_options`, :func:`verify`, and reading errors.
    """
    dataset = get(name)
    resolved = resolve_options(dataset, options)
    directory = directory or data_dir()
    verify(dataset, directory, resolved)
    return dataset.load(directory, {**resolved, **(extra or {})})
