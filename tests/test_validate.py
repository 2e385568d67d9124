"""``specc validate``: exact positions, paths and messages for broken specs; exit codes; JSON."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from specc.cli import main
from specc.errors import SpecError
from specc.loader.validate import load_spec
from specc.schema import SCHEMA_PATH, load_schema, render_schema
from tests.conftest import SPECS

BASE = """\
name: t
task: binary
data: {dataset: imdb}
preprocessing:
  tokenizer: {num_words: 1000}
  sequence: {max_len: 50}
model:
  layers:
"""


def issues_of(write_spec, text: str):
    """(line, column, path, message) of every issue in a spec."""
    with pytest.raises(SpecError) as e:
        load_spec(write_spec(textwrap.dedent(text)))
    return [(i.line, i.column, i.path, i.message) for i in e.value.issues]


def one_issue(write_spec, layers: str):
    found = issues_of(write_spec, BASE + textwrap.indent(textwrap.dedent(layers), "    "))
    assert len(found) == 1, found
    return found[0]


def _without_descriptions(node):
    if isinstance(node, dict):
        return {k: _without_descriptions(v) for k, v in node.items()
                if k not in ("description", "$comment")}
    if isinstance(node, list):
        return [_without_descriptions(v) for v in node]
    return node


def test_shipped_schema_is_generated_from_the_registries():
    """Identical to what the registries build; where the installed Keras, keras-hub or
    scikit-learn differ from the versions the descriptions were generated from (the
    schema's $comment), everything but the descriptions."""
    import json

    from specc.schema.keras_docs import doc_versions
    shipped, built = SCHEMA_PATH.read_text(encoding="utf-8"), render_schema()
    if doc_versions() in json.loads(shipped)["$comment"]:
        assert shipped == built, "run: python -m specc.schema"
    else:
        assert _without_descriptions(json.loads(shipped)) == \
            _without_descriptions(json.loads(built)), "run: python -m specc.schema"


def test_schema_is_valid_draft7():
    from jsonschema import Draft7Validator
    Draft7Validator.check_schema(load_schema())
    assert load_schema()["$schema"] == "http://json-schema.org/draft-07/schema#"


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.name)
def test_example_specs_are_valid(path, request, tmp_path):
    from tests.conftest import NSMC_PRESET, with_preset
    if NSMC_PRESET in path.read_text() and not (SPECS / NSMC_PRESET).is_dir():
        # the NSMC fine-tuning specs need `specc pretrain specs/nsmc_pretrain.yaml` first;
        # without its preset, check them against a tiny pretrained one
        path = with_preset(path, request.getfixturevalue("tiny_preset"), tmp_path)
    spec = load_spec(path)
    assert spec.resolved["train"]["seed"] >= 0
    assert path.read_text().startswith("# yaml-language-server: $schema=../specc/schema/")


def test_recurrent_after_recurrent_without_return_sequences(write_spec):
    line, col, path, msg = one_issue(write_spec, """\
        - Embedding: {output_dim: 8}
        - LSTM: {units: 4}
        - GRU: {units: 4}
    """)
    assert (line, col, path) == (11, 7, "$.model.layers[2]")
    assert "set return_sequences: true on layers[1]" in msg


def test_sequence_output_reaching_head(write_spec):
    line, col, path, msg = one_issue(write_spec, """\
        - Embedding: {output_dim: 8}
        - LSTM: {units: 4, return_sequences: true}
    """)
    assert (line, path) == (10, "$.model.layers[1]")
    assert "(None, 50, 4)" in msg and "GlobalMaxPooling1D" in msg


def test_kernel_size_longer_than_sequence(write_spec):
    line, col, path, msg = one_issue(write_spec, """\
        - Embedding: {output_dim: 8}
        - Conv1D: {filters: 4, kernel_size: 9}
        - MaxPooling1D: {pool_size: 6}
        - Conv1D: {filters: 4, kernel_size: 8}
        - GlobalMaxPooling1D
    """)
    # 50 -> conv 9 -> 42 -> pool 6 -> 7 steps: a kernel of 8 does not fit
    assert (line, col, path) == (12, 41, "$.model.layers[3].Conv1D.kernel_size")
    assert "kernel_size 8 is longer than the sequence here (7 steps)" in msg


def test_pool_size_longer_than_sequence(write_spec):
    line, col, path, msg = one_issue(write_spec, """\
        - Embedding: {output_dim: 8}
        - MaxPooling1D: {pool_size: 60}
        - Flatten
    """)
    assert path == "$.model.layers[1].MaxPooling1D.pool_size" and line == 10
    assert "pool_size 60 is longer than the sequence here (50 steps)" in msg


def test_bidirectional_around_non_recurrent(write_spec):
    line, col, path, msg = one_issue(write_spec, """\
        - Embedding: {output_dim: 8}
        - Bidirectional: {layer: {Conv1D: {filters: 2, kernel_size: 3}}}
    """)
    assert (line, path) == (10, "$.model.layers[1].Bidirectional.layer")
    assert "wraps a recurrent layer" in msg and "not Conv1D" in msg


def test_embedding_not_first(write_spec):
    line, col, path, msg = one_issue(write_spec, """\
        - Dense: {units: 8}
        - Embedding: {output_dim: 8}
    """)
    assert (line, col, path) == (9, 7, "$.model.layers[0]")
    assert "first layer must be Embedding" in msg


def test_embedding_later_in_stack(write_spec):
    line, col, path, msg = one_issue(write_spec, """\
        - Embedding: {output_dim: 8}
        - Embedding: {output_dim: 8}
    """)
    assert path == "$.model.layers[1]" and "must be the first layer" in msg


def test_input_dim_inconsistent_with_num_words(write_spec):
    line, col, path, msg = one_issue(write_spec, """\
        - Embedding: {output_dim: 8, input_dim: 500}
        - GlobalAveragePooling1D
    """)
    assert (line, col, path) == (9, 45, "$.model.layers[0].Embedding.input_dim")
    assert "num_words 1000" in msg


def test_unknown_layer_and_argument_did_you_mean(write_spec):
    found = issues_of(write_spec, BASE + """\
    - Embedding: {output_dim: 8}
    - lstm: {units: 4}
    - GRU: {unit: 4, return_sequence: true}
""")
    assert (10, 7, "$.model.layers[1].lstm", "unknown layer 'lstm' (did you mean 'LSTM'?)") in found
    assert any(p == "$.model.layers[2].GRU.unit" and "did you mean 'units'" in m
               for _, _, p, m in found)
    assert any(p == "$.model.layers[2].GRU.return_sequence" and
               "did you mean 'return_sequences'" in m for _, _, p, m in found)


def test_all_errors_at_once_sorted_with_types(write_spec):
    found = issues_of(write_spec, """\
        name: t
        task: binari
        data: {dataset: imdb, validation_split: 2}
        model:
          layers:
            - Embedding: {output_dim: "64"}
        train: {epochs: 0, optimizer: {name: adam, momentum: 0.9}}
    """)
    assert [f[:3] for f in found] == [
        (2, 7, "$.task"), (3, 41, "$.data.validation_split"),
        (6, 31, "$.model.layers[0].Embedding.output_dim"), (7, 17, "$.train.epochs"),
        (7, 44, "$.train.optimizer.momentum")]
    messages = [f[3] for f in found]
    assert "did you mean 'binary'" in messages[0]
    assert messages[2] == "expected an integer, got '64' (a string)"
    assert messages[3] == "must be >= 1, got 0"
    assert "optimizer adam has no argument 'momentum'" in messages[4]


def test_duplicate_keys_are_errors(write_spec):
    found = issues_of(write_spec, """\
        name: t
        task: binary
        data: {dataset: imdb}
        model: {layers: [{Embedding: {output_dim: 4}}, GlobalMaxPooling1D]}
        task: multiclass
    """)
    assert found == [(5, 1, "$.task", "duplicate key 'task' (first at line 2); YAML would "
                                      "silently keep only the last one")]


def test_layer_with_arguments_not_indented(write_spec):
    found = issues_of(write_spec, BASE + """\
    - Embedding: {output_dim: 8}
    - LSTM:
      units: 4
""")
    assert found[0][:3] == (10, 7, "$.model.layers[1]")
    assert "indent the arguments under the layer name" in found[0][3]


@pytest.mark.parametrize("text, line, fragment", [
    ("name: [unclosed\n", 2, "YAML error"),
    ("!!python/object/apply:os.system ['echo hi']\n", 1, "could not determine a constructor"),
    ("", 1, "empty spec"),
    ("a: 1\n---\nb: 2\n", 2, "YAML error"),
    ("- just\n- a list\n", 1, "expected a mapping"),
])
def test_bad_yaml_gives_one_positioned_error(write_spec, text, line, fragment):
    found = issues_of(write_spec, text)
    assert found[0][0] == line and fragment in found[0][3]


def test_data_rules(write_spec):
    found = issues_of(write_spec, """\
        name: t
        task: multiclass
        data: {dataset: sst2, options: {trian: glue}}
        model: {layers: [{Embedding: {output_dim: 4}}, GlobalMaxPooling1D]}
    """)
    assert found[0][2] == "$.data.options" and "did you mean 'train'" in found[0][3]
    found = issues_of(write_spec, """\
        name: t
        task: multiclass
        data: {dataset: imdb, validation: dev}
        model: {layers: [{Embedding: {output_dim: 4}}, GlobalMaxPooling1D]}
    """)
    assert [f[2] for f in found] == ["$.task", "$.data.validation"]
    found = issues_of(write_spec, """\
        name: t
        task: binary
        data: {dataset: sine}
        model: {layers: [{SimpleRNN: {units: 4}}]}
    """)
    assert found[0][2] == "$.task" and "must be regression" in found[0][3]


def test_head_override_checked_against_task(write_spec):
    found = issues_of(write_spec, BASE + """\
    - Embedding: {output_dim: 8}
    - GlobalMaxPooling1D
  head: {units: 2, activation: softmax}
""")
    assert [f[2] for f in found] == ["$.model.head.units", "$.model.head.activation"]


def test_cli_exit_codes_and_json(tmp_path, capsys, write_spec):
    good = str(SPECS / "lstm.yaml")
    bad = str(write_spec(BASE + "    - LSTM: {units: 4}\n"))
    assert main(["validate", good]) == 0
    assert main(["validate", good, bad]) == 1
    err = capsys.readouterr().err
    assert err.strip().endswith("first layer must be Embedding (token ids -> vectors), not LSTM")
    assert err.startswith(f"{bad}:9:7: $.model.layers[0]: ")
    assert main(["validate", str(tmp_path / "missing.yaml")]) == 2
    capsys.readouterr()
    assert main(["validate", "--format", "json", good, bad]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["valid"] is False
    assert [f["valid"] for f in doc["files"]] == [True, False]
    assert doc["files"][1]["issues"][0] == {
        "file": bad, "line": 9, "column": 7, "path": "$.model.layers[0]",
        "message": "on text input the first layer must be Embedding (token ids -> vectors), "
                   "not LSTM", "severity": "error"}


def test_validate_does_not_import_tensorflow(write_spec):
    files = [str(SPECS / n) for n in ("lstm.yaml", "sst2_bert_finetune.yaml",
                                      "sst2_bert_features_logreg.yaml", "imdb_tfidf_svm.yaml")]
    code = ("import sys; from specc.cli import main; assert main(['validate', *%r]) == 0; "
            "print([m for m in ('tensorflow', 'keras', 'keras_hub', 'sklearn') "
            "if m in sys.modules])" % files)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("[]")


def test_resolved_spec_has_defaults(write_spec):
    spec = load_spec(write_spec(BASE + "    - Embedding: {output_dim: 8}\n    - Flatten\n"))
    r = spec.resolved
    assert r["train"]["optimizer"] == {"name": "adam", "learning_rate": 0.001,
                                       "warmup_ratio": 0.0, "schedule": "constant"}
    assert r["preprocessing"]["tokenizer"]["oov_token"] == "<OOV>"
    assert r["preprocessing"]["sequence"]["padding"] == "pre"
    assert r["data"]["validation_split"] == 0.2
    assert r["train"]["checkpoint"] == {"monitor": "val_loss"}


def test_control_characters_and_line_breaks_in_keys_stay_one_line(tmp_path, capsys):
    from specc.cli import main
    ctl = tmp_path / "ctl.yaml"
    ctl.write_text("name: x\n\x1ftask: binary\n", encoding="utf-8")
    key = tmp_path / "key.yaml"
    key.write_text('"a\\rb\\u2028c": 1\nname: x\n', encoding="utf-8")
    assert main(["validate", str(ctl), str(key)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == (f"{ctl}:2:1: $: YAML error: character #x001f is not allowed (YAML "
                        f"forbids control characters)")
    assert any("unknown key 'a\\rb\\u2028c'" in line for line in lines[1:])


def test_integral_floats_are_integers_and_become_ints(write_spec):
    # Draft-07, check-jsonschema and the editor count 50.0 as an integer, so specc accepts it
    # too (one verdict everywhere); keras.Input(shape=(50.0,)) would fail (found by the build
    # fuzz test), so the value Keras gets is the int 50. 8.5 is no integer anywhere.
    text = BASE.replace("max_len: 50", "max_len: 50.0")
    assert text != BASE
    spec = load_spec(write_spec(text + """\
    - Embedding: {output_dim: 8.0}
    - LSTM: {units: 4e0}
"""))
    sizes = (spec.to_dict()["preprocessing"]["sequence"]["max_len"],
             spec.to_dict()["model"]["layers"][0]["Embedding"]["output_dim"],
             spec.to_dict()["model"]["layers"][1]["LSTM"]["units"])
    assert sizes == (50, 8, 4) and all(type(v) is int for v in sizes)
    found = issues_of(write_spec, BASE + """\
    - Embedding: {output_dim: 8.5}
    - LSTM: {units: 4}
""")
    assert [(p, m) for _, _, p, m in found] == [
        ("$.model.layers[0].Embedding.output_dim", "expected an integer, got 8.5 (a number)")]


def _laughs() -> str:
    """The 'billion laughs' alias bomb: 9 levels of 9 aliases (9**9 leaves if expanded)."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("content, status, fragment", [
    (_laughs().encode(), 1, "expands to more than 100000 YAML nodes"),
    (b"name: x\n" + b"# padding\n" * 120_000, 2, "specs over 1000000 bytes are refused"),
    (bytes(range(256)), 2, "not UTF-8 text"),
    ("name: caf\xe9\n".encode("latin-1"), 2, "not UTF-8 text (byte 9)"),
    (b"name: !!python/name:os.system x\n", 1, "could not determine a constructor"),
], ids=["alias-bomb", "too-big", "binary", "latin-1", "python-tag"])
def test_yaml_hazards_give_one_line(tmp_path, capsys, content, status, fragment):
    path = tmp_path / "hostile.yaml"
    path.write_bytes(content)
    for command in ("validate", "build", "train"):
        assert main([command, str(path)]) == status
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and fragment in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hostile.yaml"]  # no run folder
