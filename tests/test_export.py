"""``specc export`` (a model that takes raw strings) and loading hostile run folders.

Exports must predict what ``specc predict`` predicts; the SavedModel must work in a fresh
Python that imports only TensorFlow. Hostile run folders (a Lambda layer, a callable
``TextVectorization`` standardize, a pickle whose ``__reduce__`` writes a file) are
refused and execute nothing.
"""

from __future__ import annotations

import csv
import json
import pickle
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import specc
from specc.cli import main
from specc.core.quiet import import_keras
from tests.conftest import ROOT

keras = import_keras()


def test_pad_sequences_layer_equals_keras_pad_sequences():
    from specc.preprocessing.padding import PadSequences
    rng = np.random.default_rng(0)
    rows = [rng.integers(1, 9, size=n).tolist() for n in (0, 1, 3, 7, 12)]
    dense = keras.utils.pad_sequences(rows, padding="post", value=0)
    for padding in ("pre", "post"):
        for truncating in ("pre", "post"):
            for drop in (False, True):
                got = keras.ops.convert_to_numpy(
                    PadSequences(6, padding, truncating, drop)(dense))
                kept = [[t for t in r if not (drop and t == 1)] for r in rows]
                want = keras.utils.pad_sequences(kept, maxlen=6, padding=padding,
                                                 truncating=truncating, value=0)
                np.testing.assert_array_equal(got, want, err_msg=f"{padding} {truncating} {drop}")


def _test_texts(data):
    rows = list(csv.DictReader(open(data / "test.csv")))
    return [r["text"] for r in rows] + ["", "unknown words only", "GOAL!! Match, team."]


def test_keras_export_takes_strings_and_equals_predict(topic_run, tmp_path, capsys):
    run_dir, data = topic_run
    out = tmp_path / "topics.keras"
    assert main(["export", str(run_dir), "--out", str(out)]) == 0
    texts = _test_texts(data)
    want = specc.load_run(run_dir).predict(texts)
    model = keras.saving.load_model(out, safe_mode=True)
    got = model.predict(np.asarray(texts, dtype=object), verbose=0)
    np.testing.assert_allclose(got, want.probabilities, atol=1e-5)
    side = json.loads((tmp_path / "topics.keras.json").read_text())
    assert side["class_names"] == ["food", "sport", "tech"] and side["spec"]["name"] == "topics"
    assert main(["export", str(run_dir), "--out", str(out)]) == 2  # never overwritten
    assert "already exists" in capsys.readouterr().err


FRESH_TF = """
import json, sys
import tensorflow as tf
m = tf.saved_model.load(sys.argv[1])
out = m.signatures["serving_default"](texts=tf.constant(json.loads(sys.argv[2])))
print(json.dumps({"label": [x.decode() for x in out["label"].numpy()],
                  "probabilities": out["probabilities"].numpy().tolist(),
                  "modules": [n for n in ("specc", "keras_hub") if n in sys.modules]}))
"""


def test_saved_model_runs_with_only_tensorflow(topic_run, tmp_path):
    run_dir, data = topic_run
    out = tmp_path / "sm"
    assert main(["export", str(run_dir), "--format", "saved_model", "--out", str(out)]) == 0
    texts = _test_texts(data)
    proc = subprocess.run([sys.executable, "-c", FRESH_TF, str(out), json.dumps(texts)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    want = specc.load_run(run_dir).predict(texts)
    assert got["modules"] == [] and got["label"] == want.labels
    np.testing.assert_allclose(got["probabilities"], want.probabilities, atol=1e-5)


def test_estimator_export_returns_class_names(tmp_path, write_spec):
    from tests.test_train_e2e import make_csv
    from tests.test_train_kinds import TFIDF_SPEC
    make_csv(tmp_path)
    run = tmp_path / "run"
    assert main(["train", str(write_spec(TFIDF_SPEC % "LinearSVC: {}")), "--out", str(run)]) == 0
    out = tmp_path / "svm.skops"
    assert main(["export", str(run), "--out", str(out)]) == 0
    from specc.runtime.safe_load import load_pipeline
    texts = _test_texts(tmp_path)
    assert list(load_pipeline(out).predict(texts)) == specc.load_run(run).predict(texts).labels


def _hostile_copy(run_dir, tmp_path):
    copy = tmp_path / "hostile"
    shutil.copytree(run_dir, copy)
    return copy


def test_a_lambda_layer_is_refused_and_not_run(topic_run, tmp_path):
    marker = tmp_path / "pwned"
    inputs = keras.Input((3,))
    outputs = keras.layers.Lambda(lambda x: x * 2)(inputs)
    evil = tmp_path / "evil.keras"
    keras.Model(inputs, outputs).save(evil)
    copy = _hostile_copy(topic_run[0], tmp_path)
    shutil.copyfile(evil, copy / "model.keras")
    with pytest.raises(specc.UsageError, match="Python code"):
        specc.load_run(copy).predict(["goal"])
    assert not marker.exists()


def test_a_callable_standardize_is_refused(topic_run, tmp_path):
    copy = _hostile_copy(topic_run[0], tmp_path)
    with zipfile.ZipFile(topic_run[0] / "model.keras") as z:
        files = {n: z.read(n) for n in z.namelist()}
    config = json.loads(files["config.json"])
    config["config"]["layers"].append({
        "module": "keras.layers", "class_name": "TextVectorization", "registered_name": None,
        "config": {"standardize": {"module": "os", "class_name": "system",
                                   "registered_name": "system"}}})
    files["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(copy / "model.keras", "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    with pytest.raises(specc.UsageError, match="refused"):
        specc.load_run(copy).predict(["goal"])


class _Evil:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


def test_a_pickle_in_a_run_folder_is_never_loaded(topic_run, tmp_path, capsys):
    marker = tmp_path / "pwned"
    copy = _hostile_copy(topic_run[0], tmp_path)
    (copy / "model.joblib").write_bytes(pickle.dumps(_Evil(marker)))
    assert main(["predict", str(copy), "goal"]) == 2
    assert "does not load pickle" in capsys.readouterr().err
    assert main(["evaluate", str(copy), "--data", str(topic_run[1] / "test.csv")]) == 2
    assert not marker.exists()


BERT_SPEC = """\
name: topics-bert
task: multiclass
data: {train: train.csv, test: test.csv, validation_split: 0.25}
preprocessing: {sequence: {max_len: 16}}
model:
  backbone: {BertBackbone: {preset: %s}}
train: {optimizer: {name: adam, learning_rate: 0.001}, batch_size: 16, epochs: 2, seed: 1}
"""

def test_bert_run_predicts_and_exports_like_its_test_split(tiny_preset, tmp_path, write_spec):
    """A BERT run (tiny pretrained preset): predictions equal predictions.npz; the .keras
    export and the SavedModel (in a Python that imports only TensorFlow) predict the same."""
    from tests.test_train_e2e import make_csv
    make_csv(tmp_path)
    run_dir = tmp_path / "run"
    assert main(["train", str(write_spec(BERT_SPEC % tiny_preset)), "--out", str(run_dir)]) == 0
    texts = [r["text"] for r in csv.DictReader(open(tmp_path / "test.csv"))]
    run = specc.load_run(run_dir)
    want = run.predict(texts)
    stored = np.load(run_dir / "predictions.npz")
    np.testing.assert_array_equal(want.class_ids, stored["y_pred"])
    np.testing.assert_allclose(want.outputs, stored["scores"], atol=1e-5)
    out = tmp_path / "bert.keras"
    assert main(["export", str(run_dir), "--out", str(out)]) == 0
    from specc.core.quiet import import_keras_hub
    import_keras_hub()
    model = keras.saving.load_model(out, safe_mode=True)
    got = model.predict(np.asarray(texts, dtype=object), verbose=0)
    np.testing.assert_allclose(got, want.probabilities, atol=1e-5)
    sm = tmp_path / "sm"
    assert main(["export", str(run_dir), "--format", "saved_model", "--out", str(sm)]) == 0
    proc = subprocess.run([sys.executable, "-c", FRESH_TF, str(sm), json.dumps(texts[:8])],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    fresh = json.loads(proc.stdout.strip().splitlines()[-1])
    assert fresh["label"] == want.labels[:8]
    np.testing.assert_allclose(fresh["probabilities"], want.probabilities[:8], atol=1e-5)


TRICKY = ["", "   ", "Hello, World!", "naïve café RÉSUMÉ", "don't stop---ever...", "中文字符 and 日本語",
          "emoji 🙂🙂 end", "tabs\tand\nnewlines", "a" * 150, "x" * 30 + "ing", "$100 @home #tag",
          "C++ & C# | <b>bold</b>", "Ünïcödé ÀÉÎÕÜ straße", "it's a gorgeous, witty, seductive movie.",
          "ﬁne ﬂow", "ＡＢＣ full-width", "Ⅻ ½ ㎏", "wait… what", "İstanbul"]


def test_core_tensorflow_wordpiece_equals_keras_hub():
    """The SavedModel's BERT preprocessing (core TF ops) gives keras-hub's ids."""
    import tensorflow as tf

    from specc.preprocessing.wordpiece import WordPieceEncoder
    from specc.preprocessing.wordpiece_tf import bert_inputs_fn
    from tests.conftest import data_dir_available
    texts = list(TRICKY)
    if data_dir_available():
        from specc.data import load_dataset
        texts += load_dataset({"dataset": "sst2"}, ROOT, task="binary").test_texts[:300]
    enc = WordPieceEncoder("minilm-l6", 48)
    want = enc.encode(texts)
    fn = tf.function(bert_inputs_fn(enc.vocabulary(), enc.tokenizer.lowercase, 48))
    got = {k: v.numpy() for k, v in fn(tf.constant(texts)).items()}
    for key in ("token_ids", "segment_ids", "padding_mask"):
        diff = [t for t, a, b in zip(texts, got[key], want[key]) if not np.array_equal(a, b)]
        assert not diff, (key, diff[:3])
