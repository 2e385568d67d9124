"""2-D views of learned representations: PCA and t-SNE (scikit-learn).

t-SNE (van der Maaten & Hinton, 2008, JMLR 9) runs on the first 50 principal components
when the vectors are wider than that (the usual speed-up, scikit-learn's TSNE docs),
with perplexity ``min(30, (m - 1) / 3)`` and a fixed seed, so a report re-renders the same.
"""

from __future__ import annotations

import numpy as np


def project(vectors: np.ndarray, seed: int = 42) -> dict[str, np.ndarray]:
    """``{"PCA": (m, 2), "t-SNE": (m, 2)}`` of ``vectors`` ``(m, d)``.

    Fewer than 5 vectors give PCA only (t-SNE needs perplexity < m). Vectors of width 1
    are padded with a zero column so both axes exist.
    """
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    x = np.asarray(vectors, dtype="float64")
    if x.shape[1] < 2:
        x = np.hstack([x, np.zeros((len(x), 2 - x.shape[1]))])
    out = {"PCA": PCA(n_components=2, random_state=seed).fit_transform(x)}
    if len(x) >= 5:
        reduced = PCA(n_components=50, random_state=seed).fit_transform(x) \
            if x.shape[1] > 50 and len(x) > 50 else x
        out["t-SNE"] = TSNE(n_components=2, perplexity=min(30.0, (len(x) - 1) / 3),
                            init="pca", random_state=seed).fit_transform(reduced)
    return out
