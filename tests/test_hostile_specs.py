"""Hostile specs: ``specc validate`` refuses each at the spec's line, fast, never crashes.

One parametrized test per class of hostile input (issue 18). Each case is a spec that
used to crash ``validate``, ``build`` or ``train`` (IndexError, KeyError, a 26-108 s hang,
a Keras/NumPy/scikit-learn ValueError, an out-of-memory kill, "File name too long"); now
``specc validate`` exits 1 with one ``FILE:LINE:COL: $.path: message`` line at the value to
blame, and no traceback. Cases that must stay valid (the limits themselves) are checked
too, and one tiny run trains the limits that validate.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from specc.cli import main
from specc.errors import SpecError
from specc.loader import memory
from specc.loader.validate import load_spec

KERAS = """\
name: hostile
task: multiclass
data: {train: train.csv, test: test.csv, validation_split: 0.25}
preprocessing:
  tokenizer: {num_words: 50}
  sequence: {max_len: 12}
model:
  layers:
    - Embedding: {output_dim: 16}
    - GlobalAveragePooling1D
train: {optimizer: {name: adam, learning_rate: 0.05}, batch_size: 16, epochs: 1, seed: 3}
"""
"""A small Keras spec; the cases below edit one of its lines (line 9 is the Embedding)."""

POOLED = "    - GlobalAveragePooling1D\n"


def layer(entry: str) -> str:
    """:data:`KERAS` with ``entry`` inserted as line 10, after the Embedding."""
    return KERAS.replace(POOLED, f"    - {entry}\n{POOLED}")


def run_validate(path: Path, *flags: str) -> tuple[int, list[str], str]:
    """``specc validate PATH`` in this process: (exit status, error lines, all of stderr);
    warnings (data files absent here) are left out of the error lines."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main(["validate", str(path), *flags])
    text = err.getvalue()
    return status, [line for line in text.splitlines() if ": warning: " not in line], text


def where(text: str, line: int, needle: str) -> tuple[int, int]:
    """``(line, column)`` of ``needle`` on ``line`` (1-based) of ``text``."""
    return line, text.splitlines()[line - 1].index(needle) + 1


def check_refused(tmp_path: Path, text: str, line: int, needle: str, json_path: str,
                  *fragments: str, name: str = "spec.yaml") -> str:
    """Validate ``text``: exit 1, exactly one error, at ``needle`` on ``line``, at
    ``json_path``, its message holding every fragment; no traceback. Returns the message."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    status, errors, stderr = run_validate(path)
    assert status == 1, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    line, col = where(text, line, needle)
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{path}:{line}:{col}: {json_path}: "), errors
    message = errors[0].split(f"{json_path}: ", 1)[1]
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


def check_valid(tmp_path: Path, text: str) -> None:
    """``text`` validates (exit 0, warnings allowed)."""
    path = tmp_path / "valid.yaml"
    path.write_text(text, encoding="utf-8")
    status, errors, stderr = run_validate(path)
    assert status == 0 and not errors, stderr


# --- 1. integers past Python's digit limit; keys that are not strings -----------------
@pytest.mark.parametrize("text, line, needle, json_path, fragment", [
    (KERAS.replace("output_dim: 16", "output_dim: " + "1" * 5000), 9, "1111", "$",
     "integer of 5000 digits is too long"),
    (KERAS.replace("model:\n", "model:\n  1: x\n"), 8, "1: x", "$.model.1",
     "key 1 is an integer; keys in a spec are strings"),
    (KERAS + "true: 1\n", 12, "true", "$.true",
     "key true is a boolean; keys in a spec are strings"),
    (KERAS + "1: 2\n", 12, "1: 2", "$.1", "key 1 is an integer; keys in a spec are strings"),
    (KERAS.replace("output_dim: 16", "output_dim: 16, 3: 4"), 9, "3: 4",
     "$.model.layers[0].Embedding.3", "key 3 is an integer"),
    (KERAS + "~: 2\n", 12, "~", "$.~", "is empty (null); keys in a spec are strings"),
    (KERAS + "? [a, b]\n: 1\n", 12, "[a, b]", "$.?", "a key is a list"),
], ids=["5000-digits", "int-key-in-model", "true-key", "int-key", "int-key-in-layer",
        "null-key", "list-key"])
def test_huge_integers_and_non_string_keys(tmp_path, text, line, needle, json_path, fragment):
    check_refused(tmp_path, text, line, needle, json_path, fragment)


def test_non_string_key_in_a_mapping_or_override_is_refused():
    with pytest.raises(SpecError, match=r"\$\.model\.1: key 1 is an integer"):
        load_spec({"name": "x", "task": "binary", "data": {"dataset": "sst2"},
                   "model": {1: "x"}})
    from specc.errors import UsageError
    with pytest.raises(UsageError, match="keys in a spec are strings"):
        load_spec({"name": "x", "task": "binary", "data": {"dataset": "sst2"}, "model": {}},
                  overrides={"model.features": {2: 3}})


# --- 2. recursive aliases are refused at once; alias bombs stay fast ------------------
LAUGHS = "".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10 if i else ["x"] * 10) + "]\n"
                 for i in range(10))


@pytest.mark.parametrize("text, line, needle, fragment", [
    ("a: &a [*a]\n", 1, "*a", "recursive alias *a"),
    ("a: &a {<<: *a}\n", 1, "*a", "recursive alias *a"),
    ("name: x\nmodel: &m\n  layers:\n    - Bidirectional: {layer: *m}\n", 4, "*m",
     "recursive alias *m"),
    (LAUGHS, 1, "l0", "spec expands to more than 100000 YAML nodes"),
], ids=["self-list", "self-merge", "nested", "billion-laughs"])
def test_recursive_aliases_and_alias_bombs_are_refused_fast(tmp_path, text, line, needle,
                                                            fragment):
    start = time.perf_counter()
    check_refused(tmp_path, text, line, needle, "$", fragment)
    assert time.perf_counter() - start < 1.0


def test_recursive_alias_cli_exits_1_without_traceback(tmp_path):
    path = tmp_path / "alias.yaml"
    path.write_text("a: &a [*a]\n")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "specc", "validate", str(path)],
                          check=False, capture_output=True, text=True, timeout=60)
    assert time.perf_counter() - start < 20  # was 26-108 s; interpreter start included
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (f"{path}:1:8: $: YAML error: recursive alias *a inside the "
                                   f"node it refers to (&a): the value would contain itself")


# --- 3. hostile preset folders (config.json, tokenizer_config.json) ------------------
BERT = """\
name: hostile-bert
task: binary
data: {train: train.csv, test: test.csv}
preprocessing:
  sequence: {max_len: 16}
model:
  backbone: {BertBackbone: {preset: my-bert}}
"""
CONFIG = {"model_type": "bert", "hidden_size": 32, "num_hidden_layers": 1,
          "num_attention_heads": 2, "intermediate_size": 64, "vocab_size": 100,
          "max_position_embeddings": 64}


def _config(**changes) -> str:
    return json.dumps({k: v for k, v in {**CONFIG, **changes}.items() if v is not None})


@pytest.mark.parametrize("name, content, fragments", [
    ("config.json", _config(vocab_size=None), ["config.json: key 'vocab_size' is missing"]),
    ("config.json", "[1, 2]", ["config.json: the config.json holds a JSON list"]),
    ("config.json", json.dumps({"class_name": "keras_hub>BertBackbone",
                                "config": {"hidden_dim": 32}}),
     ["config.json: key 'num_layers' is missing"]),
    ("config.json", json.dumps({"class_name": "keras_hub>BertBackbone", "config": [1]}),
     ["'config' must be an object"]),
    ("config.json", _config(hidden_size="big"), ["hidden_size must be a positive integer"]),
    ("config.json", _config(num_hidden_layers=0), ["num_hidden_layers must be a positive"]),
    ("config.json", " " * 1_000_001 + "{}", ["config.json is over 1000000 bytes"]),
    ("config.json", "[" * 100_000, ["config.json is not JSON"]),
    ("config.json", "FIFO", ["config.json is not a regular file"]),
    ("config.json", "/dev/zero", ["config.json is not a regular file"]),
    ("tokenizer_config.json", "[1]", ["tokenizer_config.json holds a JSON list"]),
    ("tokenizer_config.json", '{"do_lower_case": "no"}', ["do_lower_case must be true or false"]),
], ids=["missing-key", "list", "keras-hub-missing-key", "keras-hub-config-list",
        "string-size", "zero-size", "huge", "deep", "fifo",
        "link-to-dev-zero", "tokenizer-list", "tokenizer-type"])
def test_hostile_preset_files_are_one_positioned_issue(tmp_path, name, content, fragments):
    folder = tmp_path / "my-bert"
    folder.mkdir()
    (folder / "config.json").write_text(_config())
    target = folder / name
    target.unlink(missing_ok=True)
    if content == "FIFO":
        os.mkfifo(target)
    elif content == "/dev/zero":
        target.symlink_to("/dev/zero")
    else:
        target.write_text(content)
    spec = tmp_path / "spec.yaml"
    spec.write_text(BERT)
    # in a child process: a FIFO or /dev/zero that hung or filled memory ends at the timeout
    done = subprocess.run([sys.executable, "-m", "specc", "validate", str(spec)],
                          check=False, capture_output=True, text=True, timeout=60)
    errors = [line for line in done.stderr.splitlines() if ": warning: " not in line]
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    line, col = where(BERT, 7, "my-bert")
    (error,) = errors
    assert error.startswith(f"{spec}:{line}:{col}: $.model.backbone.BertBackbone.preset: "
                            f"{folder / name}: ")
    assert all(f in error for f in fragments), error


def test_preset_files_may_be_links_to_regular_files(tmp_path):
    """Hugging Face caches link each file of a snapshot to a blob: such a preset is read."""
    folder = tmp_path / "my-bert"
    folder.mkdir()
    (tmp_path / "blob.json").write_text(_config())
    (folder / "config.json").symlink_to(tmp_path / "blob.json")
    check_valid(tmp_path, BERT.replace("preset: my-bert", f"preset: {folder}"))


# --- 4. normalization axes; NaN and infinite numbers ----------------------------------
PRETRAIN = """\
name: hostile-pretrain
task: masked_lm
data: {train: corpus.csv, validation_split: 0.1}
preprocessing:
  tokenizer: {wordpiece: {vocabulary_size: 60}}
  sequence: {max_len: 64}
model:
  backbone: {BertBackbone: {num_layers: 1, num_heads: 2, hidden_dim: 32, intermediate_dim: 64}}
  masking: {mask_selection_rate: 0.2}
"""
TFIDF = """\
name: hostile-tfidf
task: binary
data: {train: train.csv, test: test.csv}
model:
  features: {tfidf: {min_df: 1}}
  estimator: {LogisticRegression: {C: 1.0}}
"""


@pytest.mark.parametrize("text, line, needle, json_path, fragment", [
    (layer("BatchNormalization: {axis: 99}"), 10, "99",
     "$.model.layers[1].BatchNormalization.axis", "axis 99 does not exist: the input here is "
                                                  "(None, 12, 16)"),
    (layer("LayerNormalization: {axis: -99}"), 10, "-99",
     "$.model.layers[1].LayerNormalization.axis", "axis -99 does not exist"),
    (layer("BatchNormalization: {axis: 0}"), 10, "0}",
     "$.model.layers[1].BatchNormalization.axis", "axis 0 is the batch axis"),
    (layer("LayerNormalization: {axis: -3}"), 10, "-3",
     "$.model.layers[1].LayerNormalization.axis", "axis -3 is the batch axis"),
    (KERAS.replace("output_dim: 16", "output_dim: 16, embeddings_regularizer: {l2: .nan}"), 9,
     ".nan", "$.model.layers[0].Embedding.embeddings_regularizer.l2",
     "expected a finite number, got .nan"),
    (layer("Dense: {units: 4, kernel_regularizer: {l1: .inf}}"), 10, ".inf",
     "$.model.layers[1].Dense.kernel_regularizer.l1", "expected a finite number, got .inf"),
    (layer("Dense: {units: 4, kernel_regularizer: {l2: -1.0}}"), 10, "{l2: -1.0}",
     "$.model.layers[1].Dense.kernel_regularizer", "expected l1, l2, l1_l2 or factors"),
    (layer("Dropout: {rate: .nan}"), 10, ".nan", "$.model.layers[1].Dropout.rate",
     "expected a finite number, got .nan"),
    (KERAS.replace("learning_rate: 0.05", "learning_rate: .nan"), 11, ".nan",
     "$.train.optimizer.learning_rate", "expected a finite number, got .nan"),
    (KERAS.replace("learning_rate: 0.05", "learning_rate: .inf"), 11, ".inf",
     "$.train.optimizer.learning_rate", "expected a finite number, got .inf"),
    (KERAS.replace("learning_rate: 0.05", "learning_rate: -.inf"), 11, "-.inf",
     "$.train.optimizer.learning_rate", "must be > 0, got -inf"),  # the schema's word
    (PRETRAIN.replace("mask_selection_rate: 0.2", "mask_selection_rate: .nan"), 9, ".nan",
     "$.model.masking.mask_selection_rate", "expected a finite number, got .nan"),
    (PRETRAIN.replace("mask_selection_rate: 0.2", "mask_token_rate: .NaN"), 9, ".NaN",
     "$.model.masking.mask_token_rate", "expected a finite number, got .nan"),
    (TFIDF.replace("C: 1.0", "C: .inf"), 6, ".inf", "$.model.estimator.LogisticRegression.C",
     "expected a finite number, got .inf"),
    (KERAS.replace("validation_split: 0.25", "validation_split: .nan"), 3, ".nan",
     "$.data.validation_split", "expected a finite number"),
], ids=["bn-axis-99", "ln-axis-minus-99", "bn-batch-axis", "ln-batch-axis", "l2-nan",
        "l1-inf", "l2-negative", "dropout-nan", "learning-rate-nan", "learning-rate-inf",
        "learning-rate-minus-inf",
        "mask-rate-nan", "mask-token-rate-nan", "C-inf", "validation-split-nan"])
def test_axes_and_non_finite_numbers(tmp_path, text, line, needle, json_path, fragment):
    check_refused(tmp_path, text, line, needle, json_path, fragment)


def test_valid_normalization_axes_pass(tmp_path):
    for axis in (1, 2, -1, -2):
        check_valid(tmp_path, layer(f"LayerNormalization: {{axis: {axis}}}"))


# --- 5. seeds NumPy and scikit-learn accept -------------------------------------------
@pytest.mark.parametrize("text, line, needle, json_path", [
    (KERAS.replace("seed: 3", "seed: 4294967296"), 11, "4294967296", "$.train.seed"),
    (KERAS.replace("seed: 3", f"seed: {2**64}"), 11, str(2**64), "$.train.seed"),
    (layer("Dropout: {rate: 0.1, seed: 4294967296}"), 10, "4294967296",
     "$.model.layers[1].Dropout.seed"),
], ids=["2**32", "2**64", "layer-seed"])
def test_seeds_are_at_most_2_32_minus_1(tmp_path, text, line, needle, json_path):
    check_refused(tmp_path, text, line, needle, json_path, "must be <= 4294967295")


# --- 6. monitored metrics exist -------------------------------------------------------
@pytest.mark.parametrize("text, line, needle, json_path, logged", [
    (KERAS.replace("seed: 3}", "seed: 3, early_stopping: {monitor: val_auc}}"), 11, "val_auc",
     "$.train.early_stopping.monitor", "loss, accuracy, val_loss, val_accuracy"),
    (KERAS.replace("seed: 3}", "seed: 3, checkpoint: {monitor: auc}}"), 11, "auc}",
     "$.train.checkpoint.monitor", "loss, accuracy, val_loss, val_accuracy"),
    (KERAS.replace("task: multiclass", "task: regression").replace(
        "seed: 3}", "seed: 3, early_stopping: {monitor: val_accuracy}}"), 11, "val_accuracy",
     "$.train.early_stopping.monitor", "loss, mae, val_loss, val_mae"),
], ids=["val_auc", "checkpoint-auc", "regression-accuracy"])
def test_monitor_names_a_logged_value(tmp_path, text, line, needle, json_path, logged):
    check_refused(tmp_path, text, line, needle, json_path, "is not logged by this run",
                  f"logs: {logged}")


def test_monitored_values_come_from_the_task():
    from specc.compiler.tasks import TASKS
    from specc.loader.semantic import logged_values
    spec = {"task": "regression", "data": {"validation": "split", "validation_split": 0.2}}
    assert logged_values(spec) == ["loss", *TASKS["regression"].metrics, "val_loss",
                                   *(f"val_{m}" for m in TASKS["regression"].metrics)]
    spec["data"] = {"validation": "split", "validation_split": 0}
    assert logged_values(spec) == ["loss", *TASKS["regression"].metrics]


# --- 7. the smallest vocabulary that trains -------------------------------------------
@pytest.mark.parametrize("words", [0, 1, 2])
def test_num_words_below_3_is_refused(tmp_path, words):
    check_refused(tmp_path, KERAS.replace("num_words: 50", f"num_words: {words}"), 5,
                  f"{words}}}", "$.preprocessing.tokenizer.num_words", "must be >= 3")


# --- 8. windows and strides longer than the sequence ----------------------------------
@pytest.mark.parametrize("entry, arg, fragment", [
    ("MaxPooling1D: {pool_size: 2, strides: 1000000}", "strides",
     "strides 1000000 is longer than the sequence here (12 steps)"),
    ("MaxPooling1D: {pool_size: 1000000, padding: same}", "pool_size",
     "pool_size 1000000 is longer than the sequence here (12 steps)"),
    ("AveragePooling1D: {pool_size: [99999999999999999999]}", "pool_size",
     "pool_size 9.99e19 is longer"),
    ("Conv1D: {filters: 2, kernel_size: 100000000, padding: same}", "kernel_size",
     "kernel_size 100000000 is longer than the sequence here (12 steps)"),
    ("Conv1D: {filters: 2, kernel_size: 2, strides: 4294967296, padding: same}", "strides",
     "strides 4294967296 is longer"),
    ("Conv1D: {filters: 2, kernel_size: 2, dilation_rate: 4294967296, padding: causal}",
     "dilation_rate", "(dilation 4294967296: span 4294967297) is longer"),
], ids=["pool-strides", "pool-size-same", "pool-size-huge", "kernel-same", "conv-strides",
        "dilation"])
def test_windows_longer_than_the_sequence(tmp_path, entry, arg, fragment):
    name = entry.split(":")[0]
    value = entry.split(f"{arg}: ")[1].split(",")[0].rstrip("}")
    check_refused(tmp_path, layer(entry), 10, value, f"$.model.layers[1].{name}.{arg}",
                  fragment)


# --- 9. models larger than this machine's memory --------------------------------------
@pytest.mark.parametrize("text, line, needle, json_path, fragment", [
    (KERAS.replace(POOLED, POOLED + "    - Dense: {units: 100000000}\n"), 11, "100000000",
     "$.model.layers[2].Dense.units", "model needs about 32.7 GiB, mostly for parameters "
     "(units: 100000000): 1,800,000,801 parameters x 16 bytes (weights, gradients, Adam "
     "slots) + 5.9 GiB of activations"),
    (KERAS.replace("output_dim: 16", "output_dim: 1e9"), 9, "1e9",
     "$.model.layers[0].Embedding.output_dim", "(output_dim: 1000000000)"),
    (KERAS.replace("num_words: 50", "num_words: 1e9"), 5, "1e9",
     "$.preprocessing.tokenizer.num_words", "mostly for parameters (num_words: 1000000000)"),
    (KERAS.replace("max_len: 12", "max_len: 10000000"), 6, "10000000",
     "$.preprocessing.sequence.max_len",
     "mostly for activations of a batch of 16 (max_len: 10000000)"),
    (KERAS.replace("batch_size: 16", "batch_size: 100000000"), 11, "100000000",
     "$.train.batch_size", "(batch_size: 100000000)"),
    (PRETRAIN.replace("hidden_dim: 32", "hidden_dim: 320000"), 8, "320000",
     "$.model.backbone.BertBackbone.hidden_dim", "mostly for parameters (hidden_dim: 320000)"),
    (PRETRAIN.replace("vocabulary_size: 60", "vocabulary_size: 100000000"), 5, "100000000",
     "$.preprocessing.tokenizer.wordpiece.vocabulary_size", "(vocabulary_size: 100000000)"),
], ids=["units", "output_dim", "num_words", "max_len", "batch_size", "bert-hidden",
        "wordpiece-vocabulary"])
def test_models_larger_than_memory_are_refused(tmp_path, monkeypatch, text, line, needle,
                                               json_path, fragment):
    monkeypatch.setattr(memory, "machine_memory", lambda: 4 << 30)
    message = check_refused(tmp_path, text, line, needle, json_path, fragment)
    assert "this machine has 4.0 GiB (--allow-large" in message
    path = tmp_path / "spec.yaml"
    assert run_validate(path, "--allow-large")[0] == 0
    spec = load_spec(path, allow_large=True)
    assert spec.replace({"train.epochs": 2}).allow_large  # a changed spec keeps the flag


def test_absurd_model_is_refused_on_any_machine(tmp_path):
    text = layer("Dense: {units: 1000000000000000}")
    message = check_refused(tmp_path, text, 10, "1000000000000000",
                            "$.model.layers[1].Dense.units", "mostly for activations of a "
                            "batch of 16 (units: 1.00e15): 1.80e16 parameters")
    assert f"this machine has {memory.format_bytes(memory.machine_memory())}" in message
    done = subprocess.run([sys.executable, "-m", "specc", "build", str(tmp_path / "spec.yaml")],
                          check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "$.model.layers[1].Dense.units: model needs about" in done.stderr


def test_shipped_specs_fit_in_4_gib(monkeypatch):
    from tests.conftest import SPECS
    monkeypatch.setattr(memory, "machine_memory", lambda: 4 << 30)
    for path in sorted(SPECS.glob("*.yaml")):
        try:
            load_spec(path)
        except SpecError as e:
            assert "model needs about" not in str(e), path


def test_parameter_counts_are_keras_own(tmp_path):
    """The shape walk counts the weights Keras creates, layer by layer (every kind)."""
    pytest.importorskip("keras")
    from specc.compiler.model import compile_spec
    from specc.compiler.shapes import walk_stack
    from specc.core.quiet import import_keras
    import_keras()
    text = KERAS.replace("multiclass", "binary").replace(POOLED, """\
    - Conv1D: {filters: 8, kernel_size: 3, padding: same}
    - MaxPooling1D
    - BatchNormalization
    - LayerNormalization: {axis: 1}
    - Bidirectional: {layer: {GRU: {units: 4, return_sequences: true}}}
    - LSTM: {units: 6, return_sequences: true}
    - SimpleRNN: {units: 5, return_sequences: true, use_bias: false}
    - SpatialDropout1D: {rate: 0.1}
    - GRU: {units: 3, return_sequences: true, reset_after: false}
    - Flatten
    - Dense: {units: 7}
    - Dropout: {rate: 0.1}
""")
    (tmp_path / "count.yaml").write_text(text)
    spec = load_spec(tmp_path / "count.yaml")
    costs: list = []
    assert walk_stack(spec.to_dict(), series=False, costs=costs) == []
    model = compile_spec(spec)
    by_layer = [c.params for c in costs if c.path[:2] == ("model", "layers")]
    keras_layers = [lyr for lyr in model.layers if lyr.name not in ("tokens", "head")]
    assert by_layer == [lyr.count_params() for lyr in keras_layers]
    assert sum(c.params for c in costs) == model.count_params()


# --- 10. run names that make a folder name --------------------------------------------
@pytest.mark.parametrize("name, fragment", [
    ("a" * 240, "is 240 characters long; at most 100 allowed"),
    ("../escape", "may hold only letters, digits"),
    ("a/b", "may hold only letters, digits"),
], ids=["240-chars", "dot-dot", "slash"])
def test_run_names_are_safe_folder_names(tmp_path, name, fragment):
    check_refused(tmp_path, KERAS.replace("name: hostile", f"name: {name}"), 1, name[:5],
                  "$.name", fragment)


def test_longest_name_and_limits_validate(tmp_path):
    check_valid(tmp_path, KERAS.replace("name: hostile", "name: " + "a" * 100)
                .replace("num_words: 50", "num_words: 3").replace("seed: 3", "seed: 4294967295"))


# --- the limits that validate also train ---------------------------------------------
def test_limits_that_validate_train(tmp_path):
    """num_words 3 (padding, OOV and one word), the largest seed and a monitor the task logs
    train (one epoch on made-up data)."""
    pytest.importorskip("keras")
    import specc
    rows = ["text,label"] + [f"{w} {w} x,{w}" for w in ("good", "bad") * 20]
    for split in ("train", "test"):
        (tmp_path / f"{split}.csv").write_text("\n".join(rows) + "\n")
    text = (KERAS.replace("num_words: 50", "num_words: 3").replace("seed: 3", "seed: 4294967295")
            .replace("epochs: 1,", "epochs: 1, checkpoint: {monitor: val_accuracy},")
            + "report: {plots: false}\n")
    (tmp_path / "spec.yaml").write_text(text)
    run = specc.train(specc.load_spec(tmp_path / "spec.yaml"), out=tmp_path / "run")
    assert run.metrics["n_test"] == 40
