"""Plots of a run, drawn with matplotlib's non-interactive Agg backend into PNG files."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _pyplot():
    """matplotlib's pyplot on the Agg backend, with mathtext off: labels come from data
    (class names such as ``$\\foo$``) and are drawn as written, never parsed as TeX."""
    import matplotlib
    matplotlib.use("Agg")
    matplotlib.rcParams["text.parse_math"] = False
    import matplotlib.pyplot as plt
    return plt


def draw_or_warn(path: Path, draw) -> str | None:
    """``draw(path)``; None when it worked, else a one-line warning
    (``"<file> not drawn: <error>"``) with any partial file removed: a plot is optional,
    so its failure never fails a report."""
    try:
        draw(path)
    except Exception as e:  # noqa: BLE001 - whatever plotting raised, the report says why
        Path(path).unlink(missing_ok=True)
        from specc.errors import one_line
        return one_line(f"{Path(path).name} not drawn: {type(e).__name__}: {e}")
    return None


def save_figure(fig, path: Path) -> Path:
    """Lay out, write as PNG (100 dpi, atomically: a link at ``path`` is replaced, never
    written through) and close ``fig``; return ``path``."""
    import io

    from specc.core.files import write_bytes
    buf = io.BytesIO()
    try:
        fig.tight_layout()
        fig.savefig(buf, dpi=100, format="png")
    finally:
        _pyplot().close(fig)
    write_bytes(path, buf.getvalue())
    return path


def plot_history(history: dict[str, list[float]], path: Path, x: list | None = None,
                 xlabel: str = "epoch", ylabel_prefix: str = "") -> Path:
    """Loss (and accuracy, when recorded) per epoch, train vs validation, side by side.

    ``x``: other positions for the points (e.g. examples seen; default epochs 1..n, each
    ticked), labelled ``xlabel``; ``ylabel_prefix`` goes before each metric's name.
    """
    plt = _pyplot()
    panels = [m for m in ("loss", "accuracy", "mae") if m in history]
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.6), squeeze=False)
    points = np.arange(1, len(history[panels[0]]) + 1) if x is None else x
    for ax, metric in zip(axes[0], panels):
        ax.plot(points, history[metric], marker="o", label="train")
        if f"val_{metric}" in history:
            ax.plot(points, history[f"val_{metric}"], marker="o", label="validation")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel_prefix + metric)
        if x is None:
            ax.set_xticks(points)
        ax.legend()
        ax.grid(alpha=0.3)
    return save_figure(fig, path)


def plot_confusion_matrix(matrix: list[list[int]], class_names: list[str], path: Path) -> Path:
    """Confusion matrix heatmap: rows are true classes, columns predicted (scikit-learn's layout)."""
    plt = _pyplot()
    from sklearn.metrics import ConfusionMatrixDisplay
    n = len(class_names)
    size = max(4.0, min(0.35 * n + 2, 18.0))
    fig, ax = plt.subplots(figsize=(size, size))
    ConfusionMatrixDisplay(np.asarray(matrix), display_labels=class_names).plot(
        ax=ax, colorbar=False, include_values=n <= 20, values_format="d",
        xticks_rotation="vertical")
    ax.set_title("confusion matrix (test)")
    return save_figure(fig, path)


def plot_forecast(series: np.ndarray, test_start: int, predictions: np.ndarray,
                  path: Path) -> Path:
    """The series with the test-split forecasts overlaid (regression on series)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 3.6))
    ax.plot(np.arange(len(series)), series, label="series")
    ax.plot(np.arange(test_start, test_start + len(predictions)), predictions, label="forecast (test)")
    ax.axvline(test_start, color="gray", linestyle="--", linewidth=1)
    ax.set_xlabel("step")
    ax.legend()
    return save_figure(fig, path)


def plot_class_scores(report: dict, class_names: list[str], path: Path) -> Path:
    """Per-class precision, recall and F1 (test) as grouped bars, from scikit-learn's
    ``classification_report(output_dict=True)``."""
    plt = _pyplot()
    n = len(class_names)
    x = np.arange(n)
    fig, ax = plt.subplots(figsize=(max(6.0, min(0.45 * n + 3, 20.0)), 3.8))
    for i, metric in enumerate(("precision", "recall", "f1-score")):
        ax.bar(x + (i - 1) * 0.27, [report[c][metric] for c in class_names], width=0.27,
               label=metric)
    ax.set_xticks(x, class_names, rotation=90 if n > 8 else 0)
    ax.set_ylim(0, 1.05)
    ax.set_title("per-class scores (test)")
    ax.legend(loc="lower right")
    ax.grid(axis="y", alpha=0.3)
    return save_figure(fig, path)


def plot_roc_pr(y_true: np.ndarray, positive_scores: np.ndarray, roc_auc: float,
                average_precision: float, path: Path) -> Path:
    """ROC curve (AUC in the legend) and precision-recall curve (average precision) of a
    binary model, side by side (``sklearn.metrics.roc_curve`` / ``precision_recall_curve``)."""
    plt = _pyplot()
    from sklearn.metrics import precision_recall_curve, roc_curve
    fpr, tpr, _ = roc_curve(y_true, positive_scores)
    precision, recall, _ = precision_recall_curve(y_true, positive_scores)
    fig, (roc, pr) = plt.subplots(1, 2, figsize=(10, 4))
    roc.plot(fpr, tpr, label=f"ROC, AUC = {roc_auc:.4f}")
    roc.plot([0, 1], [0, 1], color="gray", linestyle="--", linewidth=1, label="chance")
    roc.set_xlabel("false positive rate")
    roc.set_ylabel("true positive rate")
    roc.set_title("ROC curve (test)")
    pr.plot(recall, precision, label=f"AP = {average_precision:.4f}")
    pr.axhline(np.mean(y_true), color="gray", linestyle="--", linewidth=1, label="chance")
    pr.set_xlabel("recall")
    pr.set_ylabel("precision")
    pr.set_title("precision-recall curve (test)")
    for ax in (roc, pr):
        ax.legend(loc="lower right" if ax is roc else "lower left")
        ax.grid(alpha=0.3)
    return save_figure(fig, path)


def plot_projections(projections: dict[str, np.ndarray], y_true: np.ndarray,
                     y_pred: np.ndarray, class_names: list[str], title: str,
                     path: Path) -> Path:
    """2-D projections (e.g. ``{"PCA": (m, 2), "t-SNE": (m, 2)}``) side by side, points
    coloured by true class, misclassified points drawn as black crosses on top; NaN rows
    (not in that projection's sample) are left out."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(projections), figsize=(5.5 * len(projections), 5),
                             squeeze=False)
    cmap = plt.get_cmap("tab10" if len(class_names) <= 10 else "tab20")
    wrong = np.asarray(y_true) != np.asarray(y_pred)
    for ax, (name, xy) in zip(axes[0], projections.items()):
        for c, cname in enumerate(class_names):
            sel = np.asarray(y_true) == c
            if sel.any():
                ax.scatter(xy[sel, 0], xy[sel, 1], s=9, alpha=0.6, color=cmap(c % cmap.N),
                           label=cname)
        shown = ~np.isnan(xy).any(axis=1)
        ax.scatter(xy[wrong, 0], xy[wrong, 1], s=14, marker="x", color="black", linewidths=0.8,
                   label=f"misclassified ({int((wrong & shown).sum())})")
        ax.set_title(f"{name} ({int(shown.sum())} test examples)")
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0][0].legend(fontsize=7, markerscale=1.5, loc="best",
                      ncol=1 if len(class_names) <= 12 else 2)
    fig.suptitle(title, fontsize=10)
    return save_figure(fig, path)


def plot_regression(y_true: np.ndarray, y_pred: np.ndarray, path: Path) -> Path:
    """Predicted vs actual (with the y = x line) and residuals (actual - predicted) vs
    predicted, for the test split."""
    plt = _pyplot()
    y_true = np.asarray(y_true, dtype=float).reshape(-1)
    y_pred = np.asarray(y_pred, dtype=float).reshape(-1)
    fig, (a, r) = plt.subplots(1, 2, figsize=(10, 4))
    a.scatter(y_true, y_pred, s=8, alpha=0.6)
    lo, hi = float(min(y_true.min(), y_pred.min())), float(max(y_true.max(), y_pred.max()))
    a.plot([lo, hi], [lo, hi], color="gray", linestyle="--", linewidth=1, label="y = x")
    a.set_xlabel("actual")
    a.set_ylabel("predicted")
    a.set_title("predicted vs actual (test)")
    a.legend()
    r.scatter(y_pred, y_true - y_pred, s=8, alpha=0.6)
    r.axhline(0, color="gray", linestyle="--", linewidth=1)
    r.set_xlabel("predicted")
    r.set_ylabel("residual (actual - predicted)")
    r.set_title("residuals (test)")
    for ax in (a, r):
        ax.grid(alpha=0.3)
    return save_figure(fig, path)


def plot_curves(curves: dict[str, dict[str, list[float]]], metrics: list[str], path: Path,
                title: str = "validation curves") -> Path:
    """Overlaid per-epoch curves of several runs: one panel per metric (e.g. ``val_loss``),
    one line per run (``curves[run][metric]``)."""
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 3.8), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for run, hist in curves.items():
            if hist.get(metric):
                ax.plot(np.arange(1, len(hist[metric]) + 1), hist[metric], marker="o", label=run)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    return save_figure(fig, path)


def plot_learning_curve(sizes: list[int], series: dict[str, list[float]], path: Path,
                        title: str) -> Path:
    """Test metrics (e.g. ``{"accuracy": [...], "macro F1": [...]}``) against the number of
    training examples."""
    return plot_learning_curves({name: (sizes, values) for name, values in series.items()},
                                path, title)


def plot_learning_curves(curves: dict[str, tuple[list[int], list[float]]], path: Path,
                         title: str) -> Path:
    """One line per curve: ``{label: (training examples, test scores)}``."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for name, (sizes, values) in curves.items():
        ax.plot(sizes, values, marker="o", label=name)
    ax.set_xlabel("training examples")
    ax.set_ylabel("test score")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(fig, path)
