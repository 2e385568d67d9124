"""2-D views of learned representations: PCA and t-SNE (scikit-learn).

PCA shows every vector of the representation sample. t-SNE (van der Maaten & Hinton,
2008, JMLR 9) shows at most :data:`TSNE_POINTS` of them (a seeded draw; the rows left out
are NaN and not drawn) with :data:`TSNE_ITERATIONS` iterations, on the first 50 principal
components when the vectors are wider than that (the usual speed-up, scikit-learn's TSNE
docs), with perplexity ``min(30, (m - 1) / 3)`` and a fixed seed, so a report re-renders
the same. That bounds its cost at about a second whatever ``report.representation_samples``
is (IMDB's 1,000 tf-idf vectors: 1.0 s for 400 points; 1,000 points and 1,000 iterations
took 5-25 s on 2 cores), and :func:`specc.reports.render.draw_plots` runs it in a forked
child while the other plots are drawn. Its Barnes-Hut gradient runs on one OpenMP thread:
on a busy 2-core machine two threads waited on each other for up to 8 s where one thread
took 1.4-2.2 s (500 points).
"""

from __future__ import annotations

import numpy as np

TSNE_POINTS = 400
"""Most vectors t-SNE embeds (PCA draws them all)."""

TSNE_ITERATIONS = 500
"""t-SNE iterations (scikit-learn's ``max_iter``; its default is 1,000, its minimum 250,
the first 250 being early exaggeration)."""


def project(vectors: np.ndarray, seed: int = 42) -> dict[str, np.ndarray]:
    """``{"PCA": (m, 2), "t-SNE": (m, 2)}`` of ``vectors`` ``(m, d)``; t-SNE rows outside
    its sample (when ``m`` > :data:`TSNE_POINTS`) are NaN.

    Fewer than 5 vectors give PCA only (t-SNE needs perplexity < m). Vectors of width 1
    are padded with a zero column so both axes exist.
    """
    from sklearn.decomposition import PCA
    x = np.asarray(vectors, dtype="float64")
    if x.shape[1] < 2:
        x = np.hstack([x, np.zeros((len(x), 2 - x.shape[1]))])
    out = {"PCA": PCA(n_components=2, random_state=seed).fit_transform(x)}
    if len(x) >= 5:
        rows = np.arange(len(x)) if len(x) <= TSNE_POINTS else np.sort(
            np.random.default_rng(seed).choice(len(x), TSNE_POINTS, replace=False))
        out["t-SNE"] = np.full((len(x), 2), np.nan)
        out["t-SNE"][rows] = _tsne(x[rows], seed)
    return out


def _tsne(x: np.ndarray, seed: int) -> np.ndarray:
    """t-SNE of ``x`` ``(m, d)``, m >= 5 (see module docstring)."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits
    if x.shape[1] > 50 and len(x) > 50:
        x = PCA(n_components=50, random_state=seed).fit_transform(x)
    iterations = "max_iter" if "max_iter" in TSNE().get_params() else "n_iter"  # < 1.5
    with threadpool_limits(1, user_api="openmp"):
        return TSNE(n_components=2, perplexity=min(30.0, (len(x) - 1) / 3), init="pca",
                    random_state=seed, **{iterations: TSNE_ITERATIONS}).fit_transform(x)
