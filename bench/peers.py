"""specc against its peers on IMDB, end to end: the fastText library and bare scikit-learn.

    SPECC_DATA_DIR=../shared/data .venv/bin/python bench/peers.py [--repeats 3] [--quick]
        [--out bench/peers_results.json]

Every variant runs in a fresh Python process, timed here around the whole process (wall
seconds: interpreter start, imports, reading the IMDB archive with specc's reader
(:mod:`specc.data.datasets.imdb`), fitting, predicting the 25,000 test reviews, metrics;
for specc also everything ``specc train`` writes: the model file, per-example files, the
report with its plots and t-SNE). The variants run interleaved, ``--repeats`` rounds in
rotating order (bench/timing.py); a variant's time is its fastest round (the machine's
speed swings, see bench/timing.py), medians are kept too. Accuracy is on the IMDB test
split, the same 25,000 reviews for all.

* ``fastText default``: ``fasttext.train_supervised(input=FILE, thread=2)``, the library's
  defaults otherwise (softmax, dim 100, lr 0.1, 5 epochs, word 1-grams), fitted on the
  25,000 training reviews. FILE holds one ``__label__neg`` / ``__label__pos`` line per
  review, normalized as fastText's text classification tutorial does (lowercase,
  ``.!?,'/()`` split off as tokens, newlines as spaces) and shuffled with seed 0 (the
  archive is sorted by label: fastText's SGD fitted on the sorted file predicts one class,
  0.52). Test reviews are normalized the same way and predicted as one list. Writing FILE
  is timed. fastText's threads make its accuracy vary a little between rounds: the
  median is reported.
* ``fastText bigrams``: the same with ``wordNgrams=2, epoch=10``.
* ``specc <spec>``: ``python -m specc train SPEC --out TMP`` with an empty
  ``SPECC_CACHE_DIR``, for specs/imdb_tfidf_fast.yaml, specs/imdb_tfidf_svm.yaml and
  (not with ``--quick``; one round) specs/fasttext.yaml; accuracy from ``metrics.json``.
* ``bare sklearn <spec>``, the baseline of the 1.3x goal, for each tf-idf spec: the spec's
  ``TfidfVectorizer`` and estimator arguments (read from its YAML with PyYAML) fitted on
  the same training rows as specc (specc's reader, and its validation split when the spec
  has one), ``predict`` on the test texts, ``accuracy_score`` and
  ``classification_report``; nothing else (no validation scores, model file or report).

Goals (the issue "a 3-second fit should not take 40 seconds"): a specc IMDB spec at least
as accurate as fastText's defaults in no more wall time; each tf-idf spec within 1.3x the
wall time of its bare scikit-learn script. fastText comes from the ``fasttext-wheel`` (or
``fasttext``) package; without it those rows say so and the ratios are left out.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.timing import best, interleaved, machine, median  # noqa: E402

SPECS = ROOT / "specs"
FAST_SPEC = "imdb_tfidf_fast.yaml"
TFIDF_SPECS = (FAST_SPEC, "imdb_tfidf_svm.yaml")
KERAS_SPECS = ("fasttext.yaml",)
FASTTEXT = {"fastText default": {}, "fastText bigrams": {"wordNgrams": 2, "epoch": 10}}
"""fastText variants: ``train_supervised`` arguments besides ``input`` and ``thread=2``."""
FASTTEXT_THREADS = 2
SHUFFLE_SEED = 0
GOAL_BARE_RATIO = 1.3


# --- the child processes ------------------------------------------------------------

def _imdb():
    """IMDB through specc's reader (the tarball under ``$SPECC_DATA_DIR``)."""
    from specc.data import load_dataset
    return load_dataset({"dataset": "imdb"}, ROOT, task="binary")


def fasttext_child(settings: dict) -> dict:
    """Train and test fastText (see the module docstring); ``{"accuracy", "phases"}``."""
    import re

    import numpy as np
    try:
        import fasttext
    except ImportError:
        return {"error": "fasttext is not installed (pip install fasttext-wheel)"}
    punct = re.compile(r"([.!?,'/()])")

    def normalized(text: str) -> str:
        return punct.sub(r" \1 ", text.replace("\r", " ").replace("\n", " ")).lower()

    t0 = time.perf_counter()
    ds = _imdb()
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.txt"
        with open(path, "w", encoding="utf-8") as f:
            for i in np.random.default_rng(SHUFFLE_SEED).permutation(len(ds.train_texts)):
                f.write(f"__label__{ds.class_names[ds.train_labels[i]]} "
                        f"{normalized(ds.train_texts[i])}\n")
        t2 = time.perf_counter()
        model = fasttext.train_supervised(input=str(path), thread=FASTTEXT_THREADS, verbose=0,
                                          **settings)
    t3 = time.perf_counter()
    labels, _ = model.predict([normalized(t) for t in ds.test_texts])  # a list: numpy-2 safe
    names = {f"__label__{n}": i for i, n in enumerate(ds.class_names)}
    predicted = np.array([names[row[0]] for row in labels])
    accuracy = float(np.mean(predicted == ds.test_labels))
    t4 = time.perf_counter()
    return {"accuracy": accuracy, "n_train": len(ds.train_texts),
            "fasttext_args": {"thread": FASTTEXT_THREADS, **settings},
            "phases": {"read": round(t1 - t0, 2), "write_file": round(t2 - t1, 2),
                       "train": round(t3 - t2, 2), "predict": round(t4 - t3, 2)}}


def bare_child(spec_path: str) -> dict:
    """The bare scikit-learn script for a tf-idf spec (see the module docstring)."""
    import importlib

    import numpy as np
    import yaml
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import accuracy_score, classification_report
    t0 = time.perf_counter()
    spec = yaml.safe_load(Path(spec_path).read_text(encoding="utf-8"))
    ds = _imdb()
    data, seed = spec["data"], spec.get("train", {}).get("seed", 42)
    rows = np.arange(len(ds.train_labels))
    if data.get("validation_split", 0.2) > 0:  # the schema's defaults: 0.2, grouped
        from specc.data import validation_split
        groups = ds.train_groups if data.get("grouped_validation", True) else None
        rows, _ = validation_split(ds.train_labels, data.get("validation_split", 0.2), seed,
                                   True, ds.class_names, groups=groups)
    t1 = time.perf_counter()
    tfidf = dict(spec["model"]["features"]["tfidf"] or {})
    if "ngram_range" in tfidf:
        tfidf["ngram_range"] = tuple(tfidf["ngram_range"])
    (name, args), = spec["model"]["estimator"].items()
    module = "sklearn.svm" if name == "LinearSVC" else "sklearn.linear_model"
    estimator = getattr(importlib.import_module(module), name)(
        **{"random_state": seed, **(args or {})})
    vectorizer = TfidfVectorizer(**tfidf)
    x = vectorizer.fit_transform([ds.train_texts[i] for i in rows])
    estimator.fit(x, ds.train_labels[rows])
    t2 = time.perf_counter()
    predicted = estimator.predict(vectorizer.transform(ds.test_texts))
    accuracy = float(accuracy_score(ds.test_labels, predicted))
    classification_report(ds.test_labels, predicted, target_names=ds.class_names,
                          output_dict=True)
    t3 = time.perf_counter()
    return {"accuracy": accuracy, "n_train": len(rows),
            "phases": {"read": round(t1 - t0, 2), "fit": round(t2 - t1, 2),
                       "predict_and_metrics": round(t3 - t2, 2)}}


# --- the parent: run, time, compare --------------------------------------------------

SPECC_TREE = ROOT
"""Where ``python -m specc`` runs (``--specc-tree``: another version's source tree)."""


def _run(argv: list[str], env: dict | None = None, cwd: Path = ROOT) -> tuple[str, str]:
    """Run ``argv`` (a Python command line) in ``cwd``; (stdout, stderr).

    Raises:
        RuntimeError: it failed (its last lines of output).
    """
    done = subprocess.run([sys.executable, *argv], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, check=False)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-8:]
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}):\n" + "\n".join(tail))
    return done.stdout, done.stderr


def _child(kind: str, arg: str) -> dict:
    out, _ = _run([str(Path(__file__)), "--child", kind, arg])
    return json.loads(out.strip().splitlines()[-1])


def _specc(spec: str) -> dict:
    """``python -m specc train`` of ``spec`` into a temporary folder, empty cache."""
    with tempfile.TemporaryDirectory() as tmp:
        _run(["-m", "specc", "train", str(SPECS / spec), "--out", f"{tmp}/run"],
             env={"SPECC_CACHE_DIR": f"{tmp}/cache"}, cwd=SPECC_TREE)
        m = json.loads(Path(f"{tmp}/run/metrics.json").read_text(encoding="utf-8"))
    return {"accuracy": m["accuracy"], "n_train": m["n_train"],
            "phases": {"prepare": m["prepare_seconds"], "train": m["train_seconds"]}}


def variants(quick: bool) -> dict[str, tuple]:
    """``{label: (kind, argument, runs every round?)}`` in table order."""
    out = {label: ("fasttext", json.dumps(args), True) for label, args in FASTTEXT.items()}
    for spec in TFIDF_SPECS:
        out[f"specc {spec}"] = ("specc", spec, True)
        out[f"bare sklearn {spec}"] = ("bare", str(SPECS / spec), True)
    if not quick:
        for spec in KERAS_SPECS:
            out[f"specc {spec}"] = ("specc", spec, False)
    return out


def run_all(repeats: int, quick: bool) -> dict:
    """Time every variant; ``{label: {"seconds": [...], "runs": [child results]}}``."""
    results: dict[str, dict] = {}

    def runner(label, kind, arg):
        def call():
            try:
                result = _specc(arg) if kind == "specc" else _child(kind, arg)
            except RuntimeError as e:  # a failed run: its error in the table
                result = {"error": str(e).splitlines()[-1][:200]}
            results.setdefault(label, {"kind": kind, "runs": []})["runs"].append(result)
            print(f"  {label}: {result.get('accuracy', result.get('error'))}", flush=True)
        return call

    every, once = {}, {}
    for label, (kind, arg, each_round) in variants(quick).items():
        (every if each_round else once)[label] = runner(label, kind, arg)
    times = interleaved(every, repeats, warmup=0)
    times.update(interleaved(once, 1, warmup=0) if once else {})
    for label in variants(quick):
        if label in times:
            results[label]["seconds"] = [round(t, 2) for t in times[label]]
    return results


def summarize(results: dict) -> list[dict]:
    """One row per variant: accuracy (median over rounds), best and median wall seconds,
    ratios to fastText's defaults, and for specc's tf-idf specs the ratio to bare."""
    ref = results.get("fastText default", {})
    ref_ok = ref and "error" not in ref["runs"][0]
    ref_s = best(ref["seconds"]) if ref_ok else None
    ref_acc = median([r["accuracy"] for r in ref["runs"]]) if ref_ok else None
    rows = []
    for label, r in results.items():
        if "error" in r["runs"][0]:
            rows.append({"variant": label, "error": r["runs"][0]["error"]})
            continue
        acc = median([run["accuracy"] for run in r["runs"]])
        row = {"variant": label, "accuracy": round(acc, 4),
               "accuracies": [run["accuracy"] for run in r["runs"]],
               "n_train": r["runs"][0]["n_train"], "wall_s": best(r["seconds"]),
               "median_wall_s": round(median(r["seconds"]), 2), "seconds": r["seconds"],
               "phases": r["runs"][int(min(range(len(r["seconds"])),
                                           key=r["seconds"].__getitem__))].get("phases")}
        if ref_s:
            row["time_ratio_to_fasttext_default"] = round(row["wall_s"] / ref_s, 2)
            row["accuracy_minus_fasttext_default"] = round(acc - ref_acc, 4)
        if label.startswith("specc ") and f"bare sklearn {label[6:]}" in results:
            bare = results[f"bare sklearn {label[6:]}"]
            row["time_ratio_to_bare"] = round(row["wall_s"] / best(bare["seconds"]), 2)
            row["same_training_rows_as_bare"] = row["n_train"] == bare["runs"][0]["n_train"]
        rows.append(row)
    return rows


def goals(rows: list[dict]) -> dict:
    """The issue's goals, met or not, from :func:`summarize`'s rows."""
    by = {r["variant"]: r for r in rows}
    ref, fast = by.get("fastText default", {}), by.get(f"specc {FAST_SPEC}", {})
    out = {}
    if "wall_s" in ref and "wall_s" in fast:
        out["fasttext_default"] = {
            "spec": FAST_SPEC, "accuracy": fast["accuracy"], "fasttext_accuracy": ref["accuracy"],
            "wall_s": fast["wall_s"], "fasttext_wall_s": ref["wall_s"],
            "met": fast["accuracy"] >= ref["accuracy"] and fast["wall_s"] <= ref["wall_s"]}
    out["bare_sklearn"] = {r["variant"][6:]: {"ratio": r["time_ratio_to_bare"],
                                              "met": r["time_ratio_to_bare"] <= GOAL_BARE_RATIO}
                           for r in rows if "time_ratio_to_bare" in r}
    return out


def table(rows: list[dict]) -> str:
    """The Markdown table of :func:`summarize`'s rows."""
    lines = [("| variant | test accuracy | wall s (best / median) | time vs fastText default | "
              "accuracy vs fastText default | time vs bare sklearn |"),
             "|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['variant']} | {r['error']} | | | | |")
            continue
        vs_ft = (f"{r['time_ratio_to_fasttext_default']:.2f}×"
                 if "time_ratio_to_fasttext_default" in r else "")
        d_acc = (f"{r['accuracy_minus_fasttext_default']:+.4f}"
                 if "accuracy_minus_fasttext_default" in r else "")
        vs_bare = (f"{r['time_ratio_to_bare']:.2f}× (goal ≤ {GOAL_BARE_RATIO})"
                   if "time_ratio_to_bare" in r else "")
        lines.append(f"| {r['variant']} | {r['accuracy']:.4f} | {r['wall_s']:.1f} / "
                     f"{r['median_wall_s']:.1f} | {vs_ft} | {d_acc} | {vs_bare} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    """Run the comparison (or, with ``--child``, one child process's part)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="rounds of every variant")
    ap.add_argument("--quick", action="store_true", help="leave out specs/fasttext.yaml (Keras)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "peers_results.json"))
    ap.add_argument("--specc-tree", metavar="DIR", help="run specc train from this source "
                    "tree (holding specc/): another version, to measure before and after")
    ap.add_argument("--child", nargs=2, metavar=("KIND", "ARG"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    global SPECC_TREE
    SPECC_TREE = Path(args.specc_tree).resolve() if args.specc_tree else ROOT
    if args.child:
        kind, arg = args.child
        result = fasttext_child(json.loads(arg)) if kind == "fasttext" else bare_child(arg)
        print(json.dumps(result))
        return 0
    print(f"{args.repeats} rounds ...", flush=True)
    results = run_all(args.repeats, args.quick)
    rows = summarize(results)
    from specc.core.quiet import import_keras
    import_keras()  # for machine()'s versions, after the timed runs, without TF's start-up lines
    doc = {"command": ("python bench/peers.py" + (" --quick" if args.quick else "")
                       + (f" --repeats {args.repeats}" if args.repeats != 3 else "")),
           "specc_tree": str(SPECC_TREE),
           "machine": machine(), "rows": rows, "goals": goals(rows),
           "settings": {"fasttext": {k: {"thread": FASTTEXT_THREADS, **v}
                                     for k, v in FASTTEXT.items()},
                        "shuffle_seed": SHUFFLE_SEED}}
    doc["machine"]["fasttext"] = _version("fasttext-wheel") or _version("fasttext")
    print("\n" + table(rows) + "\n")
    print(json.dumps(doc["goals"], indent=1))
    Path(args.out).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


def _version(dist: str) -> str | None:
    """The installed version of the distribution ``dist``, or None."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


if __name__ == "__main__":
    sys.exit(main())
