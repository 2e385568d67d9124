"""The ``postgresql_url`` fixture (tests/postgres.py) is a real PostgreSQL server, and one
Optuna study on it can be shared by several OS processes at once (what
``specc tune --storage postgresql://...`` relies on)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import ROOT
from tests.postgres import new_database

TIMEOUT_S = 60

WORKER = textwrap.dedent("""\
    import sys
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url, name = sys.argv[1], sys.argv[2]
    study = optuna.create_study(storage=url, study_name=name, load_if_exists=True)
    study.optimize(lambda t: (t.suggest_float("x", -1.0, 1.0) - 0.5) ** 2, n_trials=5)
""")


def test_server_is_real_postgresql(postgresql_url):
    import sqlalchemy
    engine = sqlalchemy.create_engine(postgresql_url, connect_args={"connect_timeout": 10})
    try:
        with engine.connect() as conn:
            version = conn.execute(sqlalchemy.text("select version()")).scalar_one()
            db = conn.execute(sqlalchemy.text("select current_database()")).scalar_one()
    finally:
        engine.dispose()
    assert "PostgreSQL" in version
    assert db == "specc_test"


def test_one_study_from_two_processes(postgresql_url):
    import optuna
    url = new_database(postgresql_url, "specc_two_workers")
    name = "two-workers"
    # The parent creates the study (and Optuna's tables) first: two processes creating the
    # schema of an empty database at the same moment can collide inside PostgreSQL's catalog.
    storage = optuna.storages.RDBStorage(
        url, engine_kwargs={"connect_args": {"connect_timeout": 10}})
    try:
        optuna.create_study(storage=storage, study_name=name)
        procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, name], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for _ in range(2)]
        outputs = []
        try:
            for p in procs:
                outputs.append(p.communicate(timeout=TIMEOUT_S)[0])
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait(timeout=10)
        for p, out in zip(procs, outputs):
            assert p.returncode == 0, out

        study = optuna.load_study(study_name=name, storage=storage)
        trials = study.get_trials(deepcopy=False)
        assert [t.state for t in trials] == [optuna.trial.TrialState.COMPLETE] * 10
        assert sorted(t.number for t in trials) == list(range(10))
    finally:
        storage.remove_session()
        storage.engine.dispose()
