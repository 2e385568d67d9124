"""Plots of a run, drawn with matplotlib's non-interactive Agg backend into PNG files."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_history(history: dict[str, list[float]], path: Path) -> Path:
    """Loss (and accuracy, when recorded) per epoch, train vs validation, side by side."""
    plt = _pyplot()
    panels = [m for m in ("loss", "accuracy", "mae") if m in history]
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.6), squeeze=False)
    epochs = np.arange(1, len(history[panels[0]]) + 1)
    for ax, metric in zip(axes[0], panels):
        ax.plot(epochs, history[metric], marker="o", label="train")
        if f"val_{metric}" in history:
            ax.plot(epochs, history[f"val_{metric}"], marker="o", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_xticks(epochs)
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


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
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


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
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
