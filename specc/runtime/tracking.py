"""Experiment tracking of finished runs with MLflow (``train.tracking.mlflow``).

:func:`track_run` logs one finished run folder as one MLflow run: the resolved spec as
params (dotted keys, ``model.layers.1.Conv1D.filters``; list items by 0-based index, as in
:meth:`~specc.loader.spec.Spec.replace`), ``history.csv`` as per-epoch metrics, the
evaluation values of ``metrics.json`` as ``test_<name>`` (``validation_<name>`` for a
``specc tune`` trial), the report, plots, ``spec.yaml``, ``metrics.json`` and the model as
artifacts. :func:`tracking_parent` opens a parent run; runs tracked inside it are nested.

Tracking URI: ``tracking_uri`` when given; otherwise MLflow 3's own default made explicit
(:func:`default_tracking_uri`): the SQLite database ``mlflow.db`` in the working folder
(``sqlite:///<cwd>/mlflow.db``), or the older file store ``./mlruns`` when that folder already
holds experiments (MLflow keeps to it then, so ``mlflow ui`` in the same folder shows the
runs either way; MLflow 3.17 refuses that store unless ``MLFLOW_ALLOW_FILE_STORE=true``,
which the warning then says). With a database store MLflow puts artifacts under ``./mlruns`` of the
working folder of the run that creates the experiment. ``MLFLOW_TRACKING_URI`` is not read:
the spec says where runs go. Experiment: ``experiment`` when given, else the spec's name.

Every call names its URI explicitly (an :class:`mlflow.MlflowClient` per call); only
:func:`tracking_parent` sets MLflow's global tracking URI, for its ``with`` block, and
restores it afterwards. A failure to log is a warning line, never a lost run.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

from specc.errors import UsageError, one_line
from specc.reports.runfolder_schema import read_history, read_metrics

_NEEDS_MLFLOW = 'train.tracking.mlflow needs the mlflow package: pip install "specc[mlflow]"'
# metrics.json numbers that describe the run rather than score it: logged under their name.
_RUN_NUMBERS = ("n_train", "n_validation", "n_test", "train_fraction", "train_seconds",
                "prepare_seconds", "epochs_requested", "epochs_trained", "best_epoch",
                "n_iter")
_ARTIFACTS = ("report.html", "report.md", "spec.yaml", "metrics.json", "model.keras",
              "model.skops")


def _mlflow():
    """The ``mlflow`` module. Raises UsageError when it is not installed."""
    try:
        import mlflow
    except ImportError:
        raise UsageError(_NEEDS_MLFLOW) from None
    return mlflow


def default_tracking_uri(folder: str | Path | None = None) -> str:
    """MLflow's default tracking URI for ``folder`` (default: the working folder), absolute.

    ``sqlite:///<folder>/mlflow.db``, unless ``<folder>/mlruns`` already holds experiments of
    MLflow's file store (a numbered folder with ``meta.yaml``): then that folder's ``file:``
    URI. This is what MLflow 3 (``mlflow ui``, ``mlflow.get_tracking_uri``) uses when no URI
    is set. Raises UsageError when mlflow is not installed.
    """
    from_folder = Path.cwd() if folder is None else Path(folder).absolute()
    _mlflow()
    from mlflow.utils.file_utils import path_to_local_sqlite_uri
    mlruns = from_folder / "mlruns"
    try:
        old = any(p.name.isdigit() and (p / "meta.yaml").exists() for p in mlruns.iterdir())
    except OSError:
        old = False
    return mlruns.as_uri() if old else path_to_local_sqlite_uri(str(from_folder / "mlflow.db"))


def _where(settings: Mapping | None, default_experiment: str) -> tuple[str, str]:
    """``(tracking URI, experiment name)`` of the ``mlflow`` settings."""
    settings = settings or {}
    return (settings.get("tracking_uri") or default_tracking_uri(),
            settings.get("experiment") or default_experiment)


def _experiment_id(client, name: str) -> str:
    """The id of the experiment ``name``, created when absent (as ``mlflow.set_experiment``)."""
    from mlflow.exceptions import MlflowException
    found = client.get_experiment_by_name(name)
    if found is None:
        try:
            return client.create_experiment(name)
        except MlflowException:  # created meanwhile by another process
            found = client.get_experiment_by_name(name)
            if found is None:
                raise
    if found.lifecycle_stage == "deleted":
        raise RuntimeError(f"experiment {name!r} is deleted: restore it (mlflow experiments "
                           "restore) or name another experiment")
    return found.experiment_id


def _parent(client, active):
    """The MLflow run ``active`` (the active run of this process, or None) as the store of
    ``client`` holds it; None when it holds no such run (it was started in another store)."""
    from mlflow.exceptions import MlflowException
    if active is None:
        return None
    try:
        return client.get_run(active.info.run_id)
    except MlflowException:
        return None


def _reason(e: BaseException) -> str:
    """One short line saying why ``e`` happened."""
    text = " ".join(str(e).split()) or type(e).__name__
    return one_line(text if len(text) <= 300 else text[:297] + "...")


def _key(parts: list[str], taken: set[str]) -> str:
    """A valid MLflow param/metric key from ``parts`` joined by dots: characters MLflow
    refuses (and dots or slashes inside a part) become ``_``; at most 250 characters;
    made unique among ``taken`` with a ``_2``, ``_3``... suffix (and added to it)."""
    key = ".".join(re.sub(r"[^\w\- ]", "_", str(p)) for p in parts)[:250]
    unique, n = key, 1
    while unique in taken:
        n += 1
        unique = f"{key[:250 - len(str(n)) - 1]}_{n}"
    taken.add(unique)
    return unique


def flat_params(value, path: tuple = ()):
    """Yield ``(path parts, value as text)`` for every leaf of a spec (dicts by key, lists
    by 0-based index); text as is, other values as JSON (``2``, ``true``, ``null``), an empty
    dict or list too (``{}``, ``[]``), so nothing is skipped."""
    if isinstance(value, (Mapping, list, tuple)) and value:
        for k, v in (value.items() if isinstance(value, Mapping) else enumerate(value)):
            yield from flat_params(v, path + (k,))
    else:
        yield list(path), value if isinstance(value, str) else json.dumps(value, default=str)


def _entities(spec, metrics: dict, history: dict, now: int):
    """``(params, metrics)`` MLflow entities of a run."""
    from mlflow.entities import Metric, Param
    from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH
    taken: set[str] = set()
    params = [Param(_key(parts, taken), value[:MAX_PARAM_VAL_LENGTH])
              for parts, value in flat_params(spec.to_dict())]
    taken.clear()
    values = [Metric(key, v, now, epoch)
              for key, series in ((_key([k], taken), s) for k, s in history.items())
              for epoch, v in enumerate(series, start=1)]
    prefix = f"{metrics.get('evaluated_on', 'test')}_"
    final = {(k if k in _RUN_NUMBERS else prefix + k): v for k, v in metrics.items()
             if isinstance(v, (int, float)) and not isinstance(v, bool)}
    macro = (metrics.get("classification_report") or {}).get("macro avg") or {}
    if isinstance(macro.get("f1-score"), (int, float)):
        final[prefix + "macro_f1"] = macro["f1-score"]
    values += [Metric(_key([k], taken), float(v), now, 0) for k, v in final.items()]
    return params, values


def _log(client, run_id: str, spec, folder: Path, metrics: dict) -> None:
    """Params, metrics and artifacts of the run folder into the MLflow run ``run_id``."""
    params, values = _entities(spec, metrics, read_history(folder / "history.csv"),
                               int(time.time() * 1000))
    for i in range(0, len(params), 100):  # MLflow's limits per log_batch request
        client.log_batch(run_id, params=params[i:i + 100])
    for i in range(0, len(values), 1000):
        client.log_batch(run_id, metrics=values[i:i + 1000])
    files = [folder / name for name in _ARTIFACTS] + sorted(folder.glob("*.png"))
    for path in files:
        if path.is_file():
            client.log_artifact(run_id, str(path))


def track_run(folder: Path, spec, log=print) -> str | None:
    """Log the finished run in ``folder`` as one MLflow run (``spec.train.tracking.mlflow``).

    Logged: params = every leaf of the resolved spec under its dotted path
    (``train.epochs``, ``model.layers.1.Conv1D.filters``; values as text, cut to MLflow's
    6000 characters); metrics = each ``history.csv`` column per epoch (``step`` 1, 2, ...),
    the scores of ``metrics.json`` prefixed ``test_`` (or ``<evaluated_on>_``: a tune trial's
    ``validation_``), its macro F1, and the numbers describing the run under their own name
    (``train_seconds``, ``best_epoch``, ``n_train``...); artifacts = ``report.html``,
    ``report.md``, the plots, ``spec.yaml``, ``metrics.json`` and ``model.keras`` or
    ``model.skops``; tags ``specc.run_folder`` (absolute), ``specc.model_kind``,
    ``specc.task``. While an MLflow run of the same store is active in this process (e.g.
    :func:`tracking_parent`), the run is nested under it (tag ``mlflow.parentRunId``), in
    the parent's experiment unless the settings name one.
    Where it goes: see the module docstring. ``log`` gets one line on success
    (``mlflow: run <id> in experiment <name> (<uri>)``) or a warning.

    Returns:
        The MLflow run id; None when logging failed (unreachable server, bad URI, full
        disk, an unreadable run folder...): the failure is one warning line, never an
        exception, and the run folder is untouched.

    Raises:
        UsageError: the mlflow package is not installed.
    """
    mlflow = _mlflow()
    folder = Path(folder).absolute()
    run_id = client = None
    try:
        settings = spec.train.get("tracking", {}).get("mlflow") or {}
        uri, name = _where(settings, spec.name)
        metrics = read_metrics(folder)
        client = mlflow.MlflowClient(tracking_uri=uri)
        tags = {"specc.run_folder": str(folder), "specc.task": metrics["task"],
                "specc.model_kind": str(metrics.get("model_kind", spec.kind))}
        parent = _parent(client, mlflow.active_run())
        if parent is not None:
            tags["mlflow.parentRunId"] = parent.info.run_id
        if parent is not None and not settings.get("experiment"):  # in the parent's
            experiment_id = parent.info.experiment_id
            name = client.get_experiment(experiment_id).name
        else:
            experiment_id = _experiment_id(client, name)
        run_id = client.create_run(experiment_id, run_name=folder.name, tags=tags).info.run_id
        _log(client, run_id, spec, folder, metrics)
        client.set_terminated(run_id, "FINISHED")
    except Exception as e:  # noqa: BLE001 (tracking must never lose a finished run)
        if run_id is not None:
            with suppress(Exception):  # the warning below says why already
                client.set_terminated(run_id, "FAILED")
        log(f"warning: mlflow tracking failed ({_reason(e)}); the run folder is complete: "
            f"{folder}")
        return None
    log(f"mlflow: run {run_id} in experiment {name} ({uri})")
    return run_id


@contextmanager
def tracking_parent(settings: Mapping | None, name: str, *, experiment: str | None = None,
                    log=print):
    """A parent MLflow run named ``name`` for the ``with`` block; :func:`track_run` calls
    inside it nest their runs under it (``specc tune``: one parent per study, a child per
    trial).

    Args:
        settings: the ``train.tracking.mlflow`` mapping (``tracking_uri``, ``experiment``);
            None: no tracking (yields None, does nothing).
        name: the parent run's name.
        experiment: the experiment when ``settings`` names none: pass the spec's name
            (:func:`track_run`'s default; without it: ``name``). Runs nested inside go to
            the parent's experiment unless their settings name one.
        log: gets a warning line when the parent cannot be started or ended.

    Yields:
        The parent's run id; None without settings or when MLflow failed (a warning; the
        block still runs, its runs unnested). MLflow's global tracking URI is set to the
        parent's for the block and restored afterwards. The parent ends ``FINISHED``, or
        ``FAILED`` (``KILLED`` on Ctrl-C) when the block raises; the exception goes on.

    Raises:
        UsageError: the mlflow package is not installed (only with ``settings``).
    """
    if settings is None:
        yield None
        return
    mlflow = _mlflow()
    before = mlflow.get_tracking_uri() if mlflow.is_tracking_uri_set() else None
    try:
        uri, experiment_name = _where(settings, experiment or name)
        mlflow.set_tracking_uri(uri)
        run = mlflow.start_run(
            experiment_id=_experiment_id(mlflow.MlflowClient(uri), experiment_name),
            run_name=name, nested=mlflow.active_run() is not None)
    except Exception as e:  # noqa: BLE001
        mlflow.set_tracking_uri(before)
        log(f"warning: mlflow tracking failed ({_reason(e)}); the runs are not grouped "
            f"under a parent run {name}")
        yield None
        return
    status = "FINISHED"
    try:
        yield run.info.run_id
    except KeyboardInterrupt:
        status = "KILLED"
        raise
    except BaseException:
        status = "FAILED"
        raise
    finally:
        try:
            mlflow.end_run(status)
        except Exception as e:  # noqa: BLE001
            log(f"warning: mlflow could not end the parent run {run.info.run_id} "
                f"({_reason(e)})")
        finally:
            mlflow.set_tracking_uri(before)
