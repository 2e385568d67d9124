"""Everyday use from editors, CI and shells: warnings for absent resources (``--strict``),
``--set PATH=VALUE``, ``specc schema``, ``--help``, the light install's one-line hint, the
pre-commit hook, and a run's ``spec.yaml`` re-run from another folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from specc.cli import COMMANDS, ENVIRONMENT, READS, main
from specc.errors import SpecError, UsageError
from specc.loader.validate import load_spec
from specc.schema import SCHEMA_PATH
from tests.conftest import ROOT, SPECS
from tests.test_train_e2e import make_csv
from tests.test_train_kinds import TFIDF_SPEC

FILES_SPEC = TFIDF_SPEC % "LogisticRegression: {C: 10.0}"


def test_absent_data_file_is_a_warning_and_strict_makes_it_an_error(tmp_path, write_spec,
                                                                    capsys):
    spec = str(write_spec(FILES_SPEC))  # train.csv and test.csv do not exist
    assert main(["validate", spec]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == f"{spec}: valid (2 warnings)"
    lines = err.strip().splitlines()
    assert lines[0].startswith(f"{spec}:3:15: warning: $.data.train: train.csv not found")
    assert lines[1].startswith(f"{spec}:3:32: warning: $.data.test: test.csv not found")
    assert main(["validate", "--strict", spec]) == 1
    assert capsys.readouterr().err.startswith(f"{spec}:3:15: $.data.train: train.csv not found")
    assert main(["validate", "--format", "json", spec]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["valid"] is True
    assert [i["severity"] for i in doc["files"][0]["issues"]] == ["warning", "warning"]
    make_csv(tmp_path)
    assert main(["validate", "--strict", spec]) == 0
    assert load_spec(spec).warnings == ()


def test_train_needs_the_absent_resource_before_importing_tensorflow(write_spec):
    spec = write_spec(FILES_SPEC)
    code = ("import sys; from specc.cli import main; rc = main(['train', sys.argv[1]]); "
            "assert 'tensorflow' not in sys.modules; sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code, str(spec)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines()[0].startswith(f"{spec}:3:15: $.data.train: train.csv "
                                                  f"not found")


def test_example_specs_validate_on_a_fresh_clone(capsys, monkeypatch, tmp_path):
    """No data mirror, no pretrained NSMC preset: every example is valid (exit 0), with
    warnings; --strict refuses the NSMC BERT specs, naming specc pretrain."""
    monkeypatch.setenv("SPECC_DATA_DIR", str(tmp_path / "nothing-here"))
    specs = sorted(str(p) for p in SPECS.glob("*.yaml"))
    assert main(["validate", *specs]) == 0
    out = capsys.readouterr().out
    assert out.count(": valid") == len(specs)
    bert = str(SPECS / "nsmc_bert.yaml")
    assert main(["validate", "--strict", bert]) == 1
    err = capsys.readouterr().err
    assert "$.model.backbone.BertBackbone.preset" in err and "specc pretrain" in err


def test_set_overrides_are_validated_and_reported_at_the_flag(capsys):
    lstm = str(SPECS / "lstm.yaml")
    spec = load_spec(lstm, overrides={"train.epochs": 5, "model.layers[1].LSTM.units": 16})
    assert spec.train.epochs == 5 and spec.model.layers[1]["LSTM"]["units"] == 16
    assert main(["validate", lstm, "--set", "train.epochs=abc", "--set",
                 "train.optimizer.learning_rate=2e-3"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "--set train.epochs=abc: $.train.epochs: expected an integer, got 'abc' " \
                  "(a string)"
    assert main(["validate", lstm, "--set", "model.layers[1].LSTM.units=0"]) == 1
    assert capsys.readouterr().err.startswith("--set model.layers[1].LSTM.units=0: "
                                              "$.model.layers[1].LSTM.units: ")
    assert main(["validate", lstm, "--set", "model.layers[9].LSTM.units=8"]) == 2
    assert "not an existing list item" in capsys.readouterr().err
    assert main(["validate", lstm, "--set", "train.epochs"]) == 2
    assert "expected PATH=VALUE" in capsys.readouterr().err
    with pytest.raises(SpecError) as e:
        load_spec(lstm, overrides={"train.batch_size": -1})
    assert str(e.value).startswith("--set train.batch_size=-1: $.train.batch_size: ")
    with pytest.raises(UsageError):
        load_spec(lstm, overrides={"name.x": 1})


def test_schema_command_prints_and_writes_the_shipped_schema(tmp_path, capsys):
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == SCHEMA_PATH.read_text(encoding="utf-8")
    out = tmp_path / "specc.schema.json"
    assert main(["schema", "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == json.loads(SCHEMA_PATH.read_text())


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_gives_an_example_and_the_environment(command, capsys):
    with pytest.raises(SystemExit) as e:
        main([command, "--help"])
    assert e.value.code == 0
    text = capsys.readouterr().out
    assert f"example:\n  specc {command}" in text
    for name in READS.get(command, tuple(ENVIRONMENT)):
        assert name in text


def test_missing_training_dependency_is_one_line():
    code = ("import sys; sys.modules.update(keras=None, tensorflow=None); "
            "from specc.cli import main; sys.exit(main(['build', sys.argv[1]]))")
    proc = subprocess.run([sys.executable, "-c", code, str(SPECS / "lstm.yaml")],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 2
    assert proc.stderr == ('error: specc build needs the training dependencies (keras is not '
                           'installed): pip install "specc[train]"\n')


@pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")
def test_pre_commit_hook_installs_the_light_package_and_validates(tmp_path):
    """``pre-commit try-repo`` with an empty pre-commit home and no pip cache installs the
    hook's environment (the light package: no TensorFlow, see pyproject.toml) and runs it:
    a good spec passes, a bad one fails at its line. Needs the package registry (PyPI), as
    CI has."""
    pre_commit = shutil.which("pre-commit", path=os.path.dirname(sys.executable))
    if pre_commit is None:
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    project = tmp_path / "project"
    (project / "specs").mkdir(parents=True)
    shutil.copy(SPECS / "sst2_tfidf_logreg.yaml", project / "specs" / "good.yaml")
    (project / "specs" / "bad.yaml").write_text(
        (SPECS / "lstm.yaml").read_text().replace("units: 64", "units: -64", 1))
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "home"), "PIP_NO_CACHE_DIR": "1",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    for argv in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-qm", "x"]):
        subprocess.run(argv, cwd=project, env=env, check=True)

    def hook(*files):
        return subprocess.run([pre_commit, "try-repo", str(ROOT), "specc-validate", "--verbose",
                               "--files", *files], cwd=project, env=env, capture_output=True,
                              text=True, timeout=600)

    good = hook("specs/good.yaml")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "specs/good.yaml: valid" in good.stdout
    bad = hook("specs/good.yaml", "specs/bad.yaml")
    assert bad.returncode == 1
    assert "specs/bad.yaml:" in bad.stdout and "$.model.layers[1].LSTM.units" in bad.stdout


def test_run_spec_yaml_reruns_from_another_folder(tmp_path, write_spec, monkeypatch):
    """The run's spec.yaml names its data files by absolute path: specc train on it from
    an unrelated folder reproduces the run."""
    make_csv(tmp_path)
    first = tmp_path / "run"
    assert main(["train", str(write_spec(FILES_SPEC)), "--out", str(first)]) == 0
    saved = load_spec(first / "spec.yaml")
    assert saved.warnings == () and os.path.isabs(saved.data.train)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["train", str(first / "spec.yaml"), "--out", "again"]) == 0
    a, b = (json.loads((d / "metrics.json").read_text()) for d in (first, elsewhere / "again"))
    assert a["accuracy"] == b["accuracy"] and a["confusion_matrix"] == b["confusion_matrix"]


def test_progress_lines_at_a_bounded_interval():
    from specc.runtime.progress import ProgressLines
    lines, now = [], [0.0]
    cb = ProgressLines(lines.append, interval=30, clock=lambda: now[0])
    cb.set_params({"epochs": 3, "steps": 100})
    cb.on_epoch_begin(1)
    for batch in range(100):
        now[0] += 1.0  # one batch per second
        cb.on_train_batch_end(batch, {"loss": 0.5})
    assert lines == [f"epoch 2/3: batch {b}/100 ({b}%), 1.0 batches/s, ETA {eta}, loss 0.5000"
                     for b, eta in ((30, "1 min 10 s"), (60, "40 s"), (90, "10 s"))]


def test_training_into_a_log_prints_progress_lines(tmp_path, write_spec, monkeypatch):
    """Output that is not a terminal (pytest captures stdout) gets progress lines
    through the run's log, here every batch (interval 0)."""
    import specc
    from specc.runtime import progress
    from tests.test_train_e2e import CSV_SPEC
    monkeypatch.setattr(progress, "PROGRESS_INTERVAL", 0.0)
    make_csv(tmp_path)
    lines: list[str] = []
    specc.train(load_spec(write_spec(CSV_SPEC)).replace({"train.epochs": 1}),
                out=tmp_path / "run", callback=lines.append)
    ticks = [line for line in lines if line.startswith("epoch 1/1: batch ")]
    assert ticks and "batches/s, ETA" in ticks[0] and "loss " in ticks[0]
