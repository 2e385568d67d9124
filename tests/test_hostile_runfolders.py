"""Run folders someone else made, with edited, truncated, planted or linked files: every
reader of a run folder (``specc report``, ``specc compare``, ``specc.load_run`` and
``Run.predict``, ``--resume``'s readers) refuses each with one line naming the file and
the field (exit status 2), never a traceback, and reads or writes nothing outside it.

One real run (conftest's ``topic_run``: a tiny Keras stack on made topic data) is copied
per case and one file of the copy damaged.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import specc
from specc.cli import main
from specc.core.lock import LOCK_FILE
from specc.errors import SpeccError, UsageError
from specc.reports import runfiles
from specc.reports import runfolder_resume as resume
from specc.reports.runfolder_jsonschemas import SCHEMA_VERSION, schemas

# ---------------------------------------------------------------- watching file access

_SEEN: list[tuple[str, bool]] | None = None
_IN_HOOK = False
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _audit(event: str, args) -> None:
    """Record every file opened (path, for writing?) while a case is watched."""
    global _IN_HOOK
    if _SEEN is None or _IN_HOOK or event != "open" or not isinstance(args[0], (str, Path)):
        return
    _IN_HOOK = True
    try:
        path, mode, flags = args[0], args[1], args[2]
        write = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and bool(flags & _WRITE_FLAGS))
        _SEEN.append((os.path.realpath(path), write))
    finally:
        _IN_HOOK = False


sys.addaudithook(_audit)


class Watch:
    """The files opened inside the ``with`` block (resolved paths)."""

    def __enter__(self):
        global _SEEN
        _SEEN = self.seen = []
        return self

    def __exit__(self, *exc):
        global _SEEN
        _SEEN = None

    def check(self, outside: Path, folder: Path | None = None) -> None:
        """Nothing under ``outside`` (or a device) was opened; nothing was written but the
        lock file of the run folder ``folder`` (a command holds it while it reads)."""
        lock = os.path.realpath(folder / LOCK_FILE) if folder else None
        for path, write in self.seen:
            assert not path.startswith((str(outside), "/dev/")), f"read {path}"
            assert not write or "__pycache__" in path or path == lock, f"wrote {path}"


def snapshot(folder: Path) -> dict:
    """``{relative path: (kind, size, mtime)}`` of everything in ``folder`` (links not
    followed; the lock file left out)."""
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = Path(root) / name
            st = p.lstat()
            if name != LOCK_FILE:
                out[str(p.relative_to(folder))] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


# ---------------------------------------------------------------- the folders

@pytest.fixture(scope="module")
def good(topic_run, tmp_path_factory) -> Path:
    """A finished run folder (a copy of ``topic_run``) with one mistake in examples.json."""
    folder = tmp_path_factory.mktemp("hostile") / "good"
    shutil.copytree(topic_run[0], folder)
    (folder / "examples.json").write_text(json.dumps(
        [{"index": 0, "text": "goal match", "true": "food", "predicted": "sport",
          "confidence": 0.9}]))
    return folder


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder outside the run folder, for files that links point at."""
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


def edit_json(file: str, change):
    """``change(doc)`` edits the JSON document of ``file`` in place."""
    def damage(d: Path, outside: Path) -> None:
        doc = json.loads((d / file).read_text())
        change(doc)
        (d / file).write_text(json.dumps(doc))
    return damage


def write(file: str, content: bytes | str):
    """``file`` replaced by ``content``."""
    def damage(d: Path, outside: Path) -> None:
        (d / file).unlink()
        data = content.encode() if isinstance(content, str) else content
        (d / file).write_bytes(data)
    return damage


def link(file: str, target: str):
    """``file`` replaced by a symbolic link to ``/dev/zero`` or to a copy outside."""
    def damage(d: Path, outside: Path) -> None:
        if target == "outside":
            shutil.copyfile(d / file, outside / file)
        (d / file).unlink()
        (d / file).symlink_to("/dev/zero" if target == "zero" else outside / file)
    return damage


def directory(file: str):
    """``file`` replaced by an empty folder."""
    def damage(d: Path, outside: Path) -> None:
        (d / file).unlink()
        (d / file).mkdir()
    return damage


def edit_npz(file: str, change):
    """``change(arrays)`` edits the arrays of ``file`` (a dict) in place."""
    def damage(d: Path, outside: Path) -> None:
        with np.load(d / file) as z:
            arrays = {k: z[k] for k in z.files}
        change(arrays)
        (d / file).unlink()
        np.savez(d / file, **arrays)
    return damage


def truncate(file: str):
    """``file`` cut to its first half."""
    def damage(d: Path, outside: Path) -> None:
        data = (d / file).read_bytes()
        (d / file).write_bytes(data[:len(data) // 2])
    return damage


def npz_with_lying_header(d: Path, outside: Path) -> None:
    """y_true's .npy header declares 10**12 values; the member holds 8 bytes."""
    from numpy.lib import format as npy
    buf = io.BytesIO()
    npy.write_array_header_1_0(buf, {"descr": "<i8", "fortran_order": False,
                                     "shape": (10 ** 12,)})
    with zipfile.ZipFile(d / "predictions.npz", "w") as z:
        z.writestr("y_true.npy", buf.getvalue() + b"\0" * 8)


def keras_random_weights(d: Path, outside: Path) -> None:
    """model.keras with its config intact and random bytes for its weights."""
    with zipfile.ZipFile(d / "model.keras") as z:
        members = {name: z.read(name) for name in z.namelist()}
    assert "model.weights.h5" in members
    members["model.weights.h5"] = RANDOM
    with zipfile.ZipFile(d / "model.keras", "w") as z:
        for name, data in members.items():
            z.writestr(name, data)


def pop(key):
    return lambda doc: doc.pop(key)


def set_key(key, value):
    return lambda doc: doc.__setitem__(key, value)


def fewer_classes(doc: dict) -> None:
    """A self-consistent metrics.json of 2 classes for a model of 3."""
    doc["class_names"] = doc["class_names"][:2]
    doc["confusion_matrix"] = [row[:2] for row in doc["confusion_matrix"][:2]]
    doc["class_counts"] = {k: v[:2] for k, v in doc["class_counts"].items()}


DEEP = "[" * 100_000 + "]" * 100_000
RANDOM = bytes(np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8))
M, H, P, R, E = ("metrics.json", "history.csv", "predictions.npz", "representations.npz",
                 "examples.json")
# ops: report (specc report), compare (specc compare GOOD BAD), api (specc.load_run),
# history (Run.history), predict (load_run(...).predict([...]))
CASES = [
    # metrics.json
    ("metrics-list", M, write(M, "[1, 2]"), "$: not a JSON object", "report compare api"),
    ("metrics-string-number", M, edit_json(M, set_key("accuracy", "high")), "$.accuracy",
     "report compare api"),
    ("metrics-float-count", M, edit_json(M, set_key("n_test", 60.5)), "$.n_test",
     "report compare api"),
    ("metrics-missing-key", M, edit_json(M, pop("class_names")), "$.class_names: missing",
     "report api"),  # compare shows what a run has: a dash for a missing value
    ("metrics-missing-task", M, edit_json(M, pop("task")), "$.task: missing",
     "report compare api"),
    ("metrics-confusion-shape", M,
     edit_json(M, lambda m: m["confusion_matrix"].pop()), "$.confusion_matrix: has 2 rows",
     "report compare api"),
    ("metrics-confusion-row", M,
     edit_json(M, lambda m: m["confusion_matrix"][1].pop()), "$.confusion_matrix[1]",
     "report compare api"),
    ("metrics-report-row", M,
     edit_json(M, lambda m: m["classification_report"].pop("tech")),
     "$.classification_report.tech", "report compare api"),
    ("metrics-counts", M, edit_json(M, lambda m: m["class_counts"]["test"].pop()),
     "$.class_counts.test", "report compare api"),
    ("metrics-params", M, edit_json(M, set_key("params", [851])), "$.params",
     "report compare api"),
    ("metrics-task", M, edit_json(M, set_key("task", "poetry")), "$.task",
     "report compare api"),
    ("metrics-deep", M, write(M, DEEP), "nested too deeply", "report compare api"),
    ("metrics-huge-int", M, write(M, '{"n_test": ' + "9" * 5000 + "}"), "not valid JSON",
     "report compare api"),
    ("metrics-not-json", M, write(M, "{oops"), "not valid JSON", "report compare api"),
    ("metrics-binary", M, write(M, b"\xff\xfe{" + RANDOM), "not UTF-8", "report compare api"),
    ("metrics-dev-zero", M, link(M, "zero"), "symbolic link", "report compare api"),
    ("metrics-outside", M, link(M, "outside"), "symbolic link", "report compare api"),
    ("metrics-directory", M, directory(M), "not a regular file", "report compare api"),
    ("metrics-other-task", M, edit_json(M, set_key("task", "binary")), "$.task", "api"),
    ("metrics-fewer-classes", M, edit_json(M, fewer_classes), "$.class_names", "predict"),
    # history.csv
    ("history-binary", H, write(H, RANDOM), "not UTF-8", "report compare history"),
    ("history-text", H, write(H, "epoch,loss\n1,0.5\n2,low\n"), "line 3, column 'loss'",
     "report compare history"),
    ("history-ragged", H, write(H, "epoch,loss,accuracy\n1,0.5,0.9\n2,0.4\n"),
     "line 3: 2 fields", "report compare history"),
    ("history-header", H, write(H, "loss,accuracy\n0.5,0.9\n"), "line 1",
     "report compare history"),
    ("history-nan", H, write(H, "epoch,loss\n1,nan\n"), "not a finite number",
     "report compare history"),
    ("history-nul", H, write(H, "epoch,loss\n1,0.\x005\n"), "line 2, column 'loss'",
     "report compare history"),
    ("history-dev-zero", H, link(H, "zero"), "symbolic link", "report compare history"),
    # predictions.npz
    ("predictions-missing-key", P, edit_npz(P, lambda a: a.pop("scores")), "scores: missing",
     "report"),
    ("predictions-length", P, edit_npz(P, lambda a: a.update(y_pred=a["y_pred"][:-1])),
     "y_pred: has 59 rows", "report"),
    ("predictions-class-id", P, edit_npz(P, lambda a: a["y_true"].__setitem__(0, 7)),
     "y_true: holds class id 7", "report"),
    ("predictions-nan", P, edit_npz(P, lambda a: a["scores"].__setitem__((0, 0), np.nan)),
     "scores: holds NaN", "report"),
    ("predictions-text", P, edit_npz(P, lambda a: a.update(y_pred=a["y_pred"].astype(str))),
     "y_pred: holds <U", "report"),
    ("predictions-truncated", P, truncate(P), "not a readable .npz file", "report"),
    ("predictions-random", P, write(P, RANDOM), "not a readable .npz file", "report"),
    ("predictions-lying-header", P, npz_with_lying_header, "y_true: declares shape",
     "report"),
    ("predictions-outside", P, link(P, "outside"), "symbolic link", "report"),
    # representations.npz
    ("representations-index", R, edit_npz(R, lambda a: a["index"].__setitem__(0, 60)),
     "index: holds row 60", "report"),
    ("representations-length", R, edit_npz(R, lambda a: a.update(vectors=a["vectors"][:3])),
     "vectors: has 3 rows", "report"),
    ("representations-what", R, edit_npz(R, lambda a: a.pop("what")), "what: missing",
     "report"),
    # examples.json
    ("examples-type", E, edit_json(E, lambda e: e[0].__setitem__("index", "zero")),
     "$[0].index", "report"),
    ("examples-object", E, write(E, '{"index": 0}'), "$: not a JSON array", "report"),
    ("examples-class", E, edit_json(E, lambda e: e[0].__setitem__("true", "poetry")),
     "$[0].true", "report"),
    ("examples-row", E, edit_json(E, lambda e: e[0].__setitem__("index", 60)),
     "$[0].index", "report"),
    # the text files
    ("spec-yaml-type", "spec.yaml",
     lambda d, o: (d / "spec.yaml").write_text((d / "spec.yaml").read_text().replace(
         "digits: 4", "digits: many")), "$.report.digits", "report api"),
    ("spec-yaml-binary", "spec.yaml", write("spec.yaml", RANDOM), "not UTF-8", "report api"),
    ("spec-yaml-outside", "spec.yaml", link("spec.yaml", "outside"), "symbolic link",
     "report api"),
    ("summary-binary", "summary.txt", write("summary.txt", b"\xc3\x28"), "not UTF-8",
     "report"),
    ("spec-source-dev-zero", "spec.source.yaml", link("spec.source.yaml", "zero"),
     "symbolic link", "report"),
    # what predict loads
    ("tokenizer-type", "tokenizer.json", edit_json("tokenizer.json", set_key("max_len", "12")),
     "$.max_len", "predict"),
    ("tokenizer-deep", "tokenizer.json", write("tokenizer.json", DEEP), "nested too deeply",
     "predict"),
    ("vocab-binary", "vocab.txt", write("vocab.txt", RANDOM), "not UTF-8", "predict"),
    ("vocab-short", "vocab.txt", write("vocab.txt", "<pad>\n<OOV>\n"), "has 3 lines",
     "predict"),
    ("model-random", "model.keras", write("model.keras", RANDOM), "not a readable .keras",
     "predict"),
    ("model-truncated", "model.keras", truncate("model.keras"), "model.keras",
     "predict"),
    ("model-random-weights", "model.keras", keras_random_weights, "the model cannot be loaded",
     "predict"),
    ("model-dev-zero", "model.keras", link("model.keras", "zero"), "symbolic link",
     "predict"),
]


@pytest.mark.parametrize("name,file,damage,field,ops", CASES, ids=[c[0] for c in CASES])
def test_damaged_run_file_is_one_line(good, tmp_path, outside, capsys, name, file, damage,
                                      field, ops):
    bad = tmp_path / "run"
    shutil.copytree(good, bad, symlinks=True)
    damage(bad, outside)
    before, good_before = snapshot(bad), snapshot(good)
    messages = []
    for op in ops.split():
        with Watch() as watch:
            if op in ("report", "compare"):
                out = tmp_path / "compared"
                argv = (["report", str(bad)] if op == "report" else
                        ["compare", str(good), str(bad), "--out", str(out)])
                assert main(argv) == 2, op
                err = capsys.readouterr().err
                assert err.startswith("error: ") and err.count("\n") == 1, err
                messages.append(err[len("error: "):].strip())
                assert not out.exists()  # compare wrote nothing
            else:
                with pytest.raises(SpeccError) as caught:
                    run = specc.load_run(bad)
                    if op == "history":
                        run.history  # noqa: B018 - the property reads history.csv
                    elif op == "predict":
                        run.predict(["goal match team"])
                assert type(caught.value) is UsageError and caught.value.exit_code == 2
                messages.append(str(caught.value))
        watch.check(outside, bad)
    for message in messages:
        assert "\n" not in message and f"{bad / file}" in message and field in message, (
            message)
    assert snapshot(bad) == before and snapshot(good) == good_before


def test_good_folder_reads_back(good):
    record = runfiles.load_run(good)
    assert record.metrics["class_names"] == ["food", "sport", "tech"]
    assert len(record.predictions["y_true"]) == 60 == len(record.representations["index"])
    assert record.examples[0]["predicted"] == "sport" and record.resolved["task"] == "multiclass"
    assert {"loss", "val_loss"} <= set(record.history)
    assert resume.read_run_json(good)["train_fraction"] == 1.0


def test_schemas_are_draft7_and_versioned():
    from jsonschema import Draft7Validator
    for file, schema in schemas().items():
        Draft7Validator.check_schema(schema)
        assert schema["$id"] == f"urn:specc:run-folder:v{SCHEMA_VERSION}:" + (
            f"checkpoint/{file}" if file == "state.json" else file)


# ---------------------------------------------------------------- compare of a sweep

@pytest.mark.parametrize("points,field", [
    ([{"n_train": 90, "accuracy": 1.0, "run": "../outside"}], "$.points[0].run"),
    ([{"n_train": 90, "accuracy": 1.0, "run": "linked"}], "$.points[0].run"),
    ([{"n_train": "90", "accuracy": 1.0, "run": "fraction-1"}], "$.points[0].n_train"),
    ([], "$.points"),
])
def test_damaged_learning_curve_is_one_line(good, tmp_path, outside, capsys, points, field):
    sweep = tmp_path / "sweep"
    shutil.copytree(good, sweep / "fraction-1", symlinks=True)
    (sweep / "linked").symlink_to(good)
    (sweep / "learning_curve.json").write_text(json.dumps({"spec": "topics",
                                                           "points": points}))
    with Watch() as watch:
        assert main(["compare", str(good), str(sweep), "--out", str(tmp_path / "c")]) == 2
    watch.check(outside, sweep)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{sweep / 'learning_curve.json'}: {field}" in err, err
    assert not (tmp_path / "c").exists()


# ---------------------------------------------------------------- resuming

def weights_file(path: Path):
    """A small Keras model and its ``.weights.h5`` file at ``path``."""
    import keras
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.save_weights(path)
    return model


@pytest.fixture
def unfinished(good, tmp_path) -> Path:
    """A run folder stopped after epoch 2: no metrics.json, a checkpoint to resume."""
    folder = tmp_path / "unfinished"
    shutil.copytree(good, folder, symlinks=True)
    (folder / "metrics.json").unlink()
    (folder / "checkpoint").mkdir()
    model = weights_file(folder / "checkpoint" / "epoch-2.weights.h5")
    np.savez(folder / "checkpoint" / "es-best-2.npz",
             **{f"w{i}": w for i, w in enumerate(model.get_weights())})
    (folder / "checkpoint" / "state.json").write_text(json.dumps({
        "epoch": 2, "weights": "epoch-2.weights.h5", "history": {"loss": [1.0, 0.5]},
        "train_seconds": 1.5,
        "early_stopping": {"wait": 0, "best": 0.5, "best_epoch": 2, "weights": "es-best-2.npz"}}))
    return folder


LIKE = [np.zeros((3, 2), "float32"), np.zeros(2, "float32")]
"""The weights of :func:`weights_file`'s model."""


def test_checkpoint_state_reads_back(unfinished, tmp_path):
    state = resume.read_checkpoint_state(unfinished)
    assert state["epoch"] == 2 and state["early_stopping"]["weights"] == "es-best-2.npz"
    assert resume.read_checkpoint_state(tmp_path) is None  # no epoch finished
    best = resume.read_es_best(unfinished, "es-best-2.npz", LIKE)
    assert [w.shape for w in best] == [(3, 2), (2,)]
    assert resume.read_es_best(unfinished, "es-best-1.npz") is None


def edit_state(change):
    def damage(d: Path, outside: Path) -> None:
        path = d / "checkpoint" / "state.json"
        state = json.loads(path.read_text())
        change(state)
        path.write_text(json.dumps(state))
    return damage


def replace_weights(content: bytes | None):
    def damage(d: Path, outside: Path) -> None:
        path = d / "checkpoint" / "epoch-2.weights.h5"
        path.unlink()
        if content is None:
            (outside / "x.weights.h5").write_bytes(b"\x89HDF\r\n\x1a\n")
            path.symlink_to(outside / "x.weights.h5")
        else:
            path.write_bytes(content)
    return damage


def link_checkpoint(d: Path, outside: Path) -> None:
    shutil.move(d / "checkpoint", outside / "checkpoint")
    (d / "checkpoint").symlink_to(outside / "checkpoint")


STATE = "checkpoint/state.json"
RESUME_CASES = [
    ("weights-outside", STATE, edit_state(lambda s: s.update(weights="../../x.weights.h5")),
     "$.weights"),
    ("weights-other-epoch", STATE, edit_state(lambda s: s.update(weights="epoch-1.weights.h5")),
     "$.weights"),
    ("epoch-string", STATE, edit_state(lambda s: s.update(epoch="2")), "$.epoch"),
    ("epoch-zero", STATE, edit_state(lambda s: s.update(epoch=0)), "$.epoch: must be >= 1"),
    ("history-length", STATE, edit_state(lambda s: s["history"]["loss"].pop()),
     "$.history.loss"),
    ("tracker-type", STATE, edit_state(lambda s: s["early_stopping"].update(wait="0")),
     "$.early_stopping.wait"),
    ("state-list", STATE, write(STATE, "[]"), "$: not a JSON object"),
    ("state-deep", STATE, write(STATE, DEEP), "nested too deeply"),
    ("weights-random", "checkpoint/epoch-2.weights.h5", replace_weights(RANDOM),
     "not an HDF5 weights file"),
    ("weights-link", "checkpoint/epoch-2.weights.h5", replace_weights(None), "symbolic link"),
    ("checkpoint-link", "checkpoint", link_checkpoint, "a link or a file"),
    ("run-json-list", "run.json", write("run.json", "[]"), "$: not a JSON object"),
    ("run-json-fraction", "run.json", edit_json("run.json", set_key("train_fraction", "1")),
     "$.train_fraction"),
    ("run-json-zero", "run.json", edit_json("run.json", set_key("train_fraction", 0)),
     "$.train_fraction: must be > 0"),
    ("run-json-overrides", "run.json", edit_json("run.json", set_key("overrides", [])),
     "$.overrides"),
    ("run-json-missing", "run.json", edit_json("run.json", pop("spec_file")),
     "$.spec_file: missing"),
    ("es-best-missing", "checkpoint/es-best-2.npz",
     lambda d, o: (d / "checkpoint" / "es-best-2.npz").unlink(), "early-stopping weights missing"),
    ("es-best-outside", STATE,
     edit_state(lambda s: s["early_stopping"].update(weights="../es-best-2.npz")),
     "$.early_stopping.weights"),
    ("es-best-shape", "checkpoint/es-best-2.npz",
     lambda d, o: np.savez(d / "checkpoint" / "es-best-2.npz", w0=np.zeros(4, "float32"),
                           w1=np.zeros(2, "float32")), "w0: is float32[4]"),
    ("es-best-dtype", "checkpoint/es-best-2.npz",
     lambda d, o: np.savez(d / "checkpoint" / "es-best-2.npz", w0=np.zeros((3, 2)),
                           w1=np.zeros(2, "float32")), "w0: is float64[3, 2]"),
    ("es-best-truncated", "checkpoint/es-best-2.npz", truncate("checkpoint/es-best-2.npz"),
     "not a readable .npz file"),
]


@pytest.mark.parametrize("name,file,damage,field", RESUME_CASES,
                         ids=[c[0] for c in RESUME_CASES])
def test_damaged_resume_file_is_one_line(unfinished, outside, name, file, damage, field):
    damage(unfinished, outside)
    before = snapshot(unfinished)
    with Watch() as watch, pytest.raises(SpeccError) as caught:
        if file == "run.json":
            resume.read_run_json(unfinished)
        elif name.startswith("es-best") and file != STATE and name != "es-best-missing":
            resume.read_es_best(unfinished, "es-best-2.npz", LIKE)
        else:
            resume.read_checkpoint_state(unfinished)
    watch.check(outside)
    message = str(caught.value)
    assert type(caught.value) is UsageError and "\n" not in message
    assert f"{unfinished / file}" in message and field in message, message
    assert snapshot(unfinished) == before


@pytest.mark.parametrize("damage", ["truncated", "other model"])
def test_damaged_checkpoint_weights_are_one_line(tmp_path, damage):
    """Weights that pass the HDF5 signature check but that Keras cannot load."""
    import keras

    from specc.runtime.safe_load import load_weights
    path = tmp_path / "epoch-1.weights.h5"
    model = weights_file(path)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:1000])
    else:
        model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(7)])
    with pytest.raises(SpeccError) as caught:
        load_weights(model, path)
    assert type(caught.value) is UsageError and "\n" not in str(caught.value)
    assert str(caught.value).startswith(f"{path}: the checkpoint weights cannot be loaded")
