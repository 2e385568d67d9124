"""``specc compare``: finished runs side by side, as ``compare.md`` and ``compare.html``.

One row per run: spec name, model kind, parameters, epochs, train time, test accuracy,
loss, macro F1 and F1 per class (regression: loss, RMSE, MAE, R²), plus the runs'
validation curves overlaid (``val_loss`` and ``val_accuracy``/``val_mae`` per epoch,
``compare_curves.png``). The learning curve of ``specc train --train-fraction`` is
rendered with the same templates and an extra plot. A learning-curve folder given to
``specc compare`` stands for its largest training fraction's run in the table, and the
curves of all such folders are overlaid (``learning_curves.png``: test accuracy against
training examples).
"""

from __future__ import annotations

from pathlib import Path

from specc.errors import UsageError
from specc.reports.render import Plot
from specc.reports.runfolder_schema import read_history, read_learning_curve, read_metrics
from specc.reports.templating import environment, fmt, png_data_uri


def run_row(folder: Path, metrics: dict, name: str | None = None) -> dict:
    """One table row of a run (see module docstring); missing values are None. ``name``:
    the run's label (default the folder's name)."""
    report = metrics.get("classification_report", {})
    return {
        "run": name or folder.name, "folder": str(folder), "spec": metrics.get("spec"),
        "model_kind": metrics.get("model_kind", "keras"),
        "params": metrics.get("params", {}).get("total"),
        "epochs": metrics.get("epochs_trained"), "train_seconds": metrics.get("train_seconds"),
        "n_train": metrics.get("n_train"), "accuracy": metrics.get("accuracy"),
        "loss": metrics.get("loss"), "macro_f1": report.get("macro avg", {}).get("f1-score"),
        "class_f1": {c: report[c]["f1-score"] for c in metrics.get("class_names") or []},
        "rmse": metrics.get("rmse"), "mae": metrics.get("mae"), "r2": metrics.get("r2"),
    }


def _expand_sweeps(folders: list[Path]) -> tuple[list[Path], list[str], dict]:
    """Replace each learning-curve folder (``learning_curve.json``) by its largest
    fraction's run: ``(run folders, row labels, {spec: (training examples, test
    accuracies)})``.

    Raises:
        UsageError: a damaged ``learning_curve.json`` (naming the file and the field).
    """
    runs, names, curves = [], [], {}
    for folder in folders:
        doc = read_learning_curve(folder) if folder.is_dir() else None
        if doc is None:
            runs.append(folder)
            names.append(folder.name)
            continue
        points = doc["points"]
        curves[doc["spec"]] = ([p["n_train"] for p in points], [p["accuracy"] for p in points])
        runs.append(folder / points[-1]["run"])
        names.append(f"{folder.name}/{points[-1]['run']}")
    return runs, names, curves


def _labels(rows: list[dict]) -> list[str]:
    """Curve labels: the spec name, or the run folder's name where spec names repeat."""
    specs = [r["spec"] for r in rows]
    return [r["spec"] if specs.count(r["spec"]) == 1 else r["run"] for r in rows]


def compare_runs(folders: list[str | Path], out: str | Path, title: str = "Run comparison",
                 extra_plots: list[Plot] = (), notes: list[str] = ()) -> list[Path]:
    """Write ``compare.md``, ``compare.html`` and ``compare_curves.png`` into ``out``.

    Args:
        folders: finished run folders (each with ``metrics.json``), all of one task.
        out: output folder (created; it may already hold ``extra_plots``' files).
        title: the page title.
        extra_plots: further PNG plots in ``out`` to show (e.g. a learning curve).
        notes: lines shown under the title (plain text, escaped).

    Returns:
        The Markdown and HTML paths.

    Raises:
        UsageError: a folder is not a finished run, or one of its files read here
            (``metrics.json``, ``history.csv``, ``learning_curve.json``) is damaged or
            refused (one line naming that file and the field; nothing is written); the runs
            mix classification and regression; ``out`` cannot be written (RunError).
    """
    from specc.core.files import write_text
    from specc.reports import plots
    folders, names, sweeps = _expand_sweeps([Path(f) for f in folders])
    docs = [read_metrics(f, complete=False) for f in folders]  # a missing value: a dash
    tasks = {"regression" if d.get("task") == "regression" else "classification" for d in docs}
    if len(tasks) > 1:
        raise UsageError("cannot compare classification runs with regression runs: "
                         + ", ".join(f"{f} ({d.get('task')})" for f, d in zip(folders, docs)))
    rows = [run_row(f, d, n) for f, d, n in zip(folders, docs, names)]
    curves = {label: read_history(f / "history.csv") for label, f in zip(_labels(rows), folders)}
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot create {out}: {e.strerror or e}") from None
    classes = []
    for d in docs:
        classes += [c for c in d.get("class_names") or [] if c not in classes]
    regression = tasks == {"regression"}
    second = "val_mae" if regression else "val_accuracy"
    plot_list = list(extra_plots)
    if sweeps:
        plots.plot_learning_curves(sweeps, out / "learning_curves.png",
                                   "test accuracy vs training-set size")
        plot_list.append(Plot("learning_curves.png", "Learning curves: test accuracy against "
                                                     "the number of training examples"))
    if any(len(h.get("val_loss", [])) > 1 for h in curves.values()):
        plots.plot_curves(curves, ["val_loss", second], out / "compare_curves.png",
                          "validation curves per epoch")
        plot_list.append(Plot("compare_curves.png", f"Validation curves (val_loss, {second})"))
    context = {"title": title, "notes": list(notes), "rows": rows, "classes": classes,
               "regression": regression, "plots": plot_list, "labels": _labels(rows),
               "fmt": fmt}
    md = environment(autoescape=False).get_template("compare.md.j2").render(**context)
    images = {p.file: png_data_uri(out / p.file) for p in plot_list}
    page = environment(autoescape=True).get_template("compare.html.j2").render(
        **context, images=images)
    write_text(out / "compare.md", md)
    write_text(out / "compare.html", page)
    return [out / "compare.md", out / "compare.html"]
