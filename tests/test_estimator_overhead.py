"""A scikit-learn run costs what its fit costs: no TensorFlow, work done once, sized extras.

A tf-idf run imports neither TensorFlow nor Keras (checked in a fresh process, where
nothing else imported them); ``validation_split: 0`` fits on all training rows and
reports train metrics only; the tf-idf work shared with a forked child gives exactly
scikit-learn's own result; the packed vocabulary survives skops; t-SNE is bounded.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tests.conftest import ROOT
from tests.report_checks import check_html_report
from tests.test_train_e2e import make_csv

TFIDF_SPEC = """\
name: topics-tfidf-{split}
task: multiclass
data: {{train: train.csv, test: test.csv, validation_split: {split}}}
model:
  features: {{tfidf: {{ngram_range: [1, 2]}}}}
  estimator: {{LinearSVC: {{C: 1.0}}}}
train: {{seed: 3}}
"""

CHILD = """\
import json, sys
import specc
for split in ("0", "0.25"):
    specc.train(specc.load_spec(f"spec{split}.yaml"), out=f"run{split}")
print(json.dumps(sorted(m for m in ("tensorflow", "keras", "keras_hub") if m in sys.modules)))
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two tf-idf runs trained through ``specc.train`` in a fresh Python process:
    ``(folder, modules of TensorFlow/Keras it imported)``; runs ``run0`` (validation_split
    0) and ``run0.25``."""
    folder = tmp_path_factory.mktemp("overhead")
    make_csv(folder)
    for split in ("0", "0.25"):
        (folder / f"spec{split}.yaml").write_text(TFIDF_SPEC.format(split=split))
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=folder, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return folder, json.loads(done.stdout.strip().splitlines()[-1])


def test_a_tfidf_run_imports_no_tensorflow_or_keras(runs):
    _, imported = runs
    assert imported == []


def test_validation_split_0_fits_all_rows_and_reports_train_metrics_only(runs):
    folder, _ = runs
    run = folder / "run0"
    m = json.loads((run / "metrics.json").read_text())
    assert (m["n_train"], m["n_validation"], m["n_test"]) == (120, 0, 60)
    assert m["class_counts"]["validation"] == [0, 0, 0]
    assert m["device"] == "CPU (scikit-learn)" and m["keras_version"] is None
    assert m["sklearn_version"] and m["accuracy"] > 0.9
    assert (run / "history.csv").read_text().splitlines()[0] == "epoch,loss,accuracy"
    report = (run / "report.md").read_text()
    assert "## Fit (train only: validation_split 0)" in report
    assert check_html_report(run)["plots"] == {"confusion_matrix", "class_scores",
                                               "representations"}
    assert f"scikit-learn {m['sklearn_version']}</footer>" in (run / "report.html").read_text()
    split = json.loads((folder / "run0.25" / "metrics.json").read_text())
    assert (split["n_train"], split["n_validation"]) == (90, 30)
    assert "Fit (train and validation)" in (folder / "run0.25" / "report.md").read_text()


def test_report_and_compare_cope_without_validation_columns(runs, tmp_path):
    from specc.reports.compare import compare_runs
    from specc.reports.render import render_run
    folder, _ = runs
    before = (folder / "run0" / "report.md").read_text()
    render_run(folder / "run0")  # specc report: the same report again
    assert (folder / "run0" / "report.md").read_text() == before
    md, _ = compare_runs([folder / "run0", folder / "run0.25"], tmp_path / "cmp")
    rows = [line for line in md.read_text().splitlines() if "topics-tfidf" in line]
    assert len(rows) == 2


def test_the_saved_pipeline_predicts_as_training_scored(runs):
    import specc
    folder, _ = runs
    run = specc.load_run(folder / "run0")
    stored = np.load(folder / "run0" / "predictions.npz")
    texts = [line.split(",")[0] for line in (folder / "test.csv").read_text().splitlines()[1:]]
    np.testing.assert_allclose(run.predict(texts).outputs, stored["scores"], atol=1e-6)


def _corpus(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(300)] + ["Été", "naïve", "x"])
    return [" ".join(rng.choice(words, size=rng.integers(1, 30))) for _ in range(n)]


needs_fork = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="no fork start method here")


@needs_fork
@pytest.mark.parametrize("args", [{}, {"ngram_range": (1, 2), "min_df": 2, "max_df": 0.5,
                                       "sublinear_tf": True},
                                  {"max_features": 150, "binary": True}])
def test_tfidf_in_two_processes_is_exactly_scikit_learns(monkeypatch, args):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from specc.preprocessing import tfidf
    monkeypatch.setattr(tfidf, "FORK_MIN_TEXTS", 10)
    monkeypatch.setattr(tfidf, "_can_fork", lambda features, n: n >= 10)  # 1-CPU machines too
    train, test = _corpus(400), _corpus(101, seed=1)
    serial, shared = TfidfVectorizer(**args), TfidfVectorizer(**args)
    x_serial, x_shared = serial.fit_transform(train), tfidf.fit_transform_texts(shared, train)
    assert "_count_vocab" not in vars(shared)  # the hook is gone after the fit
    assert list(shared.vocabulary_.items()) == list(serial.vocabulary_.items())
    np.testing.assert_array_equal(shared.idf_, serial.idf_)
    for a, b in ((x_serial, x_shared), (serial.transform(test),
                                        tfidf.transform_texts(shared, test))):
        assert type(a) is type(b) and a.shape == b.shape and a.dtype == b.dtype
        assert (a != b).nnz == 0


@needs_fork
def test_a_failing_child_leaves_the_work_to_the_parent(monkeypatch):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from specc.core import forked
    monkeypatch.setattr(forked, "can_fork", lambda: True)  # 1-CPU machines too
    texts = _corpus(50)
    v = TfidfVectorizer().fit(texts)
    parent = os.getpid()

    def work(part):
        if os.getpid() != parent:
            raise RuntimeError("fails in the child")
        return v.transform(part)
    first, second = forked.in_halves(work, texts)
    assert (first != v.transform(texts[:25])).nnz == 0
    assert (second != v.transform(texts[25:])).nnz == 0


def test_packed_vocabulary_survives_skops_and_is_restored():
    import skops.io as sio
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from specc.preprocessing.tfidf import packed_vocabulary, unpack_vocabulary
    train = _corpus(200) + ["Été naïve ünïcödé 日本語 emoji😀"]
    y = np.arange(len(train)) % 2
    pipe = Pipeline([("features", TfidfVectorizer(ngram_range=(1, 2))),
                     ("estimator", LogisticRegression())]).fit(train, y)
    vocab = dict(pipe.named_steps["features"].vocabulary_)
    with packed_vocabulary(pipe):
        assert not hasattr(pipe.named_steps["features"], "vocabulary_")
        data = sio.dumps(pipe)
    assert pipe.named_steps["features"].vocabulary_ == vocab  # the live pipeline is restored
    assert len(data) < 200_000
    loaded = unpack_vocabulary(sio.loads(data, trusted=sio.get_untrusted_types(data=data)))
    assert loaded.named_steps["features"].vocabulary_ == vocab
    np.testing.assert_array_equal(loaded.predict_proba(train), pipe.predict_proba(train))
    assert unpack_vocabulary(pipe) is pipe  # not packed: unchanged
    bad = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    bad.named_steps["features"].vocabulary_ends_ = np.array([5, 3])
    with pytest.raises(ValueError):
        unpack_vocabulary(bad)


def test_tsne_is_bounded_and_pca_shows_every_point(monkeypatch, tmp_path):
    from specc.reports import plots, projection
    monkeypatch.setattr(projection, "TSNE_POINTS", 40)
    x = np.random.default_rng(0).normal(size=(70, 8))
    out = projection.project(x, seed=1)
    assert out["PCA"].shape == (70, 2) and np.isfinite(out["PCA"]).all()
    assert out["t-SNE"].shape == (70, 2)
    assert np.isfinite(out["t-SNE"]).all(axis=1).sum() == 40
    again = projection.project(x, seed=1)["t-SNE"]
    np.testing.assert_array_equal(np.isnan(again), np.isnan(out["t-SNE"]))
    y = np.arange(70) % 2
    plots.plot_projections(out, y, y[::-1], ["a", "b"], "t", tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 1000


def test_the_representation_sample_uses_the_test_features_computed_for_scoring():
    from scipy import sparse

    from specc.runtime.fit_estimator import representer
    x = sparse.random(120, 5000, density=0.01, format="csr", random_state=0)
    vectors, what = representer(x, seed=0)(np.arange(0, 120, 2))
    assert vectors.shape == (60, 50) and "TruncatedSVD" in what
    from sklearn.decomposition import TruncatedSVD
    full = TruncatedSVD(50, algorithm="arpack", random_state=0).fit_transform(x[::2])
    np.testing.assert_allclose(np.abs(vectors), np.abs(full), atol=1e-6)


def test_no_module_of_the_tfidf_path_imports_tensorflow():
    code = textwrap.dedent("""\
        import sys
        import specc.api, specc.cli, specc.runtime.train, specc.runtime.fit_estimator
        import specc.runtime.prepare, specc.runtime.artifacts, specc.reports.render
        import specc.reports.compare, specc.preprocessing.tfidf, specc.compiler.pipeline
        print(sorted(m for m in ("tensorflow", "keras") if m in sys.modules))
        """)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "[]"
