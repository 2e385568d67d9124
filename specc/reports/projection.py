"""2-D views of learned representations: PCA and t-SNE (scikit-learn).

PCA shows every vector of the representation sample. t-SNE (van der Maaten & Hinton,
2008, JMLR 9) shows at most :data:`TSNE_POINTS` of them (a seeded draw; the rows left out
are NaN and not drawn) with :data:`TSNE_ITERATIONS` iterations, on the first 50 principal
components when the vectors are wider than that (the usual speed-up, scikit-learn's TSNE
docs), with perplexity ``min(30, (m - 1) / 3)`` and a fixed seed, so a report re-renders
the same. That bounds its cost at about a second whatever ``report.representation_samples``
is (IMDB's 1,000 tf-idf vectors: 1.0 s for 400 points; 1,000 points and 1,000 iterations
took 5-25 s on 2 cores), and :func:`specc.reports.render.draw_plots` runs it in a child
process (:func:`specc.core.forked.isolated`) while the other plots are drawn. Its Barnes-Hut gradient runs on one OpenMP thread:
on a busy 2-core machine two threads waited on each other for up to 8 s where one thread
took 1.4-2.2 s (500 points).

Degenerate vectors are guarded before they reach scikit-learn: rows with NaN or infinite
values are left out of both projections, and vectors that are all identical (a dead layer,
``kernel_initializer: zeros``) get no t-SNE. scikit-learn's t-SNE with its PCA
initialisation divides by the spread of that initialisation; on identical vectors (or ones
that differ by less than float64 can scale, ~1e-30) the result is NaN and its Barnes-Hut
tree then crashes the process with a segmentation fault (scikit-learn 1.9.1, measured).
The vectors t-SNE sees are therefore centred and scaled to unit spread first; t-SNE is
invariant to that (its affinities are calibrated per point by the perplexity).
"""

from __future__ import annotations

import numpy as np

TSNE_POINTS = 400
"""Most vectors t-SNE embeds (PCA draws them all)."""

TSNE_ITERATIONS = 500
"""t-SNE iterations (scikit-learn's ``max_iter``; its default is 1,000, its minimum 250,
the first 250 being early exaggeration)."""


def project(vectors: np.ndarray, seed: int = 42) -> dict[str, np.ndarray]:
    """``{"PCA": (m, 2), "t-SNE": (m, 2)}`` of ``vectors`` ``(m, d)``; rows a projection
    does not show are NaN: rows with non-finite values (in both), and t-SNE rows outside
    its sample (when ``m`` > :data:`TSNE_POINTS`).

    Fewer than 5 usable vectors, or vectors that are all identical, give PCA only (t-SNE
    needs perplexity < m and some spread); fewer than 2 usable vectors give ``{}``.
    Vectors of width 1 are padded with a zero column so both axes exist.
    """
    import warnings
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # PCA's ratios of zero variance
        return _project(vectors, seed)


def _project(vectors: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """:func:`project`, warnings not silenced."""
    from sklearn.decomposition import PCA
    if len(vectors) < 2:
        return {}
    x = np.asarray(vectors, dtype="float64").reshape(len(vectors), -1)
    if x.shape[1] < 2:
        x = np.hstack([x, np.zeros((len(x), 2 - x.shape[1]))])
    finite = np.flatnonzero(np.isfinite(x).all(axis=1))
    if len(finite) < 2:
        return {}
    x = standardized(x[finite])
    out = {"PCA": _rows(len(vectors), finite, PCA(n_components=2, random_state=seed)
                        .fit_transform(x))}
    if len(x) >= 5 and x.any():
        rows = np.arange(len(x)) if len(x) <= TSNE_POINTS else np.sort(
            np.random.default_rng(seed).choice(len(x), TSNE_POINTS, replace=False))
        tsne = np.full((len(x), 2), np.nan)
        tsne[rows] = _tsne(x[rows], seed)
        out["t-SNE"] = _rows(len(vectors), finite, tsne)
    return out


def standardized(x: np.ndarray) -> np.ndarray:
    """``x`` ``(m, d)`` float64, finite, centred and divided by its largest column
    standard deviation; all zeros when the rows are identical (or their spread is not
    representable after centring). Scaled by its largest magnitude first, so values
    near float64's limits do not overflow."""
    top = float(np.abs(x).max()) if x.size else 0.0
    if top == 0.0:
        return np.zeros_like(x)
    x = x / top
    x = x - x.mean(axis=0)
    spread = float(x.std(axis=0).max())
    if spread == 0.0:
        return np.zeros_like(x)
    return x / spread


def _rows(n: int, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``(n, 2)`` with ``values`` at ``rows`` and NaN elsewhere."""
    out = np.full((n, 2), np.nan)
    out[rows] = values
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
