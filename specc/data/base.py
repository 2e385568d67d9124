"""The in-memory form every data source returns, whatever it was read from.

A text source yields a :class:`TextDataset` (raw strings and integer or float
labels); a time-series source yields a :class:`SeriesDataset` (windows of ``n``
steps and the value that follows each window). Splits are kept apart from the
start: the test split is the dataset's own test split and is only ever used for
the final evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class TextDataset:
    """Texts with labels, already split into train / (optional dev) / test.

    Attributes:
        train_texts, test_texts, dev_texts: lists of ``str`` (dev may be None).
        train_labels, test_labels, dev_labels: ``np.ndarray`` of shape ``(n,)``;
            ``int64`` class ids in ``[0, len(class_names))`` for classification,
            ``float32`` for regression.
        class_names: names of the classes by id, or None for regression.
        source: a short human description ("aclImdb v1 from <dir>").
        notes: derivation facts worth reporting (counts, rules applied).
        train_groups: optional group of each training example, shape ``(n,)`` (IMDB: the
            movie reviewed). A grouped validation split keeps each group on one side, as the
            dataset's own test split does (its movies are disjoint from train's).
        group_name: what a group is ("movie"), for reports.
    """

    train_texts: list[str]
    train_labels: np.ndarray
    test_texts: list[str]
    test_labels: np.ndarray
    class_names: list[str] | None
    dev_texts: list[str] | None = None
    dev_labels: np.ndarray | None = None
    source: str = ""
    notes: dict = field(default_factory=dict)
    train_groups: np.ndarray | None = None
    group_name: str = ""

    kind = "text"


@dataclass
class CorpusDataset:
    """Unlabelled texts, for masked-language-model pretraining (``task: masked_lm``).

    Attributes:
        texts: list of ``str``.
        source: a short human description.
        notes: derivation facts worth reporting (counts, what was left out and why).
    """

    texts: list[str]
    source: str = ""
    notes: dict = field(default_factory=dict)

    class_names = None
    kind = "corpus"


@dataclass
class SeriesDataset:
    """A univariate series cut into sliding windows: ``x[i]`` (``window`` steps) predicts ``y[i]``.

    Attributes:
        train_x, test_x: ``float32`` arrays of shape ``(n, window, 1)``.
        train_y, test_y: ``float32`` arrays of shape ``(n,)``, the step after each window.
        series: the full series, shape ``(steps,)``, for plots.
        test_start: index in ``series`` of the first target in the test split.
        source: a short human description.
    """

    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    series: np.ndarray
    test_start: int
    source: str = ""
    notes: dict = field(default_factory=dict)

    class_names = None
    kind = "series"
