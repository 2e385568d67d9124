"""Hostile user data files (issue 18): every case is a one-line DataError naming the file
and, where one applies, the row and line, or is read correctly; never a traceback, a hang
or memory exhausted.

Most cases go through :func:`specc.data.load_dataset` (fast); a few through ``specc train``
(exit status 1, one line on stderr, no run folder).
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

from specc.data import checksums, datafile, files, load_dataset
from specc.errors import DataError
from tests.conftest import write_file as write

GOOD = "text,label\ngood one,x\nbad one,y\n"
DEEP = "[" * 100_000 + "]" * 100_000
BIG_INT = "9" * 5000
posix_only = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX files")


def load(folder: Path, train: str, task: str | None = None, **data):
    """Load ``train`` (and a good test file) from ``folder``."""
    write(folder, "good.csv", GOOD)
    return load_dataset({"train": train, "test": "good.csv", **data}, folder, task=task)


@pytest.fixture
def deadline():
    """Fail a test that runs over 20 s (a read that never ends) instead of hanging."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def _expired(*_):
        raise TimeoutError("the read did not end")
    old = signal.signal(signal.SIGALRM, _expired)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def jsonl(*rows: str) -> str:
    return "\n".join(rows) + "\n"


A = '{"text": "good one", "label": "x"}'
B = '{"text": "bad one", "label": "y"}'

# (name, content, task, message): the message must name the file (and the row where given).
REFUSED = [
    # 1. nesting deeper than the recursion limit (was a RecursionError)
    ("deep.jsonl", jsonl(A, '{"text": "t", "label": ' + DEEP + "}"), None,
     r"deep\.jsonl, row 2 \(line 2\): JSON nested too deeply"),
    ("deep_text.jsonl", jsonl(A, B, '{"text": ' + DEEP + ', "label": "x"}'), None,
     r"deep_text\.jsonl, row 3 \(line 3\): JSON nested too deeply"),
    ("deep.json", "[\n" + A + ",\n" + DEEP + "\n]", None,
     r"deep\.json, row 2 \(line 3\): JSON nested too deeply"),
    # 2. an integer beyond Python's int<->str limit (was a ValueError)
    ("bigint.jsonl", jsonl(A, '{"text": "t", "label": ' + BIG_INT + "}"), None,
     r"bigint\.jsonl, row 2 \(line 2\): a JSON integer of more than 4,300 digits"),
    ("bigint_regression.csv", f"text,label\na,1\nb,{BIG_INT}\n", "regression",
     r"bigint_regression\.csv, row 2 \(line 3\): value '9{60}'\.\.\. \(5,000 characters\) "
     r"is too large for a float32 target"),
    # 3. strings that are not text (was TensorFlow's "Unable to convert element to UTF-8")
    ("surrogate.jsonl", jsonl(A, '{"text": "bad \\ud800 text", "label": "y"}'), None,
     r"surrogate\.jsonl, row 2 \(line 2\): the value of 'text' holds a lone UTF-16 "
     r"surrogate \(\\ud800 at character 5\)"),
    ("surrogate_label.jsonl", jsonl(A, '{"text": "t", "label": "\\udc00"}'), None,
     r"surrogate_label\.jsonl, row 2 \(line 2\): the value of 'label' holds a lone"),
    ("surrogate_key.jsonl", jsonl(A, '{"text": "t", "label": "y", "\\ud800": 1}'), None,
     r"surrogate_key\.jsonl, row 2 \(line 2\): key '\\ud800' holds a lone"),
    ("surrogate.json", '[\n' + A + ',\n{"text": "\\udfff", "label": "y"}]', None,
     r"surrogate\.json, row 2 \(line 3\): the value of 'text' holds a lone"),
    ("nul_escape.jsonl", jsonl(A, '{"text": "a\\u0000b", "label": "y"}'), None,
     r"nul_escape\.jsonl, row 2 \(line 2\): the value of 'text' holds a NUL character"),
    # 5. silent misreads
    ("dup_header.csv", "text,label,label\na,x,y\nb,y,x\n", None,
     r"dup_header\.csv: line 1: the header names column 'label' twice \(columns 2 and 3\)"),
    ("dup_header_spaces.tsv", "text\tlabel\t label \na\tx\ty\n", None,
     r"dup_header_spaces\.tsv: line 1: the header names column 'label' twice"),
    ("dup_key.jsonl", jsonl(A, '{"text": "t", "label": "x", "label": "y"}'), None,
     r"dup_key\.jsonl, row 2 \(line 2\): key 'label' occurs twice in one object"),
    ("blank_label.csv", "text,label\na,x\nb,  \nc,y\n", None,
     r"blank_label\.csv, row 2 \(line 3\): the label is empty"),
    ("empty_label.csv", "text,label\na,x\nb,\nc,y\n", None,
     r"empty_label\.csv, row 2 \(line 3\): the label is empty"),
    ("empty_label.jsonl", jsonl(A, '{"text": "t", "label": ""}'), None,
     r"empty_label\.jsonl, row 2 \(line 2\): the label is empty"),
    # 6. other hostile files
    ("nul_byte.csv", "text,label\na,x\nb\0c,y\n", None,
     r"nul_byte\.csv: line 3: a NUL byte"),
    ("utf16_bom.csv", "text,label\na,x\nb,y\n".encode("utf-16"), None,
     r"utf16_bom\.csv: line 1 \(byte offset 0\): byte 0xff is not valid UTF-8; the file is "
     r"UTF-16"),
    ("utf16_no_bom.csv", "text,label\na,x\nb,y\n".encode("utf-16-le"), None,
     r"utf16_no_bom\.csv: line 1: a NUL byte .*UTF-16"),
    ("garbage.csv", bytes(range(256)) * 8, None,
     r"garbage\.csv: line 2 \(byte offset 128\): byte 0x80 is not valid UTF-8"),
    ("garbage_ascii.csv", bytes(range(128)) * 8, None,
     r"garbage_ascii\.csv: line 1: a NUL byte"),
    ("header_only.csv", "text,label\r\n", None, r"header_only\.csv: no data rows"),
    ("blank.jsonl", "\n \n\t\n", None, r"blank\.jsonl: the file is empty"),
    ("ragged.csv", "text,label\na,x\nb,y,z\n", None,
     r"ragged\.csv, row 2 \(line 3\): 3 fields, expected 2"),
    ("short_row.tsv", "text\tlabel\na\tx\nb\n", None,
     r"short_row\.tsv, row 2 \(line 3\): 1 fields, expected 2"),
    ("scalar.json", "42", None,
     r"scalar\.json, row 1 \(line 1\): expected a JSON object .* got a number"),
    ("array_of_scalars.json", "[\n" + A + ",\n  \"a string\"\n]", None,
     r"array_of_scalars\.json, row 2 \(line 3\): expected a JSON object .* got a string"),
    ("rows_not_objects.jsonl", jsonl(A, "[1, 2]"), None,
     r"rows_not_objects\.jsonl, row 2 \(line 2\): expected a JSON object .* got an array"),
    ("null_row.jsonl", jsonl(A, "", "null"), None,
     r"null_row\.jsonl, row 2 \(line 3\): expected a JSON object .* got null"),
    ("number_text.jsonl", jsonl(A, '{"text": 12, "label": "y"}'), None,
     r"number_text\.jsonl, row 2 \(line 2\): text 12 is not a string"),
    ("list_label.jsonl", jsonl(A, '{"text": "t", "label": [1, [2]]}'), None,
     r"list_label\.jsonl, row 2 \(line 2\): label \(an array\) must be a string or a number"),
    ("bool_label.jsonl", jsonl(A, '{"text": "t", "label": true}'), None,
     r"bool_label\.jsonl, row 2 \(line 2\): label true must be a string or a number"),
    ("nan.jsonl", jsonl(A, '{"text": "t", "label": NaN}'), "regression",
     r"nan\.jsonl, row 2 \(line 2\): NaN is not valid JSON"),
    ("infinity.jsonl", jsonl(A, '{"text": "t", "label": -Infinity}'), None,
     r"infinity\.jsonl, row 2 \(line 2\): -Infinity is not valid JSON"),
    ("overflow.jsonl", jsonl(A, '{"text": "t", "label": 1e999}'), None,
     r"overflow\.jsonl, row 2 \(line 2\): label is a JSON number beyond float range"),
    ("inf.csv", "text,label\na,1\nb,inf\n", "regression",
     r"inf\.csv, row 2 \(line 3\): value 'inf' is not a finite number"),
    ("nan.csv", "text,label\na,1\nb, NaN \n", "regression",
     r"nan\.csv, row 2 \(line 3\): value 'NaN' is not a finite number"),
    ("underscore.csv", "text,label\na,1\nb,1_000\n", "regression",
     r"underscore\.csv, row 2 \(line 3\): value '1_000' is not a finite number"),
    ("arabic_digit.csv", "text,label\na,1\nb,\u0661\n", "regression",
     r"arabic_digit\.csv, row 2 \(line 3\): value '\u0661' is not a finite number"),
    ("float32_overflow.csv", "text,label\na,1\nb,1e39\n", "regression",
     r"float32_overflow\.csv, row 2 \(line 3\): value '1e39' is too large for a float32"),
    ("trailing.jsonl", jsonl(A, B + " junk"), None,
     r"trailing\.jsonl, row 2 \(line 2\): invalid JSON \(column \d+\): Extra data"),
    ("extra_after_array.json", "[" + A + "] []", None,
     r"extra_after_array\.json: invalid JSON \(line 1\): extra data after the array"),
    ("missing_comma.json", "[" + A + "\n" + B + "]", None,
     r"missing_comma\.json, row 1 \(line 1\): invalid JSON \(line 2\): expected ',' or ']'"),
    ("unclosed_array.json", "[" + A + ",\n" + B, None,
     r"unclosed_array\.json: invalid JSON \(line 2\): the array is never closed"),
    ("trailing_comma.json", "[" + A + ",\n]", None,
     r"trailing_comma\.json, row 2 \(line 2\): invalid JSON \(line 2 column 1\)"),
    ("unclosed_quote.csv", 'text,label\na,x\n"b,y\nc,y\n', None,
     r"unclosed_quote\.csv: line \d+: malformed CSV.*never closed"),
]


@pytest.mark.parametrize("name,content,task,message", REFUSED,
                         ids=[case[0] for case in REFUSED])
def test_hostile_file_is_a_data_error_naming_file_and_row(tmp_path, name, content, task,
                                                          message):
    write(tmp_path, name, content)
    with pytest.raises(DataError, match=message) as err:
        load(tmp_path, name, task=task)
    assert str(tmp_path / name) in str(err.value)
    assert "\n" not in str(err.value) and len(str(err.value)) < 400


def test_read_as_written(tmp_path):
    """Line endings, a BOM and line separators inside texts are read, not misread."""
    write(tmp_path, "crlf_bom.csv", "\ufefftext,label\r\nfirst,x\r\n\"two\r\nlines\",y\r\n")
    write(tmp_path, "cr_only.csv", "text,label\rfirst,x\rsecond,y\r")
    # U+2028 (a line separator to str.splitlines) inside a JSON Lines string
    write(tmp_path, "separator.jsonl", jsonl('{"text": "a\u2028b\x85c", "label": "x"}', B))
    assert load(tmp_path, "crlf_bom.csv").train_texts == ["first", "two\r\nlines"]
    assert load(tmp_path, "cr_only.csv").train_texts == ["first", "second"]
    assert load(tmp_path, "separator.jsonl").train_texts == ["a\u2028b\x85c", "bad one"]


def test_integer_labels_of_any_length_are_classes_in_numeric_order(tmp_path):
    """A CSV label is a string: a 5,000-digit integer is a class like any other, sorted
    numerically with the others (no int() of it); non-ASCII digits are not integers."""
    big = "1" + "0" * 4999
    write(tmp_path, "ints.csv", f"text,label\na,{big}\nb,-7\nc,010\nd,+9\ne,0{big}\nf,-0\n")
    ds = load_dataset({"train": "ints.csv", "test": "ints.csv"}, tmp_path, task="multiclass")
    assert ds.class_names == ["-7", "0", "9", "10", big]
    assert ds.train_labels.tolist() == [4, 0, 3, 2, 4, 1]
    write(tmp_path, "digits.csv", "text,label\na,1\nb,\u0661\n")  # ARABIC-INDIC DIGIT ONE
    ds = load_dataset({"train": "digits.csv", "test": "digits.csv"}, tmp_path)
    assert ds.class_names == ["1", "\u0661"]  # two classes, not one


def test_long_or_multiline_label_keeps_the_message_short_and_on_one_line(tmp_path):
    write(tmp_path, "tr.csv", 'text,label\na,x\nb,y\n')
    write(tmp_path, "te.csv", 'text,label\na,"' + "z" * 10_000 + '"\nb,"two\nlines"\n')
    with pytest.raises(DataError, match=r"te\.csv, row 1 \(line 2\): label 'z{60}'\.\.\. "
                                        r"\(10,000 characters\) does not occur") as err:
        load_dataset({"train": "tr.csv", "test": "te.csv"}, tmp_path)
    assert len(str(err.value)) < 300
    write(tmp_path, "te.csv", 'text,label\nb,"two\nlines"\n')
    with pytest.raises(DataError, match=r"label 'two\\nlines' does not occur") as err:
        load_dataset({"train": "tr.csv", "test": "te.csv"}, tmp_path)
    assert "\n" not in str(err.value)


def test_field_and_row_size_limits(tmp_path, monkeypatch):
    monkeypatch.setattr(datafile, "MAX_FIELD_CHARS", 1000)
    write(tmp_path, "field.csv", 'text,label\na,x\n"' + "w" * 1001 + '",y\n')
    with pytest.raises(DataError, match=r"field\.csv: line 3: a field is longer than 1,000 "
                                        r"characters, the limit for one field"):
        load(tmp_path, "field.csv")
    write(tmp_path, "line.jsonl", jsonl(A, '{"text": "' + "w" * 1000 + '", "label": "y"}'))
    with pytest.raises(DataError, match=r"line\.jsonl, row 2 \(line 2\): the line is 1,026 "
                                        r"characters long, over the limit of 1,000"):
        load(tmp_path, "line.jsonl")
    write(tmp_path, "element.json", "[" + A + ', {"text": "' + "w" * 1000 + '"}]')
    with pytest.raises(DataError, match=r"element\.json, row 2 \(line 1\): the element is "
                                        r"1,012 characters long"):
        load(tmp_path, "element.json")
    write(tmp_path, "ok.csv", 'text,label\na,x\n"' + "w" * 1000 + '",y\n')
    assert len(load(tmp_path, "ok.csv").train_texts[1]) == 1000


def test_file_size_limit_from_the_environment(tmp_path, monkeypatch):
    write(tmp_path, "big.csv", "text,label\n" + "a,x\nb,y\n" * 20)  # 171 bytes
    monkeypatch.setenv("SPECC_MAX_DATA_BYTES", "170")
    with pytest.raises(DataError, match=r"big\.csv: the data file is 171 bytes, over the "
                                        r"limit of 170 bytes; set SPECC_MAX_DATA_BYTES"):
        load(tmp_path, "big.csv")
    for folder in ("x", "y"):
        write(tmp_path, f"tree/{folder}/1.txt", "w" * 100)
    with pytest.raises(DataError, match=r"tree: the \.txt files of this folder hold more "
                                        r"than 170 bytes together"):
        load_dataset({"train": "tree", "test": "tree"}, tmp_path)
    monkeypatch.setenv("SPECC_MAX_DATA_BYTES", "171")
    assert len(load(tmp_path, "big.csv").train_texts) == 40
    monkeypatch.setenv("SPECC_MAX_DATA_BYTES", "4G")
    with pytest.raises(DataError, match=r"SPECC_MAX_DATA_BYTES='4G' must be a positive whole"):
        load(tmp_path, "big.csv")
    monkeypatch.delenv("SPECC_MAX_DATA_BYTES")
    assert files.max_data_bytes() == files.MAX_DATA_BYTES == 4 * 2**30


def test_out_of_memory_while_reading_is_a_data_error(tmp_path, monkeypatch):
    """A file too big for the memory left (MemoryError) is a DataError naming it."""
    def exhausted(*_):
        raise MemoryError
    monkeypatch.setattr(files, "_read_delimited", exhausted)
    write(tmp_path, "huge.csv", GOOD)
    with pytest.raises(DataError, match=r"huge\.csv: not enough memory to read the data file"):
        load(tmp_path, "huge.csv")


@posix_only
@pytest.mark.parametrize("kind", ["device link", "fifo", "device", "folder .txt link"])
def test_unbounded_streams_are_refused_before_reading(tmp_path, deadline, kind):
    """/dev/zero (or a link to it) and a named pipe would never end: refused unread."""
    if kind == "device link":
        os.symlink("/dev/zero", tmp_path / "zero.csv")
        train, data, message = "zero.csv", {}, r"zero\.csv: the data file is a character device"
    elif kind == "fifo":
        os.mkfifo(tmp_path / "pipe.jsonl")
        train, data, message = "pipe.jsonl", {}, r"pipe\.jsonl: the data file is a named pipe"
    elif kind == "device":
        train, data, message = "/dev/zero", {"format": "csv"}, r"/dev/zero: the data file is a"
    else:
        write(tmp_path, "tree/pos/1.txt", "good")
        (tmp_path / "tree/neg").mkdir()
        os.symlink("/dev/zero", tmp_path / "tree/neg/2.txt")
        train, data, message = "tree", {}, r"tree/neg/2\.txt: the data file is a character"
    with pytest.raises(DataError, match=message):
        load(tmp_path, train, **data)


@posix_only
def test_a_link_to_a_regular_file_is_read(tmp_path):
    write(tmp_path, "real.csv", GOOD)
    os.symlink(tmp_path / "real.csv", tmp_path / "link.csv")
    assert load(tmp_path, "link.csv").class_names == ["x", "y"]


@posix_only
def test_series_file_and_checksum_refuse_a_pipe(tmp_path, deadline):
    os.mkfifo(tmp_path / "pipe.csv")
    with pytest.raises(DataError, match=r"pipe\.csv: the series file is a named pipe"):
        load_dataset({"series": {"file": "pipe.csv", "column": "v"}}, tmp_path)
    with pytest.raises(DataError, match=r"pipe\.csv: the dataset file is a named pipe"):
        checksums.sha256_file(tmp_path / "pipe.csv")


@pytest.mark.parametrize("path,message", [
    ("loop.csv", r"cannot read .*loop\.csv: Too many levels of symbolic links"),
    ("~no-such-user-specc/x.csv", r"data path '~no-such-user-specc/x\.csv': cannot expand '~'"),
    ("a\0b.csv", r"cannot read .*a\\x00b\.csv: embedded null byte"),
    ("n" * 300 + ".csv", r"cannot read .*nnn\.csv: File name too long"),
    ("dangling.csv", r"data file not found: .*dangling\.csv"),
])
@posix_only
def test_unreadable_paths(tmp_path, path, message):
    os.symlink("loop.csv", tmp_path / "loop.csv")
    os.symlink(tmp_path / "nowhere.csv", tmp_path / "dangling.csv")
    with pytest.raises(DataError, match=message) as err:
        load(tmp_path, path)
    assert "\n" not in str(err.value) and "\0" not in str(err.value)


def test_prediction_input_reads_the_same_way(tmp_path):
    """``specc predict``'s input file goes through the same reader (blank texts kept)."""
    from specc.data.files import read_text_column
    write(tmp_path, "in.jsonl", jsonl('{"text": "a"}', '{"text": ""}'))
    assert read_text_column(tmp_path / "in.jsonl", what="input file") == ["a", ""]
    write(tmp_path, "bad.jsonl", jsonl('{"text": "a"}', '{"text": "\\ud800"}'))
    with pytest.raises(DataError, match=r"bad\.jsonl, row 2 \(line 2\): the value of 'text'"):
        read_text_column(tmp_path / "bad.jsonl", what="input file")
    with pytest.raises(DataError, match=r"input file not found: .*none\.jsonl"):
        read_text_column(tmp_path / "none.jsonl", what="input file")


def test_character_vocabulary_with_line_breaks_survives_save_and_load(tmp_path):
    """``split: character`` makes "\\n" and "\\r" tokens of multi-line texts; vocab.txt is
    one token per line, so they are kept in tokenizer.json and every id comes back."""
    from specc.preprocessing.text import TextEncoder
    texts = ["ab\r\ncd\ref\ngh", "a\u2028b\x85c"]
    encoder = TextEncoder(50, "<OOV>", None, 12, split="character").fit(texts)
    assert {"\r", "\n"} <= set(encoder.vocabulary)
    encoder.save(tmp_path)
    loaded = TextEncoder.load(tmp_path)
    assert loaded.vocabulary == encoder.vocabulary
    np.testing.assert_array_equal(loaded.encode(texts), encoder.encode(texts))
    lines = (tmp_path / "vocab.txt").read_bytes().decode().split("\n")
    assert len(lines) == len(encoder.vocabulary) + 1
    assert set(json.loads((tmp_path / "tokenizer.json").read_text())["line_break_tokens"]
               .values()) == {"\r", "\n"}


# --- through the CLI: exit status 1, one line on stderr, no run folder ----------------

SPEC = """\
name: hostile
task: binary
data: {train: %s, test: test.csv, validation_split: 0.25}
preprocessing:
  tokenizer: {num_words: 50}
  sequence: {max_len: 8, padding: post}
model:
  layers:
    - Embedding: {output_dim: 4}
    - GlobalAveragePooling1D
train: {optimizer: {name: adam, learning_rate: 0.05}, batch_size: 16, epochs: 1, seed: 3}
"""


def _rows(n: int = 20) -> list[str]:
    return [json.dumps({"text": f"{'ab'[i % 2] * 3} w{i}", "label": "ab"[i % 2]})
            for i in range(n)]


@pytest.mark.parametrize("train,content,message", [
    ("train.jsonl", jsonl(*_rows()[:7], '{"text": "bad \\ud800", "label": "a"}', *_rows()[7:]),
     r"train\.jsonl, row 8 \(line 8\): the value of 'text' holds a lone UTF-16 surrogate"),
    ("train.jsonl", jsonl(*_rows()[:3], '{"text": "x", "label": ' + DEEP + "}"),
     r"train\.jsonl, row 4 \(line 4\): JSON nested too deeply"),
    ("train.csv", "text,label,label\n" + "".join(f"t{i},a,b\n" for i in range(20)),
     r"train\.csv: line 1: the header names column 'label' twice"),
    ("zero.csv", None, r"zero\.csv: the data file is a character device"),
])
def test_specc_train_on_hostile_data_is_one_line(tmp_path, capsys, deadline, train, content,
                                                 message):
    from specc.cli import main
    if content is None:
        if sys.platform == "win32":
            pytest.skip("needs /dev/zero")
        os.symlink("/dev/zero", tmp_path / train)
    else:
        write(tmp_path, train, content)
    write(tmp_path, "test.csv", "text,label\naaa w1,a\nbbb w2,b\n")
    write(tmp_path, "spec.yaml", SPEC % train)
    assert main(["train", str(tmp_path / "spec.yaml"), "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("error: ") and re.search(message, lines[0])
    assert not (tmp_path / "run").exists()
