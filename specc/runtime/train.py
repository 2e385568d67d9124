"""``specc train``: data -> model -> fit -> test metrics -> run folder.

The run folder is the same for every model kind: ``spec.yaml`` (the resolved spec) and
``spec.source.yaml`` (as written), the tokenizer's ``vocab.txt``/``tokenizer.json``,
``summary.txt``, ``history.csv``, the model (``model.keras``, or ``model.skops`` for
scikit-learn), the per-example files of :mod:`specc.runtime.artifacts`, ``report.md``,
``report.html`` and plots. ``metrics.json`` is written once the run's results are (its
presence marks a finished run), before the report, so a report that fails cannot lose a run. Fitting is
:mod:`specc.runtime.fit_keras` (kinds keras, bert) or
:mod:`specc.runtime.fit_estimator` (kind estimator).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import time
from pathlib import Path

from specc.core.files import write_text
from specc.core.lock import locked
from specc.core.yaml_source import dump_spec
from specc.data import load_dataset
from specc.errors import RunError, SpeccError, UsageError
from specc.reports.metrics import headline, ranking_metrics
from specc.reports.render import render_run
from specc.reports.runfolder_layout import RUN_FILE
from specc.runtime.artifacts import write_artifacts
from specc.runtime.prepare import prepare
from specc.runtime.rundir import (
    clear_run_dir,
    default_run_dir,
    new_run_dir,
    remove_temporaries,
)


def write_history(folder: Path, history: dict[str, list[float]]) -> None:
    """``history.csv``: one row per epoch (``epoch``, ``loss``, ``accuracy``, ``val_*``...)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    keys = list(history)
    w.writerow(["epoch"] + keys)
    for i, row in enumerate(zip(*(history[k] for k in keys)), start=1):
        w.writerow([i] + [f"{v:.6g}" for v in row])
    write_text(folder / "history.csv", buf.getvalue())


def train_spec(spec, out: str | None = None, log=print, train_fraction: float = 1.0,
               resume: dict | None = None, *, holdout: str = "test",
               callbacks: tuple = ()) -> Path:
    """Train a validated :class:`~specc.loader.validate.Spec`; return the run folder.

    ``train_fraction`` < 1 trains on that share of the training part (a learning-curve
    point, :func:`specc.runtime.prepare.prepare`). ``resume`` is the checkpoint state of
    the unfinished run folder ``out`` to continue (:func:`resume_run` prepares it).
    ``holdout="validation"`` evaluates the finished model on the validation split instead
    of the test split, which is then never read into the model (a ``specc tune`` trial;
    ``metrics.json`` says ``evaluated_on: validation``). ``callbacks``: more Keras callbacks
    for ``model.fit`` (e.g. a pruning callback; ignored by scikit-learn estimators).

    Raises:
        RunError: the run folder cannot be created or written.
        UsageError: another process is writing the run folder (its lock is held).
        DataError: the data cannot be read (the new run folder is removed again).
    """
    how = {"holdout": holdout, "callbacks": tuple(callbacks)}
    if spec.uses_keras:  # before the run folder: a missing backend leaves no trace
        from specc.compiler.backends import use_backend
        use_backend(spec)
    from specc.runtime import distribute
    dist = distribute.for_spec(spec)  # before TensorFlow's first operation
    how["chief"] = dist.is_chief
    if not dist.is_chief and not resume:  # its run goes to a folder removed at exit
        log(f"{dist.role()}: nothing is written to {out or 'the run folder'}; the chief "
            f"writes the run")
        out = distribute.scratch_folder()
    if resume:
        with locked(out) as folder:
            folder = _train(spec, folder, log, train_fraction, resume, **how)
    else:
        with new_run_dir(out or default_run_dir(spec.name)) as folder:
            folder = _train(spec, folder, log, train_fraction, None, **how)
    dist.finish()  # multi-worker: every worker exits together
    return folder


def _train(spec, folder: Path, log, train_fraction: float, resume: dict | None, *,
           holdout: str, callbacks: tuple, chief: bool = True) -> Path:
    """:func:`train_spec` into ``folder``, whose lock this process holds (``chief`` False:
    a non-chief worker of a distributed run, whose folder is temporary: no report)."""
    resolved = spec.resolved
    t0 = time.perf_counter()
    try:
        dataset = read_dataset(spec)
        prep = prepare(resolved, dataset, spec.base_dir, train_fraction, spec.allow_large,
                       holdout=holdout)
    except SpeccError:
        if not resume:
            shutil.rmtree(folder, ignore_errors=True)  # nothing was written yet: no trace
        raise
    prep_seconds = time.perf_counter() - t0
    log(f"run folder: {folder}" + (f" (resuming after epoch {resume['epoch']})" if resume else ""))
    if not resume:  # what --resume needs to load the spec again
        write_text(folder / RUN_FILE, json.dumps({"spec_file": str(Path(spec.path).resolve()),
                                                  "overrides": overrides_of(spec),
                                                  "allow_large": spec.allow_large,
                                                  "train_fraction": train_fraction}) + "\n")
    (folder / "error.txt").unlink(missing_ok=True)
    write_text(folder / "spec.yaml", dump_spec(spec.to_dict(absolute_paths=True)))
    cached = ", token ids from the preprocessing cache" if prep.cache_hit else ""
    log(f"data: {dataset.source}; train {len(prep.y_train)}, validation {len(prep.y_val)}, "
        f"test {len(prep.y_test)} ({prep_seconds:.1f} s{cached})")
    if prep.encoder is not None:
        prep.encoder.save(folder)

    device, gpus, versions = framework(spec)
    log(f"device: {device}")
    try:
        fitted = spec.model_kind.fit(spec, prep, folder, log=log, resume=resume, gpus=gpus,
                                     extra_callbacks=callbacks)
        metrics_doc = _results(spec, dataset, prep, fitted, prep_seconds, device, versions)
        if holdout != "test":
            metrics_doc["evaluated_on"] = holdout
        write_text(folder / "summary.txt", fitted.summary + "\n")
        write_history(folder, fitted.history)
        write_artifacts(folder, spec, prep, fitted, dataset)
        write_text(folder / "metrics.json", json.dumps(metrics_doc, indent=2) + "\n")
    except KeyboardInterrupt:  # outside model.fit (fit_keras handles it inside)
        from specc.runtime.checkpoint import interrupted
        error = interrupted(folder, 0)
        _note_failure(folder, error)
        raise error from None
    except SpeccError as e:  # the folder says why it has no metrics.json
        _note_failure(folder, e)
        raise
    if spec.model_kind.keras:  # a scikit-learn fit writes no checkpoints (nor imports Keras)
        from specc.runtime.checkpoint import remove
        remove(folder)  # finished: model.keras and metrics.json hold the result
    if not chief:
        log(f"test: {headline(metrics_doc)} (this worker's copy; the chief writes the run)")
        return folder
    write_report(folder, metrics_doc, log)
    _log_result(log, metrics_doc, folder)
    if spec.train.get("tracking"):
        from specc.runtime.tracking import track_run
        track_run(folder, spec, log)
    return folder


def write_report(folder: Path, metrics: dict, log=print) -> None:
    """Draw the report of a finished run (``metrics.json`` already written, so nothing in
    reporting can lose the run); a plot that fails is logged as a warning.

    Raises:
        RunError: the report cannot be written (the message says how to draw it again).
    """
    try:
        rendered = render_run(folder, metrics)
    except SpeccError as e:
        raise RunError(f"{e}; the run finished ({folder / 'metrics.json'}); draw its report "
                       f"again with: specc report {folder}") from None
    for warning in rendered.warnings:
        log(f"warning: {warning}")


def _note_failure(folder: Path, error: Exception) -> None:
    """Write ``error.txt`` (why the folder has no ``metrics.json``), if the disk lets it:
    the error itself is what the user sees."""
    try:
        write_text(folder / "error.txt", f"{error}\n")
    except RunError:
        pass


def read_dataset(spec):
    """``load_dataset`` of the spec's data. A run that imports no Keras reads it in a
    forked child (:mod:`specc.core.forked`) while this process imports what its later
    steps need (:func:`_import_later_steps`): reading IMDB's archive keeps one core busy
    for 2.8 s, those imports take 0.9 s, sending the texts back 0.2 s.

    Raises:
        DataError: the data cannot be read (read again here, for the error).
    """
    from specc.core import forked

    def read():
        return load_dataset(spec.resolved["data"], spec.base_dir, task=spec.task)
    if spec.uses_keras or not forked.can_fork():
        return read()
    with forked.start(read) as dataset:
        _import_later_steps(spec)
        return dataset.result()


def _import_later_steps(spec) -> None:
    """Import the modules a scikit-learn run imports after reading its data: skops (the
    model file), jinja2 (the report) and, when the report has plots, matplotlib. A
    missing one is left for its step to report."""
    try:
        import skops.io  # noqa: F401

        from specc.reports import templating  # noqa: F401
        if spec.report["plots"]:
            from specc.reports.plots import _pyplot
            _pyplot()
    except ImportError:
        pass


def framework(spec) -> tuple[str, int, dict]:
    """``(device, GPUs, versions)`` of the run: Keras' device and backend when training
    uses Keras (:attr:`~specc.loader.spec.Spec.uses_keras`; Keras is imported here, quietly,
    if it was not yet); else ``"CPU (scikit-learn)"``, and Keras and TensorFlow are never
    imported. ``versions``: ``backend``, ``keras_version`` (None without Keras) and, for
    scikit-learn pipelines, ``sklearn_version``."""
    versions = {}
    if not spec.model_kind.keras:
        import sklearn
        versions["sklearn_version"] = sklearn.__version__
    if not spec.uses_keras:
        return "CPU (scikit-learn)", 0, {"backend": None, "keras_version": None, **versions}
    from specc.core.quiet import import_keras
    keras = import_keras()
    from specc.runtime.device import describe_device, gpu_count
    return describe_device(), gpu_count(), {"backend": keras.backend.backend(),
                                            "keras_version": keras.__version__, **versions}


def _results(spec, dataset, prep, fitted, prep_seconds: float, device: str,
             versions: dict) -> dict:
    """The content of ``metrics.json`` (binary tasks add ROC AUC and average precision)."""
    results = dict(fitted.results)
    if spec.task_def.ranked:
        results.update(ranking_metrics(prep.y_test, fitted.scores))
    return {
        "spec": spec.name, "task": spec.task, "spec_file": str(spec.path),
        "model_kind": spec.kind, "data_source": dataset.source, **prep.counts(),
        **results,
        "train_seconds": round(fitted.train_seconds, 3),
        "prepare_seconds": round(prep_seconds, 3),
        "epochs_requested": fitted.epochs_requested, "epochs_trained": fitted.epochs_trained,
        "best_epoch": fitted.best_epoch, "device": device,
        "params": fitted.params, **versions, "layers": fitted.layers, **fitted.extra,
    }


def resume_run(folder: str | Path, log=print) -> Path:
    """Continue the unfinished run in ``folder`` from its last epoch checkpoint, or, when
    no epoch finished before it stopped, run it again from scratch in the same folder.

    The spec is read again from the file the run started from and must resolve to the
    run's ``spec.yaml`` (``train.epochs`` may differ: the saved value is used). The folder
    is locked for the whole run, and must hold only its own files (no links).

    Raises:
        UsageError: not a specc run folder; already finished; another process holds it;
            a link or device planted in it; the spec file changed or is gone.
        RunError: its checkpoint is damaged.
    """
    from specc.core.files import check_own_files
    from specc.runtime.checkpoint import load_state
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a specc run folder (no such directory)")
    if not os.path.lexists(folder / RUN_FILE):  # checked before the lock file is written
        raise UsageError(f"{folder}: not a specc run folder (no {RUN_FILE})")
    from specc.runtime.distribute import resume_folder
    folder = resume_folder(folder)  # a non-chief worker resumes in a copy
    with locked(folder):
        check_own_files(folder)
        remove_temporaries(folder)
        if (folder / "metrics.json").is_file():
            raise UsageError(f"{folder}: the run already finished (metrics.json); nothing to "
                             "resume")
        started, spec, saved = _started_run(folder)
        state = load_state(folder)
        if state is None:
            log(f"{folder}: no epoch finished before the run stopped; starting it again")
            clear_run_dir(folder)
            return train_spec(spec, out=folder, log=log,
                              train_fraction=started["train_fraction"])
        spec = spec.replace({"train.epochs": saved["train"]["epochs"]})
        return train_spec(spec, out=folder, log=log, train_fraction=started["train_fraction"],
                          resume=state)


def _started_run(folder: Path) -> tuple[dict, object, dict]:
    """``(run.json, the spec read again from its file, the run's spec.yaml)`` of an
    unfinished run folder, each run file validated (:mod:`specc.reports.runfolder_schema`).

    Raises:
        UsageError: a run file is damaged (naming it and the field); the spec file
            changed or is gone.
    """
    from specc.loader.validate import load_spec
    from specc.reports.runfolder_resume import read_run_json
    from specc.reports.runfolder_schema import read_spec_yaml
    started = read_run_json(folder)
    saved = read_spec_yaml(folder).data
    spec = load_spec(started["spec_file"], overrides=started.get("overrides") or {},
                     allow_large=started.get("allow_large", False))

    def without_epochs(d) -> object:
        train = d.get("train") if isinstance(d, dict) else None
        return {**d, "train": {**train, "epochs": None}} if isinstance(train, dict) else d
    # runs written before spec.yaml held absolute paths compare as written
    if without_epochs(saved) not in (without_epochs(spec.to_dict(absolute_paths=True)),
                                     without_epochs(spec.to_dict())):
        raise UsageError(f"{started['spec_file']} changed since the run in {folder} started; "
                         "resume needs the same spec (start a new run instead)")
    return started, spec, saved


def overrides_of(spec) -> dict:
    """``{path: value}`` for every top-level value where ``spec`` differs from its file (the
    ``--set`` overrides and ``Spec.replace`` changes), so ``--resume`` can rebuild it; ``{}``
    for a spec given as a mapping (resume then compares against the run's spec.yaml)."""
    from specc.loader.spec import thaw
    from specc.loader.validate import load_spec
    if not Path(spec.path).is_file():
        return {}
    try:
        written = load_spec(spec.path).raw
    except SpeccError:
        return {}
    raw = spec.raw
    return {key: thaw(raw[key]) for key in raw if raw.get(key) != written.get(key)}


def _log_result(log, m: dict, folder: Path) -> None:
    log(f"test: {headline(m)}")
    log(f"report: {folder / 'report.html'} (and report.md)")
