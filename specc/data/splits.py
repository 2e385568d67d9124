"""Validation splits and subsampling of a training set, deterministic for a given seed.

Classification data is split and subsampled *stratified* (class proportions kept,
via :func:`sklearn.model_selection.train_test_split`); series and regression data
are never shuffled: the validation split is the last fraction, in order.
scikit-learn is imported on first use only, to keep ``import specc.data`` fast.
"""

from __future__ import annotations

import numpy as np

from specc.data.labels import shown
from specc.data.series import tail_count
from specc.errors import DataError


def _as_labels(n_or_labels) -> tuple[int, np.ndarray | None]:
    if isinstance(n_or_labels, int | np.integer) and not isinstance(n_or_labels, bool):
        return int(n_or_labels), None
    labels = np.asarray(n_or_labels)
    return len(labels), labels


def _check_stratifiable(labels: np.ndarray, parts: dict[str, int],
                        class_names: list[str] | None, what: str) -> None:
    """Raise DataError unless every class has 2+ samples and every part can hold each class."""
    values, counts = np.unique(labels, return_counts=True)
    for value, count in zip(values, counts):
        if count < 2:
            name = shown(class_names[int(value)]) if class_names else repr(value.item())
            raise DataError(f"class {name} has only {count} sample, too few to {what} "
                            "stratified (each class needs at least 2); add samples, remove "
                            "the class, or " + ("drop max_train_samples / max_test_samples"
                                                if what == "subsample" else
                                                "use a dev split"))
    for part, size in parts.items():
        if size < len(values):
            raise DataError(f"cannot {what} stratified: the {part} would hold {size} "
                            f"samples for {len(values)} classes")


def validation_split(labels, fraction: float, seed: int, stratify: bool,
                     class_names: list[str] | None = None,
                     groups: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Split training indices ``0..n-1`` into train and validation.

    Args:
        labels: class ids, shape ``(n,)``, or for unstratified data just the length ``n``.
        fraction: share of samples for validation, in (0, 1); ``ceil(n * fraction)`` of them.
        seed: random seed (same seed, same split).
        stratify: True for classification (shuffled, class proportions kept); False for
            series/regression (not shuffled: the last ``fraction`` is validation).
        class_names: names by class id, used in error messages only.
        groups: optional group id per sample (e.g. the movie a review is about). Then no
            group is on both sides: sklearn's ``StratifiedGroupKFold`` with
            ``round(1 / fraction)`` folds, the first fold being validation, so the size is
            ``fraction`` of ``n`` only approximately.

    Returns:
        ``(train_idx, val_idx)``: sorted ``int64`` index arrays that partition ``range(n)``.

    Raises:
        DataError: bad fraction; a class with fewer than 2 samples (named); a split too
            small to hold every class.
    """
    n, y = _as_labels(labels)
    n_val = tail_count(n, fraction)
    if n_val >= n:
        raise DataError(f"validation fraction {fraction} of {n} samples leaves none for training")
    idx = np.arange(n, dtype=np.int64)
    if not stratify:
        return idx[: n - n_val], idx[n - n_val:]
    if y is None:
        raise DataError("a stratified split needs the labels, not just a count")
    _check_stratifiable(y, {"training part": n - n_val, "validation part": n_val},
                        class_names, "split off validation data")
    if groups is not None:
        from sklearn.model_selection import StratifiedGroupKFold
        folds = StratifiedGroupKFold(n_splits=max(2, round(1 / fraction)), shuffle=True,
                                     random_state=seed)
        train, val = next(folds.split(idx, y, groups=np.asarray(groups)))
        return np.sort(idx[train]), np.sort(idx[val])
    from sklearn.model_selection import train_test_split

    train, val = train_test_split(idx, test_size=n_val, random_state=seed, shuffle=True,
                                  stratify=y)
    return np.sort(train), np.sort(val)


def subsample(n_or_labels, max_samples: int, seed: int, stratify: bool,
              class_names: list[str] | None = None) -> np.ndarray:
    """Pick at most ``max_samples`` indices of ``range(n)``, deterministic for ``seed``.

    Args:
        n_or_labels: class ids, shape ``(n,)`` (needed when ``stratify``), or ``n``.
        max_samples: how many to keep; when ``n <= max_samples`` all are kept.
        seed: random seed.
        stratify: keep class proportions (classification); otherwise a uniform draw.
        class_names: names by class id, used in error messages only.

    Returns:
        Sorted ``int64`` indices (original order kept), shape ``(min(n, max_samples),)``.

    Raises:
        DataError: ``max_samples`` < 1; a class with fewer than 2 samples (named) or
            more classes than ``max_samples`` when stratifying. When fewer samples are
            dropped than there are classes, the dropped ones are drawn uniformly.
    """
    n, y = _as_labels(n_or_labels)
    if isinstance(max_samples, bool) or not isinstance(max_samples, int | np.integer) \
            or max_samples < 1:
        raise DataError(f"max_samples must be a positive integer, got {max_samples!r}")
    idx = np.arange(n, dtype=np.int64)
    if n <= max_samples:
        return idx
    if not stratify:
        return np.sort(np.random.default_rng(seed).choice(idx, size=max_samples, replace=False))
    if y is None:
        raise DataError("stratified subsampling needs the labels, not just a count")
    _check_stratifiable(y, {"subsample": max_samples}, class_names, "subsample")
    n_drop = n - max_samples
    if n_drop < len(np.unique(y)):  # too few to drop per class: drop a uniform handful
        drop = np.random.default_rng(seed).choice(idx, size=n_drop, replace=False)
        return np.setdiff1d(idx, drop)
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(idx, train_size=max_samples, random_state=seed, shuffle=True,
                               stratify=y)
    return np.sort(keep)


def nested_subset(n_or_labels, fraction: float, seed: int, stratify: bool) -> np.ndarray:
    """Indices of a ``fraction`` of ``range(n)`` for a learning curve, deterministic for ``seed``.

    Subsets are *nested*: for the same seed, the subset of a smaller fraction is contained
    in that of a larger one (each class's samples are permuted once and the first
    ``ceil(fraction * n_class)`` kept), so points on a learning curve differ only by the
    added data. With ``stratify`` each class keeps its share (at least one sample).

    Args:
        n_or_labels: class ids ``(n,)`` (needed when ``stratify``), or ``n``.
        fraction: share to keep, in (0, 1].
        seed: random seed.
        stratify: keep class proportions (classification); otherwise a uniform draw.

    Returns:
        Sorted ``int64`` indices.

    Raises:
        DataError: ``fraction`` outside (0, 1].
    """
    if not 0 < fraction <= 1:
        raise DataError(f"a training fraction must be in (0, 1], got {fraction}")
    n, y = _as_labels(n_or_labels)
    groups = [np.arange(n)] if not stratify or y is None else \
        [np.flatnonzero(y == c) for c in np.unique(y)]
    rng = np.random.default_rng(seed)
    keep = [rng.permutation(g)[:max(1, int(np.ceil(fraction * len(g))))] for g in groups]
    return np.sort(np.concatenate(keep)).astype(np.int64)
