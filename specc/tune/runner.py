"""The ``specc tune`` loop: trials as run folders, then ``best.yaml`` and one test run.

A tuning folder ``TUNE_DIR`` holds ``tune.json`` (the spec file, study and storage),
``study.db`` (the default SQLite storage), ``trials/trial-NNNN/`` (one normal run folder per
trial, trained on the training part and scored on the validation split: its test split is
never encoded), the trials table (:mod:`specc.tune.tables`), ``best.yaml`` (the best trial's
spec, a plain spec without ``search:``) and ``best/``: ``best.yaml`` trained once more and
evaluated once on the test split.

A trial's score is the best per-epoch value of ``search.objective.metric`` in its
``history.csv`` (as KerasTuner scores a trial); with a pruner, each epoch's value is
reported to Optuna and an unpromising trial stops early (:mod:`specc.tune.pruning`).

With several processes on one study (``--storage``), each runs trials until the budget is
taken (:mod:`specc.tune.study`); the process whose trial finishes last writes ``best.yaml``
and trains ``best/``, so the test split is evaluated once per study.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from specc.core.files import write_text
from specc.core.yaml_source import dump_spec, flow
from specc.errors import Interrupted, SpeccError, SpecError, UsageError, one_line
from specc.loader.search_rules import default_direction
from specc.loader.spec import Spec, with_absolute_paths
from specc.tune import study as studies
from specc.tune.space import searched_spec, suggest, trial_spec

TUNE_FILE = "tune.json"
BEST_SPEC = "best.yaml"
BEST_RUN = "best"
TRIALS = "trials"
BEST_ATTR = "specc_best"
"""Study user attribute set once the best spec was trained and tested: ``{trial, run}``."""


@dataclass(frozen=True)
class Tuned:
    """What a ``specc tune`` process leaves.

    Attributes:
        folder: the tuning folder (``Path``).
        study: the Optuna study name.
        trials: trials that count toward the budget, all processes together.
        ran_here: trials this process ran.
        best_trial: the best trial's number (None: no trial finished).
        best_value: its objective value.
        best_run: ``best/``, the best spec trained and tested (None when another process of
            the study does that, or it is not done yet).
    """

    folder: Path
    study: str
    trials: int
    ran_here: int
    best_trial: int | None
    best_value: float | None
    best_run: Path | None


class TrialFailed(Exception):
    """A trial that failed for a reason kept in its ``specc_error`` attribute (Optuna
    records it as failed and goes on)."""


class Surplus(Exception):
    """A trial asked for when the budget was already taken by other processes."""


def parse_timeout(value) -> float | None:
    """Seconds of ``search.timeout``: a number of seconds, or ``"90m"``, ``"1h"``,
    ``"30s"`` (validated by the schema); None when not given."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([smh])", value)
    return float(m.group(1)) * {"s": 1, "m": 60, "h": 3600}[m.group(2)]


def objective_value(history: dict, metric: str, direction: str) -> float | None:
    """The best finite per-epoch value of ``metric`` in ``history`` (``{metric: [value per
    epoch]}``) in ``direction`` (``minimize``/``maximize``); None when it has none."""
    values = [v for v in history.get(metric, []) if math.isfinite(v)]
    if not values:
        return None
    return min(values) if direction == "minimize" else max(values)


def tune_spec(spec: Spec, out: str | Path | None = None, *, storage: str | None = None,
              study_name: str | None = None, resume: bool = False, trials: int | None = None,
              log=print) -> Tuned:
    """Run ``specc tune``: trials of ``spec``'s ``search`` until the study's budget is
    taken, then (in the process that finishes last) ``best.yaml`` and its test run.

    Args:
        spec: a validated spec with a ``search`` section.
        out: the tuning folder (default ``tunes/<name>-<UTC time>``); new or empty, or with
            ``resume`` (or a shared ``storage``) one that holds this study.
        storage: an SQLAlchemy URL of the study storage (default: ``TUNE_DIR/study.db``).
        study_name: the Optuna study name (default: the spec's name).
        resume: continue the tuning in ``out`` (a killed ``specc tune``).
        trials: override ``search.trials``.
        log: called with each progress line.

    Raises:
        UsageError: no ``search`` section; a tuning folder in use or holding another study;
            a storage that cannot be opened; Optuna not installed.
        RunError: the tuning folder cannot be written.
    """
    from specc.core.lock import locked
    if "search" not in spec.resolved:
        raise UsageError(f"{spec.path} has no search: section (what specc tune searches; "
                         "see docs/spec.md)")
    search = spec.resolved["search"]
    studies.optuna_module()  # before anything is written
    folder = Path(out) if out else default_tune_dir(spec.name)
    settings = _settings(spec, folder, storage, study_name, resume, trials)
    folder.mkdir(parents=True, exist_ok=True)
    shared = storage is not None
    if shared:  # several processes may share this folder: each trial folder is locked alone
        return _tune(spec, folder, settings, search, log, resume)
    with locked(folder):
        return _tune(spec, folder, settings, search, log, resume)


def default_tune_dir(name: str) -> Path:
    """``tunes/<name>-<UTC time>`` (a new folder name, as run folders are named)."""
    from specc.runtime.rundir import default_run_dir
    return Path("tunes") / default_run_dir(name).name


def _settings(spec: Spec, folder: Path, storage: str | None, study_name: str | None,
              resume: bool, trials: int | None) -> dict:
    """The tuning's settings: ``tune.json`` of ``folder`` when it has one (which the
    arguments must agree with), else new ones.

    Raises:
        UsageError: ``folder`` is not empty and holds no tuning, or holds another study;
            ``resume`` and no tuning in it.
    """
    search = spec.resolved["search"]
    from specc.runtime.train import overrides_of
    wanted = {"spec_file": str(Path(spec.path).resolve()), "overrides": overrides_of(spec),
              "study": study_name or spec.name,
              "storage": studies.redact(storage) if storage else None,
              "trials": trials or search["trials"],
              "metric": search["objective"]["metric"],
              "direction": search["objective"].get("direction")
              or default_direction(search["objective"]["metric"])}
    path = folder / TUNE_FILE
    if path.is_file():
        saved = _read_settings(path)
        if not resume and storage is None:
            raise UsageError(f"{folder} holds a tuning already: continue it with specc tune "
                             f"--resume {folder}, or give another --out")
        for key in ("study", "metric", "direction") + (("storage",) if storage else ()):
            if saved.get(key) != wanted[key] and not (resume and key == "study"
                                                      and study_name is None):
                raise UsageError(f"{folder}/{TUNE_FILE} is for {key} {saved.get(key)!r}, "
                                 f"not {wanted[key]!r}")
        return {**saved, "trials": trials or saved["trials"], "url": storage
                or _saved_url(saved, folder)}
    if resume:
        raise UsageError(f"--resume: {folder} holds no specc tuning (no {TUNE_FILE})")
    if folder.exists() and storage is None and any(folder.iterdir()):
        raise UsageError(f"{folder} exists and is not empty: give a new --out folder")
    return {**wanted, "url": storage or studies.default_storage(folder), "new": True}


def saved_spec(folder: str | Path) -> tuple[Path, dict]:
    """``(spec file, overrides)`` the tuning in ``folder`` was started from (its
    ``tune.json``): the file and the top-level values ``--set`` changed in it.

    Raises:
        UsageError: ``folder`` holds no tuning, or its spec file is gone.
    """
    path = Path(folder) / TUNE_FILE
    if not path.is_file():
        raise UsageError(f"--resume: {folder} holds no specc tuning (no {TUNE_FILE})")
    saved = _read_settings(path)
    spec_file = Path(saved["spec_file"])
    if not spec_file.is_file():
        raise UsageError(f"--resume: {folder} was tuned from {spec_file}, which is gone")
    overrides = saved.get("overrides") or {}
    if not isinstance(overrides, dict):
        raise UsageError(f"{path}: overrides: expected a mapping")
    return spec_file, overrides


def _read_settings(path: Path) -> dict:
    """``tune.json``, checked.

    Raises:
        UsageError: unreadable or not specc's (one line).
    """
    from specc.core.bounded import Reader
    try:
        saved = json.loads(Reader(UsageError, "tune file").read(path, 1 << 20))
    except (OSError, ValueError, SpeccError) as e:
        raise UsageError(f"{path}: not a readable specc tune file ({one_line(str(e))})") from None
    if not isinstance(saved, dict) or not all(isinstance(saved.get(k), str) for k in
                                              ("spec_file", "study", "metric", "direction")) \
            or not isinstance(saved.get("trials"), int):
        raise UsageError(f"{path}: not a specc tune file (spec_file, study, metric, direction "
                         "and trials expected)")
    return saved


def _saved_url(saved: dict, folder: Path) -> str:
    """The storage URL of a saved tuning: its own SQLite file, or the saved URL (which has
    no password: one with a password must be given again with ``--storage``)."""
    if saved.get("storage") is None:
        return studies.default_storage(folder)
    if "***" in saved["storage"]:
        raise UsageError(f"{folder}: its storage has a password; give it again with "
                         f"--storage")
    return saved["storage"]


def _tune(spec: Spec, folder: Path, settings: dict, search: dict, log, resume: bool) -> Tuned:
    """:func:`tune_spec` once the folder and settings are settled."""
    study = studies.open_study(settings["url"], settings["study"], settings["direction"],
                               search, spec.train["seed"], must_exist=resume)
    settings.pop("new", None)
    write_text(folder / TUNE_FILE, json.dumps(  # the budget may have been raised (--trials)
        {k: v for k, v in settings.items() if k != "url"}, indent=2) + "\n")
    (folder / TRIALS).mkdir(exist_ok=True)
    failed = studies.fail_dead_trials(study)
    if failed:
        log(f"trials {', '.join(map(str, failed))} were left running by a process that is "
            "gone: marked failed; others take their place")
    n = settings["trials"]
    done = len(studies.counted(study))
    log(f"study {settings['study']} in {studies.redact(settings['url'])}: {done} of {n} "
        f"trials taken; objective {settings['direction']} {settings['metric']}")
    from specc.runtime.tracking import tracking_parent
    ran = []
    with tracking_parent((spec.train.get("tracking") or {}).get("mlflow"),
                         f"tune {settings['study']}", experiment=spec.name, log=log):
        if done < n:
            objective = _objective(spec, folder, settings, search, study, log, ran)

            def stop_when_taken(study, _trial):
                if len(studies.counted(study)) >= n:
                    study.stop()
            try:
                study.optimize(objective, timeout=parse_timeout(search.get("timeout")),
                               callbacks=[stop_when_taken], catch=(TrialFailed, Surplus),
                               gc_after_trial=True)
            except (Interrupted, KeyboardInterrupt):  # the trial is failed and not counted
                raise Interrupted(f"stopped (Ctrl-C) after {max(len(ran) - 1, 0)} trial(s) "
                                  f"here; continue with: specc tune --resume {folder}") from None
        best_run = _finish(spec, folder, settings, study, log, resume)
    from specc.tune.tables import write_tables
    for warning in write_tables(folder, study, search, settings):
        log(f"warning: {warning}")
    best = studies.best_trial(study)
    taken = len(studies.counted(study))
    log(f"tuned: {taken} of {n} trials ({len(ran)} in this process); "
        + (f"best trial {best.number}, {settings['metric']} {best.value:.4g}; "
           if best else "no trial finished; ")
        + f"trials table {folder / 'trials.html'}"
        + (f"; best spec {folder / BEST_SPEC}, tested in {best_run}" if best_run else ""))
    return Tuned(folder, settings["study"], taken, len(ran),
                 best.number if best else None, best.value if best else None, best_run)


def _objective(spec: Spec, folder: Path, settings: dict, search: dict, study, log, ran: list):
    """Optuna's objective: one trial as a run folder under ``TUNE_DIR/trials``."""
    import logging
    optuna = studies.optuna_module()
    metric, direction, n = settings["metric"], settings["direction"], settings["trials"]
    # TensorFlow warns of retracing when one process builds model after model: expected here
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    from specc.reports.runfolder_schema import read_history
    from specc.runtime.progress import silent
    from specc.runtime.train import train_spec

    def objective(trial):
        if len(studies.counted(study, below=trial.number)) >= n:
            trial.set_user_attr(studies.SURPLUS, True)
            study.stop()
            raise Surplus()
        trial.set_user_attr("specc_worker", studies.WORKER)
        study.sampler = studies.sampler(search, spec.train["seed"], trial.number)
        values = suggest(trial, search["parameters"])
        shown = ", ".join(f"{_short(k)}={v:.4g}" if isinstance(v, float) else
                          f"{_short(k)}={flow(v)}" for k, v in values.items())
        run = folder / TRIALS / f"trial-{trial.number:04d}"
        trial.set_user_attr("specc_run", str(run.resolve()))
        ran.append(trial.number)
        try:
            tspec = trial_spec(spec, values, f"trial {trial.number} of study "
                                             f"{settings['study']}")
            pruning = None
            if tspec.model_kind.keras and search["pruner"] != "none":
                from specc.tune.pruning import pruning_callback
                pruning = pruning_callback(trial, metric)
            train_spec(tspec, out=run, log=silent, holdout="validation",
                       callbacks=(pruning,) if pruning else ())
        except Interrupted:
            raise
        except SpecError as e:
            return _failed(trial, "invalid combination: " + e.issues[0].message, shown, log)
        except SpeccError as e:
            return _failed(trial, one_line(str(e)), shown, log)
        value = objective_value(read_history(run / "history.csv"), metric, direction)
        if value is None:
            return _failed(trial, f"no finite {metric} in its history.csv", shown, log)
        if pruning is not None and pruning.pruned_at:
            trial.set_user_attr("specc_pruned_at", pruning.pruned_at)
            log(f"trial {trial.number}: {shown} -> {metric} {value:.4g} (pruned after epoch "
                f"{pruning.pruned_at})")
            raise optuna.TrialPruned(f"pruned after epoch {pruning.pruned_at}")
        log(f"trial {trial.number}: {shown} -> {metric} {value:.4g}")
        return value
    return objective


def _failed(trial, reason: str, shown: str, log):
    """Record why ``trial`` failed (it counts toward the budget) and raise
    :class:`TrialFailed`."""
    trial.set_user_attr(studies.ERROR, reason[:500])
    log(f"trial {trial.number}: {shown} -> failed: {reason}")
    raise TrialFailed(reason)


def _short(path: str) -> str:
    """A parameter path as a trial's log line shows it: a layer argument as
    ``Conv1D[1].filters`` (``model.layers[1].Conv1D.filters``), else its last key
    (``train.optimizer.learning_rate`` -> ``learning_rate``)."""
    m = re.fullmatch(r"model\.layers\[(\d+)\]\.(\w+)\.(\w+)", path)
    if m:
        return f"{m.group(2)}[{m.group(1)}].{m.group(3)}"
    return path.rsplit(".", 1)[-1]


def _finish(spec: Spec, folder: Path, settings: dict, study, log, resume: bool) -> Path | None:
    """Write ``best.yaml`` and train it once, tested, into ``best/`` when this process is
    the one to: no trial runs, the study's best trial has no test run yet, and this process
    finished the last trial (or resumes). A best found by more trials after a test run is
    tested in ``best-trial-NNNN/``; the first test run stays."""
    optuna = studies.optuna_module()
    done = study.user_attrs.get(BEST_ATTR)
    best = studies.best_trial(study)
    if isinstance(done, dict) and best is not None and done.get("trial") == best.number:
        log(f"best spec (trial {best.number}) already trained and tested: {done.get('run')}")
        return Path(done["run"]) if isinstance(done.get("run"), str) else None
    counted = studies.counted(study)
    running = [t for t in counted if t.state == optuna.trial.TrialState.RUNNING]
    if running:
        log(f"{len(running)} trial(s) still running in other processes; the one that "
            "finishes last writes best.yaml and tests it")
        return None
    finished = [t for t in counted if t.datetime_complete is not None]
    last = max(finished, key=lambda t: t.datetime_complete, default=None)
    if last is None or not (resume or last.user_attrs.get("specc_worker") == studies.WORKER):
        return None
    if best is None:
        log("no trial finished: no best spec")
        return None
    path = write_best_spec(spec, best, folder, settings)
    log(f"best: trial {best.number}, {settings['metric']} {best.value:.4g}; {path}")
    from specc.loader.validate import load_spec
    from specc.runtime.train import train_spec
    out = folder / BEST_RUN
    if out.exists():  # more trials since, and another best: keep the first test run too
        out = folder / f"{BEST_RUN}-trial-{best.number:04d}"
    run = train_spec(load_spec(path), out=out, log=log)
    study.set_user_attr(BEST_ATTR, {"trial": best.number, "run": str(Path(run).resolve())})
    return Path(run)


def write_best_spec(spec: Spec, best, folder: Path, settings: dict) -> Path:
    """``TUNE_DIR/best.yaml``: ``spec`` as written, without ``search:``, with the best
    trial's values, and data and preset paths made absolute (so it trains from anywhere)."""
    values = {k: best.params[k] for k in spec.resolved["search"]["parameters"]}
    data = with_absolute_paths(searched_spec(spec, values, ""), spec.base_dir)
    data.pop("description", None)
    if "description" in spec.raw:
        data["description"] = spec.raw["description"]
    header = (f"# The best of {settings['trials']} trials of study "
              f"{settings['study']} (specc tune {Path(spec.path).name}): trial {best.number}, "
              f"{settings['metric']} {best.value:.6g}.\n"
              "# Train and test it with: specc train best.yaml\n")
    path = folder / BEST_SPEC
    write_text(path, header + dump_spec(data))
    return path
