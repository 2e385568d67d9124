"""Learning curve over training-set size: ``specc train SPEC --train-fraction 0.2,0.4,...``.

The same spec is trained once per fraction on nested, stratified subsets of the training
part (:func:`specc.data.splits.nested_subset`; validation and test stay the same), each
into its own run folder ``fraction-<f>/`` under one sweep folder, which also gets
``learning_curve.json`` (one point per fraction: training examples, test accuracy, macro
F1, loss), ``learning_curve.png`` and the runs' comparison (``compare.md``/``.html``).
This is the "1x to 5x data" experiment of the tutorials.
"""

from __future__ import annotations

import json
from pathlib import Path

from specc.errors import UsageError


def parse_fractions(text: str) -> list[float]:
    """``"0.2,0.4,1"`` -> ``[0.2, 0.4, 1.0]`` (sorted, unique).

    Raises:
        UsageError: not numbers, or a value outside (0, 1].
    """
    try:
        values = sorted({float(v) for v in text.split(",") if v.strip()})
    except ValueError:
        raise UsageError(f"--train-fraction {text}: expected numbers separated by commas, "
                         "e.g. 0.2,0.4,0.6,0.8,1.0") from None
    if not values or not all(0 < v <= 1 for v in values):
        raise UsageError(f"--train-fraction {text}: each fraction must be in (0, 1]")
    for a, b in zip(values, values[1:]):
        if fraction_folder(a) == fraction_folder(b):
            raise UsageError(f"--train-fraction {text}: {a!r} and {b!r} both round to "
                             f"{fraction_folder(a)}; give fractions that differ in their "
                             "first 6 significant digits")
    return values


def fraction_folder(fraction: float) -> str:
    """The run folder name of one fraction: ``fraction-<f>``, 6 significant digits."""
    return f"fraction-{fraction:g}"


def learning_curve(spec, fractions: list[float], out: str | None = None, log=print) -> Path:
    """Train ``spec`` once per fraction; write the curve and comparison; return the folder.

    Raises:
        UsageError: a regression spec (the curve plots accuracy and F1).
        RunError / DataError: as :func:`specc.runtime.train.train_spec`; runs finished
            before a failure keep their folders.
    """
    from specc.runtime.rundir import default_run_dir, new_run_dir
    if not spec.task_def.classification:
        raise UsageError("--train-fraction draws test accuracy and F1: it needs a binary or "
                         "multiclass spec")
    with new_run_dir(out or default_run_dir(f"{spec.name}-curve")) as root:
        return _sweep(spec, fractions, root, log)


def _sweep(spec, fractions: list[float], root: Path, log) -> Path:
    """:func:`learning_curve` into the sweep folder ``root``, whose lock this process holds."""
    from specc.core.files import write_text
    from specc.reports import plots
    from specc.reports.compare import compare_runs
    from specc.reports.render import Plot
    from specc.reports.runfiles import read_metrics
    from specc.runtime.train import train_spec
    points, runs = [], []
    for f in fractions:
        log(f"--- training fraction {f:g} ---")
        run = train_spec(spec, out=root / fraction_folder(f), log=log,
                         train_fraction=f)
        m = read_metrics(run)
        runs.append(run)
        points.append({"fraction": f, "n_train": m["n_train"], "accuracy": m["accuracy"],
                       "macro_f1": m["classification_report"]["macro avg"]["f1-score"],
                       "loss": m["loss"], "run": run.name})
    write_text(root / "learning_curve.json", json.dumps(
        {"spec": spec.name, "spec_file": str(spec.path), "points": points}, indent=2) + "\n")
    plots.plot_learning_curve([p["n_train"] for p in points],
                              {"accuracy": [p["accuracy"] for p in points],
                               "macro F1": [p["macro_f1"] for p in points]},
                              root / "learning_curve.png",
                              f"{spec.name}: test scores vs training-set size")
    compare_runs(runs, root, title=f"{spec.name}: learning curve over training-set size",
                 extra_plots=[Plot("learning_curve.png", "Test accuracy and macro F1 against "
                                   "the number of training examples")],
                 notes=[f"fractions {', '.join(f'{f:g}' for f in fractions)} of the training "
                        "part (nested stratified subsets; same validation and test splits)"])
    for p in points:
        log(f"fraction {p['fraction']:g}: {p['n_train']} training examples, test accuracy "
            f"{p['accuracy']:.4f}, macro F1 {p['macro_f1']:.4f}")
    log(f"learning curve: {root / 'compare.html'}")
    return root
