"""MLflow experiment tracking (``train.tracking.mlflow``, :mod:`specc.runtime.tracking`):
real runs logged to real MLflow stores under the test's temp folder, read back with
``MlflowClient``.

Every test works in its own temp folder (a database store puts artifacts under
``./mlruns`` of the working folder, and the default store is the working folder's).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import specc
from tests.conftest import ROOT
from tests.test_train_e2e import CSV_DATA, make_csv

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient

from specc.runtime.tracking import default_tracking_uri, track_run, tracking_parent

SPEC = "name: tiny-topics\n" + CSV_DATA + """\
model:
  layers:
    - Embedding: {output_dim: 8}
    - GlobalAveragePooling1D
train:
  optimizer: {name: adam, learning_rate: 0.05}
  batch_size: 16
  epochs: 2
  seed: 3
%s
report: {plots: false}
"""


def tracked_spec(folder, mlflow_settings: str | None) -> specc.Spec:
    """The tiny spec (made data in ``folder``), tracked with ``mlflow_settings`` (YAML flow
    mapping) or untracked (None)."""
    make_csv(folder, n_per_class=12)
    tracking = "" if mlflow_settings is None else f"  tracking: {{mlflow: {mlflow_settings}}}"
    (folder / "spec.yaml").write_text(SPEC % tracking)
    return specc.load_spec(folder / "spec.yaml")


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished, untracked run folder of the tiny spec, and its spec with tracking on."""
    folder = tmp_path_factory.mktemp("untracked")
    run = specc.train(tracked_spec(folder, None), out=folder / "run").folder
    return run, tracked_spec(folder, "{}")


def test_train_logs_params_metrics_and_artifacts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'store.db'}"
    lines: list[str] = []
    run = specc.train(tracked_spec(tmp_path, f"{{tracking_uri: '{uri}', experiment: exp1}}"),
                      out=tmp_path / "run", callback=lines.append)
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("exp1")
    assert experiment is not None
    [logged] = client.search_runs([experiment.experiment_id])
    assert lines[-1] == f"mlflow: run {logged.info.run_id} in experiment exp1 ({uri})"
    assert logged.info.status == "FINISHED" and logged.info.run_name == "run"
    params = logged.data.params
    assert params["train.epochs"] == "2" and params["name"] == "tiny-topics"
    assert params["model.layers.0.Embedding.output_dim"] == "8"
    assert params["model.layers.1"] == "GlobalAveragePooling1D"
    history = client.get_metric_history(logged.info.run_id, "loss")
    assert sorted(m.step for m in history) == [1, 2]
    assert len(client.get_metric_history(logged.info.run_id, "val_accuracy")) == 2
    doc = json.loads((run.folder / "metrics.json").read_text())
    assert logged.data.metrics["test_accuracy"] == pytest.approx(doc["accuracy"])
    assert logged.data.metrics["test_loss"] == pytest.approx(doc["loss"])
    assert logged.data.metrics["train_seconds"] == pytest.approx(doc["train_seconds"])
    assert "test_n_train" not in logged.data.metrics  # counts are not test scores
    assert logged.data.tags["specc.run_folder"] == str(run.folder.absolute())
    assert logged.data.tags["specc.model_kind"] == "keras"
    assert logged.data.tags["specc.task"] == "multiclass"
    assert "mlflow.parentRunId" not in logged.data.tags
    artifacts = {a.path for a in client.list_artifacts(logged.info.run_id)}
    assert {"report.html", "report.md", "spec.yaml", "metrics.json", "model.keras"} <= artifacts
    assert not any(line.startswith("warning") for line in lines)


def test_runs_inside_a_parent_are_nested(finished_run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder, spec = finished_run
    uri = f"sqlite:///{tmp_path / 'store.db'}"
    named = spec.replace({"train.tracking.mlflow": {"tracking_uri": uri, "experiment": "exp2"}})
    spec = spec.replace({"train.tracking.mlflow": {"tracking_uri": uri}})  # the parent's
    lines: list[str] = []
    global_uri = mlflow.get_tracking_uri() if mlflow.is_tracking_uri_set() else None
    with tracking_parent({"tracking_uri": uri, "experiment": "exp2"}, "study",
                         log=lines.append) as parent_id:
        assert parent_id is not None and mlflow.active_run().info.run_id == parent_id
        children = [track_run(folder, named, lines.append),
                    track_run(folder, spec, lines.append)]
        other = f"sqlite:///{tmp_path / 'other.db'}"  # a store without the parent
        alone = track_run(folder, spec.replace({"train.tracking.mlflow.tracking_uri": other}),
                          lines.append)
    assert mlflow.active_run() is None  # ended, and MLflow's global URI is as before:
    assert (mlflow.get_tracking_uri() if mlflow.is_tracking_uri_set() else None) == global_uri
    assert None not in children and len(set(children)) == 2
    client = MlflowClient(tracking_uri=uri)
    parent = client.get_run(parent_id)
    assert parent.info.run_name == "study" and parent.info.status == "FINISHED"
    for child in children:
        run = client.get_run(child)
        assert run.data.tags["mlflow.parentRunId"] == parent_id
        assert run.info.experiment_id == parent.info.experiment_id
    assert [line.split(" in ", 1)[1] for line in lines] == [
        f"experiment exp2 ({uri})", f"experiment exp2 ({uri})",
        f"experiment tiny-topics ({other})"]
    assert "mlflow.parentRunId" not in MlflowClient(other).get_run(alone).data.tags
    with tracking_parent(None, "study") as nothing:
        assert nothing is None and mlflow.active_run() is None


def test_default_store_is_the_working_folders(finished_run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder, spec = finished_run  # tracking: {mlflow: {}}
    lines: list[str] = []
    run_id = track_run(folder, spec, lines.append)
    uri = default_tracking_uri()
    assert uri == f"sqlite:///{tmp_path / 'mlflow.db'}" and (tmp_path / "mlflow.db").is_file()
    assert lines == [f"mlflow: run {run_id} in experiment tiny-topics ({uri})"]
    run = MlflowClient(tracking_uri=uri).get_run(run_id)
    assert run.info.experiment_id == MlflowClient(uri).get_experiment_by_name(
        "tiny-topics").experiment_id
    assert run.data.metrics["test_accuracy"] >= 0
    assert (tmp_path / "mlruns").is_dir()  # the artifacts, where `mlflow ui` looks for them


def test_an_unreachable_server_is_a_warning_and_the_run_is_kept(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    lines: list[str] = []
    run = specc.train(tracked_spec(tmp_path, "{tracking_uri: 'http://127.0.0.1:9'}"),
                      out=tmp_path / "run", callback=lines.append)
    [warning] = [line for line in lines if line.startswith("warning")]
    assert warning.startswith("warning: mlflow tracking failed (")
    assert warning.endswith(f"; the run folder is complete: {run.folder.absolute()}")
    assert "\n" not in warning and (run.folder / "metrics.json").is_file()
    assert run.metrics["accuracy"] >= 0


def test_validate_names_a_missing_mlflow_without_importing_it(monkeypatch):
    import importlib.util

    from specc.loader.semantic import train_issues
    spec = {"train": {"tracking": {"mlflow": {}}, "tensorboard": False}}
    assert list(train_issues(spec)) == []  # installed here
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "mlflow" else real(name, *a))
    assert list(train_issues(spec)) == [
        (("train", "tracking", "mlflow"),
         'MLflow tracking needs the mlflow package: pip install "specc[mlflow]"', False)]
    assert list(train_issues({"train": {}})) == []
    code = ("import sys, yaml, specc; d = yaml.safe_load(open('specs/lstm.yaml')); "
            "d['train']['tracking'] = {'mlflow': {}}; specc.load_spec(d, base_dir='specs'); "
            "print('mlflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"
