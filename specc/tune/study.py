"""The Optuna study of a ``specc tune``: storage, sampler, pruner and the trial budget.

* Storage: ``sqlite:///TUNE_DIR/study.db`` by default; ``--storage URL`` takes any
  SQLAlchemy URL Optuna's ``RDBStorage`` supports (``postgresql://user@host/db``), so any
  number of processes on any number of machines can work on one study (``--study NAME``).
  Heartbeats (Optuna's ``heartbeat_interval``/``grace_period``) mark the trials of a
  process that died as failed; on this machine, a dead process' trials are failed at
  once (its pid is gone).
* Sampler: ``optuna.samplers.TPESampler`` seeded with ``search.seed`` (default
  ``train.seed``) plus the trial's number (:func:`sampler`); pruner: ``MedianPruner``, ``HyperbandPruner`` or ``NopPruner``.
* Budget: ``search.trials`` trials in total, over every process. A trial counts when it
  is running, finished, pruned, or failed for a reason specc recorded (an invalid
  combination of values, a NaN loss); a trial whose process died, and a surplus trial
  (two processes asked at the same moment for the last place), do not count and are
  marked failed. Trial numbers are the storage's, so they are unique across processes.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from pathlib import Path

from specc.errors import UsageError

HEARTBEAT_INTERVAL = 20
"""Seconds between a running trial's heartbeats (Optuna's ``heartbeat_interval``)."""
GRACE_PERIOD = 120
"""Seconds without a heartbeat after which another process fails the trial."""
def _machine() -> str:
    """This machine as a worker id names it: the host name, the boot id and the pid
    namespace, so two containers with one host name (whose pids mean different processes)
    are told apart."""
    parts = [socket.gethostname().replace(":", "_")]
    for path, read in (("/proc/sys/kernel/random/boot_id", lambda p: Path(p).read_text()[:8]),
                       ("/proc/self/ns/pid", lambda p: str(os.stat(p).st_ino))):
        try:
            parts.append(read(path).strip())
        except OSError:
            parts.append("-")
    return "/".join(parts)


MACHINE = _machine()
WORKER = f"{MACHINE}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
"""This process' worker id, kept with each trial it runs (user attribute ``specc_worker``):
``machine:pid:random``."""

ERROR, SURPLUS = "specc_error", "specc_surplus"
"""User attributes of a failed trial: why it failed (it counts), or that it was surplus."""


def optuna_module():
    """``optuna``, imported quietly: its log (errors only) would repeat what specc prints
    about each trial.

    Raises:
        UsageError: Optuna is not installed.
    """
    try:
        import optuna
    except ImportError:
        raise UsageError('specc tune needs Optuna: pip install "specc[tune]"') from None
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    import warnings
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    return optuna


def default_storage(tune_dir: Path) -> str:
    """The SQLite URL of a tuning folder's own study file, ``TUNE_DIR/study.db``."""
    return f"sqlite:///{(Path(tune_dir) / 'study.db').resolve()}"


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages and ``tune.json``)."""
    from sqlalchemy.engine import make_url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is reported by open_study
        return url.split("@")[-1]


def storage(url: str, attempts: int = 3):
    """An ``optuna.storages.RDBStorage`` on ``url`` with heartbeats.

    Processes that start together on a new database race to create Optuna's tables (one
    gets a duplicate-key or duplicate-table error): a database error is tried again,
    ``attempts`` times in all, 0.5 s and 1.5 s apart.

    Raises:
        UsageError: a URL SQLAlchemy cannot parse, a missing database driver, or a server
            that cannot be reached (one line, password hidden).
    """
    optuna = optuna_module()
    from sqlalchemy.exc import DBAPIError
    for attempt in range(attempts):
        try:
            return optuna.storages.RDBStorage(
                url, heartbeat_interval=HEARTBEAT_INTERVAL, grace_period=GRACE_PERIOD,
                engine_kwargs={"pool_pre_ping": True} if not url.startswith("sqlite") else None)
        except ModuleNotFoundError as e:
            raise UsageError(f"--storage {redact(url)}: its database driver is not installed "
                             f"({e.name}; for PostgreSQL: pip install psycopg2-binary)") from None
        except DBAPIError:
            if attempt + 1 < attempts:
                time.sleep(0.5 + attempt)
                continue
            raise _unusable(url) from None
        except Exception:  # noqa: BLE001 - SQLAlchemy/driver errors: one line
            raise _unusable(url) from None
    raise AssertionError("unreachable")


def _unusable(url: str) -> UsageError:
    """The one-line error of a storage that cannot be opened, from the exception being
    handled."""
    import sys

    from specc.errors import one_line
    e = sys.exc_info()[1]
    return UsageError(f"--storage {redact(url)}: cannot open the study storage "
                      f"({one_line(f'{type(e).__name__}: {e}')})")


def sampler(search: dict, seed: int, number: int = 0):
    """Optuna's TPE sampler for trial ``number``, seeded with ``search.seed`` (else
    ``seed``) plus ``number``: a trial's draws depend on its number and the trials before
    it, not on which process runs it, so a resumed study or a second process does not
    repeat the first trials' values (one seed per process would)."""
    optuna = optuna_module()
    return optuna.samplers.TPESampler(seed=(search.get("seed", seed) + number) % 2 ** 32)


def pruner(name: str):
    """The Optuna pruner called ``name`` in a spec: ``median`` (``MedianPruner``, which
    prunes only after 5 finished trials and from the second epoch), ``hyperband``
    (``HyperbandPruner``) or ``none`` (``NopPruner``)."""
    optuna = optuna_module()
    return {"median": lambda: optuna.pruners.MedianPruner(n_startup_trials=5,
                                                          n_warmup_steps=1),
            "hyperband": lambda: optuna.pruners.HyperbandPruner(),
            "none": lambda: optuna.pruners.NopPruner()}[name]()


def open_study(url: str, name: str, direction: str, search: dict, seed: int, *,
               must_exist: bool = False):
    """The study ``name`` in the storage at ``url``, created when absent (unless
    ``must_exist``).

    Raises:
        UsageError: the storage cannot be opened (:func:`storage`); ``must_exist`` and no
            such study; the study exists with the other direction.
    """
    optuna = optuna_module()
    store = storage(url)
    names = [s.study_name for s in optuna.get_all_study_summaries(store)] \
        if must_exist else None
    if must_exist and name not in names:
        raise UsageError(f"--resume: no study {name!r} in {redact(url)}"
                         + (f" (it has: {', '.join(names)})" if names else ""))
    from sqlalchemy.exc import DBAPIError
    for attempt in range(3):  # processes starting together on a new database race to
        try:                  # create the study: the losers load it when they try again
            study = optuna.create_study(storage=store, study_name=name, direction=direction,
                                        sampler=sampler(search, seed),
                                        pruner=pruner(search["pruner"]), load_if_exists=True)
            break
        except DBAPIError:
            if attempt == 2:
                raise _unusable(url) from None
            time.sleep(0.5 + attempt)
    if study.direction.name.lower() != direction:
        raise UsageError(f"study {name!r} in {redact(url)} was made to "
                         f"{study.direction.name.lower()}, this spec's objective to "
                         f"{direction}")
    return study


def counts(trial) -> bool:
    """Whether a (frozen) trial counts toward the budget (see the module docstring)."""
    state = trial.state.name
    if state == "FAIL":
        return ERROR in trial.user_attrs
    return True


def counted(study, below: int | None = None) -> list:
    """The study's trials that count toward the budget, those numbered below ``below``
    only when given."""
    return [t for t in study.get_trials(deepcopy=False)
            if counts(t) and (below is None or t.number < below)]


def best_trial(study):
    """The study's best finished trial (``study.best_trial``), or None when none finished."""
    try:
        return study.best_trial
    except ValueError:
        return None


def fail_dead_trials(study) -> list[int]:
    """Mark failed every running trial whose process is gone: on this machine, a pid that
    no longer runs (at once); elsewhere, Optuna's heartbeat grace period
    (``optuna.storages.fail_stale_trials``). Returns the numbers failed here."""
    optuna = optuna_module()
    failed = []
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        worker = str(t.user_attrs.get("specc_worker", ""))
        parts = worker.split(":")
        if len(parts) == 3 and parts[0] == MACHINE and parts[1].isdigit() and worker != WORKER \
                and not _alive(int(parts[1])):
            study.tell(t.number, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)
            failed.append(t.number)
    optuna.storages.fail_stale_trials(study)
    return failed


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
