"""The trials table of a tuning folder: ``trials.csv``, ``trials.md`` and ``trials.html``,
with Optuna's matplotlib plots (``optuna.visualization.matplotlib``): the optimization
history, the parameter importances (Optuna's default evaluator: PED-ANOVA in Optuna 5) and
the parallel coordinates of the parameters. Written by every ``specc tune`` process when it
stops, from the study's storage, so the table holds every process' trials.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from specc.core.files import write_text
from specc.tune import study as studies

PLOTS = (("optimization_history.png", "Optimization history", "plot_optimization_history"),
         ("param_importances.png", "Parameter importances (Optuna's default evaluator)",
          "plot_param_importances"),
         ("parallel_coordinate.png", "Parallel coordinates", "plot_parallel_coordinate"))
"""``(file, title, optuna.visualization.matplotlib function)`` of each plot."""


def trial_rows(study, parameters) -> list[dict]:
    """One dict per trial that counts toward the budget, by number: ``trial``, ``state``
    (``complete``, ``pruned``, ``failed``, ``running``), ``value`` (the objective; for a
    pruned trial its last reported value), ``epochs`` (epochs reported to the pruner),
    each parameter by its path, ``seconds``, ``run`` (its run folder) and ``note``."""
    rows = []
    for t in sorted(studies.counted(study), key=lambda t: t.number):
        value = t.value
        if value is None and t.intermediate_values:
            value = t.intermediate_values[max(t.intermediate_values)]
        pruned = t.user_attrs.get("specc_pruned_at")
        rows.append({
            "trial": t.number, "state": {"COMPLETE": "complete", "PRUNED": "pruned",
                                         "FAIL": "failed"}.get(t.state.name, "running"),
            "value": value, "epochs": max(t.intermediate_values, default=None),
            **{p: t.params.get(p) for p in parameters},
            "seconds": round(t.duration.total_seconds(), 1) if t.duration else None,
            "run": t.user_attrs.get("specc_run", ""),
            "note": t.user_attrs.get(studies.ERROR, f"pruned after epoch {pruned}"
                                     if pruned else "")})
    return rows


def write_tables(folder: Path, study, search: dict, settings: dict) -> list[str]:
    """Write the trials table and plots into ``folder``; return the warnings of plots that
    could not be drawn (too few finished trials for importances, ...)."""
    from specc.errors import SpeccError
    from specc.reports.plots import draw_or_warn
    from specc.reports.runfolder_schema import read_metrics
    from specc.reports.templating import environment, fmt, png_data_uri
    parameters = list(search["parameters"])
    rows = trial_rows(study, parameters)
    metric = settings["metric"]
    columns = ["trial", "state", metric, "epochs", *parameters, "seconds", "run", "note"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([r["trial"], r["state"], "" if r["value"] is None else f"{r['value']:.6g}",
                    r["epochs"] or "", *(r[p] for p in parameters), r["seconds"] or "",
                    r["run"], r["note"]])
    write_text(folder / "trials.csv", buf.getvalue())
    warnings, drawn = [], []
    finished = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    for file, title, function in PLOTS:
        if len(finished) < 2:
            warnings.append(f"{file} not drawn: fewer than 2 finished trials")
            continue
        warning = draw_or_warn(folder / file, lambda path, f=function: _plot(study, f, path))
        if warning:
            warnings.append(warning)
        else:
            drawn.append({"file": file, "title": title})
    best_run, best = study.user_attrs.get("specc_best"), None
    if best_run:
        try:
            best = {"trial": best_run["trial"], "run": best_run["run"],
                    "metrics": read_metrics(Path(best_run["run"]))}
        except (SpeccError, KeyError, TypeError):
            best = None
    context = {"study": settings["study"], "metric": metric,
               "direction": settings["direction"], "budget": settings["trials"],
               "parameters": parameters, "rows": rows, "plots": drawn, "best": best,
               "best_trial": getattr(studies.best_trial(study), "number", None), "fmt": fmt,
               "warnings": warnings}
    env = environment(autoescape=False)
    write_text(folder / "trials.md", env.get_template("trials.md.j2").render(**context))
    html = environment(autoescape=True).get_template("trials.html.j2").render(
        **context, images={p["file"]: png_data_uri(folder / p["file"]) for p in drawn})
    write_text(folder / "trials.html", html)
    return warnings


def _plot(study, function: str, path: Path) -> None:
    """Draw one of Optuna's matplotlib plots of ``study`` into ``path``."""
    import warnings

    from specc.reports.plots import _pyplot, save_figure
    _pyplot()
    import optuna.visualization.matplotlib as plots
    with warnings.catch_warnings():  # Optuna's notes on few or equal trials
        warnings.simplefilter("ignore")
        ax = getattr(plots, function)(study)
    fig = (ax.flat[0] if hasattr(ax, "flat") else ax).figure
    fig.set_size_inches(8, 5)
    save_figure(fig, path)
