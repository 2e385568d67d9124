"""User data files: CSV / TSV / JSONL / folder-per-class, labels and every error case."""

from __future__ import annotations

import json

import numpy as np
import pytest

from specc.data import load_dataset
from specc.data.files import read_records
from specc.errors import DataError


def load(tmp_path, task=None, **data):
    return load_dataset(data, tmp_path, task=task)


def test_csv_with_quotes_and_newlines(write, tmp_path):
    write("train.csv", 'text,label\n"hello, world",pos\n"two\nlines",neg\nplain,pos\n')
    write("test.csv", "text,label\nx,neg\n")
    ds = load(tmp_path, train="train.csv", test="test.csv")
    assert ds.train_texts == ["hello, world", "two\nlines", "plain"]
    assert ds.class_names == ["neg", "pos"]
    assert ds.train_labels.tolist() == [1, 0, 1]
    assert ds.train_labels.dtype == np.int64
    assert ds.test_labels.tolist() == [0]
    assert ds.dev_texts is None


def test_tsv_quote_inside_a_field_is_literal_and_custom_columns(write, tmp_path):
    write("tr.tsv", 'sentence\ty\na 5" "screen"\t1\nplain\t0\n')
    write("te.tsv", "sentence\ty\nz\t1\n")
    ds = load(tmp_path, train="tr.tsv", test="te.tsv", text_column="sentence", label_column="y")
    assert ds.train_texts == ['a 5" "screen"', "plain"]
    assert ds.class_names == ["0", "1"]


def test_quoted_tsv_as_pandas_writes_it(tmp_path):
    """csv.writer(delimiter="\\t") quotes exactly as pandas.DataFrame.to_csv(sep="\\t"):
    fields holding a tab, a quote or a newline are quoted, quotes doubled."""
    import csv
    texts = ["tab\tinside", 'say "hi"', "two\nlines", '"quoted" start', "plain"]
    for split in ("tr", "te"):
        with open(tmp_path / f"{split}.tsv", "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, delimiter="\t")
            writer.writerow(["text", "label"])
            writer.writerows([t, i % 2] for i, t in enumerate(texts))
    ds = load(tmp_path, train="tr.tsv", test="te.tsv")
    assert ds.train_texts == texts and ds.train_labels.tolist() == [0, 1, 0, 1, 0]


@pytest.mark.parametrize("row,hint", [
    ("a\tb\tpos", "a field holds a tab: put that field in double quotes"),
    ("no tab here", "a tab is missing"),
])
def test_tsv_row_hint_names_the_cause(write, tmp_path, row, hint):
    write("tr.tsv", f"text\tlabel\nok\tpos\n{row}\n")
    with pytest.raises(DataError, match=hint):
        load(tmp_path, train="tr.tsv", test="tr.tsv")


def test_unclosed_quote_in_tsv_is_named(write, tmp_path):
    write("tr.tsv", 'text\tlabel\nok\tpos\n"never closed\tneg\nmore\tpos\n')
    with pytest.raises(DataError, match="never closed"):
        load(tmp_path, train="tr.tsv", test="tr.tsv")


def test_jsonl_and_json_array(write, tmp_path):
    write("tr.jsonl", '{"text": "a", "label": 2}\n\n{"text": "b", "label": 10}\n'
                      '{"text": "c", "label": 2}\n')
    write("te.json", json.dumps([{"text": "d", "label": 10}]))
    ds = load(tmp_path, train="tr.jsonl", test="te.json")
    assert ds.class_names == ["2", "10"]  # integer labels sort numerically
    assert ds.train_labels.tolist() == [0, 1, 0]
    assert ds.test_labels.tolist() == [1]


def test_folder_per_class(write, tmp_path):
    for split in ("train", "test"):
        write(f"{split}/pos/1.txt", "good")
        write(f"{split}/neg/a/2.txt", "bad")
        write(f"{split}/neg/3.txt", "awful")
        write(f"{split}/neg/notes.md", "ignored")
    write("train/readme.txt", "outside class folders: ignored")
    ds = load(tmp_path, train="train", test="test", task="binary")
    assert ds.class_names == ["neg", "pos"]
    assert ds.train_texts == ["awful", "bad", "good"]
    assert ds.train_labels.tolist() == [0, 0, 1]


def test_regression_labels_are_floats(write, tmp_path):
    write("tr.csv", "text,label\na,1.5\nb,-2\n")
    write("te.csv", "text,label\nc,3e1\n")
    ds = load(tmp_path, task="regression", train="tr.csv", test="te.csv")
    assert ds.class_names is None
    assert ds.train_labels.dtype == np.float32
    assert ds.train_labels.tolist() == [1.5, -2.0] and ds.test_labels.tolist() == [30.0]


def test_regression_bad_value_names_row(write, tmp_path):
    write("tr.csv", "text,label\na,1\nb,high\n")
    write("te.csv", "text,label\nc,3\n")
    with pytest.raises(DataError, match=r"tr\.csv, row 2 \(line 3\): value 'high'"):
        load(tmp_path, task="regression", train="tr.csv", test="te.csv")


def test_dev_split(write, tmp_path):
    write("tr.csv", "text,label\na,x\nb,y\n")
    write("dev.csv", "text,label\nc,y\n")
    write("te.csv", "text,label\nd,x\n")
    ds = load(tmp_path, train="tr.csv", dev="dev.csv", test="te.csv")
    assert ds.dev_texts == ["c"] and ds.dev_labels.tolist() == [1]


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"data file not found: .*nope\.csv"):
        load(tmp_path, train="nope.csv", test="nope.csv")


def test_missing_column_lists_columns_found(write, tmp_path):
    write("tr.csv", "review,sentiment\na,pos\n")
    with pytest.raises(DataError) as err:
        load(tmp_path, train="tr.csv", test="tr.csv")
    msg = str(err.value)
    assert "tr.csv" in msg and "'text'" in msg and "'review', 'sentiment'" in msg


def test_missing_key_in_jsonl_row(write, tmp_path):
    write("tr.jsonl", '{"text": "a", "label": 1}\n{"txt": "b", "label": 0}\n')
    with pytest.raises(DataError, match=r"tr\.jsonl, row 2 \(line 2\): no key 'text'"):
        load(tmp_path, train="tr.jsonl", test="tr.jsonl")


def test_malformed_row_wrong_field_count(write, tmp_path):
    write("tr.csv", "text,label\na,pos\nb,neg,extra\n")
    with pytest.raises(DataError, match=r"tr\.csv, row 2 \(line 3\): 3 fields, expected 2"):
        load(tmp_path, train="tr.csv", test="tr.csv")


def test_malformed_tsv_row(write, tmp_path):
    write("tr.tsv", "text\tlabel\na\tpos\nno tab here\n")
    with pytest.raises(DataError, match=r"row 2 \(line 3\): 1 fields, expected 2"):
        load(tmp_path, train="tr.tsv", test="tr.tsv")


def test_invalid_jsonl_line(write, tmp_path):
    write("tr.jsonl", '{"text": "a", "label": 1}\n{"text": "b", \n')
    with pytest.raises(DataError, match=r"tr\.jsonl, row 2 \(line 2\): invalid JSON"):
        load(tmp_path, train="tr.jsonl", test="tr.jsonl")


def test_non_utf8_names_line_and_offset(write, tmp_path):
    write("tr.csv", b"text,label\na,pos\ncaf\xe9,neg\n")
    with pytest.raises(DataError, match=r"tr\.csv: line 3 \(byte offset 20\): byte 0xe9"):
        load(tmp_path, train="tr.csv", test="tr.csv")


def test_non_utf8_in_folder_names_file(write, tmp_path):
    write("train/pos/1.txt", "fine")
    write("train/neg/2.txt", b"\xff\xfe")
    with pytest.raises(DataError, match=r"2\.txt: line 1 \(byte offset 0\)"):
        load(tmp_path, train="train", test="train")


def test_utf8_bom_is_accepted(write, tmp_path):
    write("tr.csv", "\ufefftext,label\na,x\nb,y\n".encode("utf-8"))
    ds = load(tmp_path, train="tr.csv", test="tr.csv")
    assert ds.train_texts == ["a", "b"]


@pytest.mark.parametrize("content", ["", "  \n\n"])
def test_empty_file(write, tmp_path, content):
    write("tr.csv", content)
    with pytest.raises(DataError, match=r"tr\.csv: the file is empty"):
        load(tmp_path, train="tr.csv", test="tr.csv")


def test_header_only(write, tmp_path):
    write("tr.csv", "text,label\n")
    with pytest.raises(DataError, match="no data rows"):
        load(tmp_path, train="tr.csv", test="tr.csv")


def test_unseen_test_label_names_label_and_row(write, tmp_path):
    write("tr.csv", "text,label\na,pos\nb,neg\n")
    write("te.csv", "text,label\nc,pos\nd,neutral\n")
    with pytest.raises(DataError, match=r"te\.csv, row 2 \(line 3\): label 'neutral' does "
                                        r"not occur in the train split"):
        load(tmp_path, train="tr.csv", test="te.csv")


def test_empty_text_names_file_and_row(write, tmp_path):
    write("tr.csv", "text,label\na,pos\n  ,neg\n")
    with pytest.raises(DataError, match=r"tr\.csv, row 2 \(line 3\): the text is empty"):
        load(tmp_path, train="tr.csv", test="tr.csv")


def test_single_class_in_train(write, tmp_path):
    write("tr.csv", "text,label\na,pos\nb,pos\n")
    with pytest.raises(DataError, match=r"single class \('pos'\)"):
        load(tmp_path, train="tr.csv", test="tr.csv")


def test_binary_needs_two_classes(write, tmp_path):
    write("tr.csv", "text,label\na,x\nb,y\nc,z\n")
    with pytest.raises(DataError, match="exactly 2 classes, but the train split has 3"):
        load(tmp_path, task="binary", train="tr.csv", test="tr.csv")
    assert len(load(tmp_path, task="multiclass", train="tr.csv", test="tr.csv").class_names) == 3


def test_unknown_extension_and_format(write, tmp_path):
    write("tr.txt", "text,label\na,x\n")
    with pytest.raises(DataError, match="cannot tell the format"):
        load(tmp_path, train="tr.txt", test="tr.txt")
    write("tr2.txt", "text,label\na,x\nb,y\n")
    assert load(tmp_path, format="csv", train="tr2.txt", test="tr2.txt").class_names == ["x", "y"]


def test_long_csv_field(write, tmp_path):
    big = "w" * 300_000  # over csv's default 131,072-character field limit
    write("tr.csv", f"text,label\n{big},x\nb,y\n")
    assert len(load(tmp_path, train="tr.csv", test="tr.csv").train_texts[0]) == 300_000


def test_read_records_without_header(write):
    path = write("x.tsv", "a\t0\nb\t1\n")
    records = read_records(path, columns=["sentence", "label"])
    assert records.column("label") == ["0", "1"]
    assert records.origins[1] == (str(path), 2, 2)


def test_series_from_csv_column(write, tmp_path):
    write("s.csv", "t,value\n" + "".join(f"{i},{i * 2}\n" for i in range(20)))
    ds = load(tmp_path, series={"file": "s.csv", "column": "value"}, window=3, test_split=0.25)
    assert ds.kind == "series"
    # 17 windows; ceil(17 * 0.25) = 5 of them are test
    assert ds.train_x.shape == (12, 3, 1) and ds.test_x.shape == (5, 3, 1)
    assert ds.test_x[0, :, 0].tolist() == [24.0, 26.0, 28.0] and ds.test_y[0] == 30.0
    assert ds.test_start == 15 and ds.series[ds.test_start] == ds.test_y[0]


def test_series_bad_value_and_wrong_task(write, tmp_path):
    write("s.csv", "value\n1\n2\nx\n")
    with pytest.raises(DataError, match=r"s\.csv, row 3 \(line 4\): value 'x'"):
        load(tmp_path, series={"file": "s.csv", "column": "value"})
    with pytest.raises(DataError, match="series data supports task regression, not 'binary'"):
        load(tmp_path, task="binary", series={"file": "s.csv", "column": "value"})


def test_unclosed_quote_is_malformed_csv(write, tmp_path):
    write("tr.csv", 'text,label\na,x\n"never closed,y\n')
    with pytest.raises(DataError, match=r"tr\.csv: line \d+: malformed CSV"):
        load(tmp_path, train="tr.csv", test="tr.csv")


def test_folder_unseen_test_class_is_named(write, tmp_path):
    write("train/pos/1.txt", "good")
    write("train/neg/2.txt", "bad")
    write("test/meh/3.txt", "so-so")
    with pytest.raises(DataError, match=r"test/meh/: label 'meh' does not occur in the train"):
        load(tmp_path, train="train", test="test")


def test_folder_without_class_subfolders(write, tmp_path):
    write("flat/1.txt", "x")
    with pytest.raises(DataError, match="one subfolder per class"):
        load(tmp_path, train="flat", test="flat")
