"""Named-dataset registry: lookup, describe, checksums, missing files, loaders on tiny archives."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from specc.data import checksums, describe, load_dataset, registry
from specc.data.datasets import imdb, reuters
from specc.errors import DataError


def make_tar(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_names_and_unknown_name_suggests():
    assert registry.names() == ["imdb", "nsmc", "nsmc_unlabelled", "reuters46", "sine", "sst2"]
    with pytest.raises(DataError, match=r"unknown dataset 'imbd' \(did you mean 'imdb'\?\)"):
        registry.get("imbd")
    with pytest.raises(DataError, match="known datasets: imdb, nsmc, nsmc_unlabelled, "
                                        "reuters46, sine, sst2"):
        load_dataset({"dataset": "mnist"}, Path("."))


def test_data_dir_env(monkeypatch, tmp_path):
    monkeypatch.setenv("SPECC_DATA_DIR", str(tmp_path))
    assert registry.data_dir() == tmp_path
    monkeypatch.delenv("SPECC_DATA_DIR")
    assert registry.data_dir() == Path.home() / ".cache/specc/datasets"


def test_describe_is_static():
    assert describe({"dataset": "imdb"}) == {
        "kind": "text", "tasks": ("binary", "masked_lm"), "n_classes": 2,
        "class_names": ["neg", "pos"], "has_dev": False}
    corpus = describe({"dataset": "nsmc_unlabelled"})
    assert (corpus["kind"], corpus["tasks"]) == ("corpus", ("masked_lm",))
    sst = describe({"dataset": "sst2", "options": {"train": "glue"}})
    assert sst["has_dev"] and sst["class_names"] == ["negative", "positive"]
    r46 = describe({"dataset": "reuters46"})
    assert r46["n_classes"] == 46 and r46["class_names"][:2] == ["earn", "acq"]
    assert describe({"dataset": "sine"})["kind"] == "series"
    assert describe({"train": "a.csv", "test": "b.csv"})["n_classes"] is None
    assert describe({"series": {"file": "s.csv", "column": "v"}})["tasks"] == ("regression",)
    with pytest.raises(DataError, match="option train must be one of sentence_level, glue"):
        registry.resolve_options(registry.get("sst2"), {"train": "phrases"})
    with pytest.raises(DataError, match="did you mean 'sst2'"):
        describe({"dataset": "sst-2"})


def test_task_must_suit_dataset(tmp_path):
    with pytest.raises(DataError,
                       match="dataset 'imdb' supports task binary / masked_lm, not 'regression'"):
        load_dataset({"dataset": "imdb"}, tmp_path, task="regression")
    with pytest.raises(DataError, match="unknown task 'classify'"):
        load_dataset({"dataset": "imdb"}, tmp_path, task="classify")


def test_missing_files_message(monkeypatch, tmp_path):
    monkeypatch.setenv("SPECC_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DataError) as err:
        load_dataset({"dataset": "imdb"}, tmp_path)
    msg = str(err.value)
    assert str(tmp_path / "nowhere") in msg and "does not exist" in msg
    assert "imdb/aclImdb_v1_labelled.tar.gz" in msg
    assert "SPECC_DATA_DIR" in msg and "../shared/data" in msg


def test_sst2_needs_only_the_files_it_reads(monkeypatch, tmp_path):
    monkeypatch.setenv("SPECC_DATA_DIR", str(tmp_path))
    with pytest.raises(DataError, match="Expected files: sst2/sentence_level/train.tsv") as err:
        load_dataset({"dataset": "sst2"}, tmp_path)
    assert "glue" not in str(err.value)


def test_checksum_mismatch_names_file_and_digests(monkeypatch, tmp_path):
    fake = tmp_path / imdb.FILE
    fake.parent.mkdir(parents=True)
    fake.write_bytes(b"not the real tarball")
    actual = hashlib.sha256(b"not the real tarball").hexdigest()
    monkeypatch.setenv("SPECC_DATA_DIR", str(tmp_path))
    with pytest.raises(DataError) as err:
        load_dataset({"dataset": "imdb"}, tmp_path)
    msg = str(err.value)
    assert "checksum mismatch" in msg and str(fake) in msg
    assert imdb.SHA256 in msg and actual in msg


def test_checksum_cache_per_size_and_mtime(monkeypatch, tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")
    digest = hashlib.sha256(b"abc").hexdigest()
    calls = []
    real = checksums.sha256_file
    monkeypatch.setattr(checksums, "sha256_file", lambda p: calls.append(p) or real(p))
    checksums.verify_file(path, digest)
    checksums.verify_file(path, digest.upper())
    assert len(calls) == 1
    path.write_bytes(b"abcd")  # new size: hashed again, and now wrong
    with pytest.raises(DataError, match="checksum mismatch"):
        checksums.verify_file(path, digest)
    assert len(calls) == 2


def test_imdb_loader_on_a_tiny_tarball(tmp_path):
    make_tar(tmp_path / imdb.FILE, {
        "aclImdb/README": b"readme",
        "aclImdb/train/urls_pos.txt": b"http://x",
        "aclImdb/train/pos/10_9.txt": b"great<br /><br />fun",
        "aclImdb/train/pos/2_8.txt": b"nice",
        "aclImdb/train/neg/5_1.txt": "caf\u00e9 bad<br>".encode(),
        "aclImdb/test/neg/1_2.txt": b"meh",
        "aclImdb/test/pos/3_7.txt": b"ok",
    })
    ds = imdb.load(tmp_path, {})
    assert ds.train_texts == ["caf\u00e9 bad ", "nice", "great  fun"]  # by label, then id
    assert ds.train_labels.tolist() == [0, 1, 1]
    assert ds.test_texts == ["meh", "ok"] and ds.class_names == ["neg", "pos"]
    assert ds.notes["br_tags_replaced"] == 3
    assert ds.notes["counts"]["train"] == {"neg": 1, "pos": 2}


def _doc(attrs: str, topics: list[str], title: str = "", body: str = "") -> str:
    d = "".join(f"<D>{t}</D>" for t in topics)
    text = (f"<TITLE>{title}</TITLE>" if title else "") + (f"<BODY>{body}</BODY>" if body else "")
    return f"<REUTERS {attrs}>\n<TOPICS>{d}</TOPICS>\n<TEXT>&#2;\n{text}</TEXT>\n</REUTERS>\n"


def test_reuters_loader_on_a_tiny_tarball(tmp_path):
    train = 'TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="1" NEWID="1"'
    test = 'LEWISSPLIT="TEST" CSECS="0" TOPICS="YES" NEWID="9"'  # other order, CSECS
    sgml = "".join([
        _doc(train, ["earn"], "A &lt;B&gt; CO", "profit up &amp; more\n Reuter\n&#3;"),
        _doc(train, ["acq"], "Bid"),
        _doc(train, ["earn"], body="body only"),
        _doc(train, ["grain", "wheat"], "two topics", "x"),
        _doc(train, [], "no topic", "x"),
        _doc(train, ["acq"]),  # empty text: dropped
        _doc('TOPICS="NO" LEWISSPLIT="TRAIN"', ["earn"], "not modapte", "x"),
        _doc('TOPICS="YES" LEWISSPLIT="NOT-USED"', ["earn"], "not used", "x"),
        _doc(test, ["acq"], "caf\xe9", "y"),
        _doc(test, ["zinc"], "z", "z"),
    ])
    make_tar(tmp_path / reuters.FILE,
             {"reuters21578/reut2-000.sgm": sgml.encode("latin-1"),
              "reuters21578/README.txt": b"x"})
    ds = reuters.load(tmp_path, {})
    # counts: earn 2, acq 2, zinc 1 -> ranked by count, ties alphabetical
    assert ds.class_names == ["acq", "earn", "zinc"]
    assert ds.train_texts == ["A <B> CO\nprofit up & more\n Reuter", "Bid\n", "\nbody only"]
    assert ds.train_labels.tolist() == [1, 0, 1]
    assert ds.test_texts == ["caf\xe9\ny", "z\nz"] and ds.test_labels.tolist() == [0, 2]
    assert ds.notes["dropped"] == {"multi_topic": 1, "no_topic": 1, "empty_text": 1,
                                   "rare_topic": 0}
