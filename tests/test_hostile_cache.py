"""Caches are disposable: a damaged entry (truncated, empty, bit-flipped, a link, a folder,
wrong shapes, ids out of range) costs one warning line naming it, is deleted and
recomputed, and the run's result is the same; an unwritable cache costs a warning, never
the run, and leaves no temp file. A damaged *named* vocabulary is the user's data: a
one-line DataError naming the file."""

from __future__ import annotations

import errno
import json
import os
import zipfile

import numpy as np
import pytest

import specc
from specc.compiler.features import vectors_check
from specc.core import cache
from specc.data import load_dataset
from specc.errors import DataError
from specc.loader.validate import load_spec
from specc.preprocessing.vocabulary import RESERVED, LearnedWordPieceEncoder, load_named
from specc.runtime.prepare import prepare
from tests.test_train_e2e import CSV_SPEC, make_csv

ARRAYS = {"ids": np.arange(24, dtype=np.int32).reshape(4, 6),
          "state.vocabulary": np.asarray(["", "[UNK]", "goal", "bread"])}


@pytest.fixture
def cache_root(tmp_path, monkeypatch):
    """An empty cache folder as ``$SPECC_CACHE_DIR``."""
    monkeypatch.setenv("SPECC_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def cache_warnings(caplog) -> list[str]:
    """The warning lines logged by the cache since the last ``caplog.clear()``."""
    return [r.getMessage() for r in caplog.records if r.name == "specc.cache"]


def lookup(key="k", validate=None):
    """``(arrays, hit, computed)`` of :func:`cache.cached_arrays` for the test arrays."""
    calls = []

    def compute():
        calls.append(1)
        return dict(ARRAYS)
    arrays, hit = cache.cached_arrays("test", key, compute, validate)
    return arrays, hit, bool(calls)


def assert_same(arrays):
    assert set(arrays) == set(ARRAYS)
    for name, a in ARRAYS.items():
        assert arrays[name].dtype == a.dtype
        np.testing.assert_array_equal(arrays[name], a)


def assert_recovered(entry, caplog, reason: str, validate=None):
    """One warning naming ``entry`` and ``reason``; recomputed; a good entry in its place
    (read back without a warning); no temp file left."""
    caplog.clear()
    arrays, hit, computed = lookup(validate=validate)
    assert not hit and computed
    assert_same(arrays)
    lines = cache_warnings(caplog)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{entry}: warning: damaged cache entry (") and reason in lines[0]
    assert lines[0].endswith("deleted and recomputed") and "\n" not in lines[0]
    assert entry.is_file() and not entry.is_symlink()
    caplog.clear()
    arrays, hit, computed = lookup(validate=validate)
    assert hit and not computed and not cache_warnings(caplog)
    assert_same(arrays)
    assert os.listdir(entry.parent) == [entry.name]


def flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


def truncate(entry):
    entry.write_bytes(entry.read_bytes()[:entry.stat().st_size // 2])


def empty(entry):
    entry.write_bytes(b"")


def flip_middle(entry):
    data = entry.read_bytes()
    entry.write_bytes(flip(data, len(data) // 2))


def link_to_dev_zero(entry):
    entry.unlink()
    entry.symlink_to("/dev/zero")


def folder(entry):
    entry.unlink()
    (entry / "inner").mkdir(parents=True)
    (entry / "inner" / "file").write_text("x")


def fifo(entry):
    entry.unlink()
    os.mkfifo(entry)


def no_checksum(entry):
    """What an older specc wrote: numpy's own ``.npz`` (no checksum)."""
    np.savez(entry, **ARRAYS)


def compressed(entry):
    """Deflated members (a zip bomb's way in), whatever the comment says."""
    np.savez_compressed(entry, **ARRAYS)
    with zipfile.ZipFile(entry, "a") as zf:
        zf.comment = b"0" * 64


def wrong_checksum(entry):
    """A sound zip whose checksum (the zip comment, last) is not its members'."""
    entry.write_bytes(entry.read_bytes()[:-64] + b"0" * 64)


@pytest.mark.parametrize("damage, reason", [
    (truncate, "unreadable: BadZipFile"), (empty, "unreadable: BadZipFile"),
    (flip_middle, "unreadable: BadZipFile: Bad CRC-32"),
    (link_to_dev_zero, "a symbolic link"), (folder, "not a regular file"),
    (fifo, "not a regular file"), (no_checksum, "no checksum: written by an older specc?"),
    (compressed, "compressed member"), (wrong_checksum, "checksum mismatch")])
def test_damaged_entry_is_one_warning_deleted_and_recomputed(cache_root, caplog, damage,
                                                             reason):
    lookup()
    entry = cache_root / "test" / "k.npz"
    damage(entry)
    assert_recovered(entry, caplog, reason)
    assert os.path.exists("/dev/zero")  # a link is removed, never what it points to


def test_every_single_byte_flip_is_caught_or_harmless(cache_root, caplog):
    """Whichever byte of an entry flips, the arrays returned are the computed ones: a
    flip in a field nobody reads is a hit, any other is one warning and a recomputation."""
    lookup()
    entry = cache_root / "test" / "k.npz"
    good = entry.read_bytes()
    caught = 0
    for at in range(len(good)):
        entry.write_bytes(flip(good, at))
        caplog.clear()
        arrays, hit, computed = lookup()
        assert_same(arrays)
        assert hit != computed and len(cache_warnings(caplog)) == (0 if hit else 1), at
        caught += computed
    assert caught > len(good) // 2  # the payload and the checksum are covered


def test_oversized_entry_is_never_read(cache_root, caplog, monkeypatch):
    lookup()
    entry = cache_root / "test" / "k.npz"
    monkeypatch.setattr(cache, "MAX_ENTRY_BYTES", entry.stat().st_size - 1)
    monkeypatch.setattr(cache, "_read", lambda path: pytest.fail("an oversized entry was read"))
    caplog.clear()
    arrays, hit, computed = lookup()
    assert computed and not hit
    assert_same(arrays)
    assert len(cache_warnings(caplog)) == 1 and "-byte limit" in cache_warnings(caplog)[0]


def test_caller_validation_makes_a_sound_entry_damaged(cache_root, caplog):
    lookup()
    entry = cache_root / "test" / "k.npz"
    with open(entry, "wb") as f:  # a checksummed entry of the wrong shape
        cache._write(f, {**ARRAYS, "ids": ARRAYS["ids"].reshape(6, 4)})

    def validate(arrays):
        return None if arrays["ids"].shape == (4, 6) else f"ids {arrays['ids'].shape}"
    assert_recovered(entry, caplog, "ids (6, 4)", validate)


@pytest.mark.parametrize("vectors, problem", [
    (np.zeros((3, 8), np.float32), None),
    (np.zeros((3, 7), np.float32), "expected float32 (3, 8)"),
    (np.zeros((2, 8), np.float32), "expected float32 (3, 8)"),
    (np.zeros((3, 8), np.float64), "expected float32 (3, 8)"),
    (np.full((3, 8), np.nan, np.float32), "not finite")])
def test_feature_cache_validation(vectors, problem):
    found = vectors_check(3, 8)(vectors)
    assert found == problem if problem is None else problem in found


def test_unwritable_cache_is_a_warning_and_leaves_no_temp_file(cache_root, caplog,
                                                                monkeypatch):
    # a full disk: the write fails half way
    def full_disk(f, arrays):
        f.write(b"PK\x03\x04 half an entry")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(cache, "_write", full_disk)
    arrays, hit, computed = lookup()
    assert computed and not hit
    assert_same(arrays)
    lines = cache_warnings(caplog)
    assert len(lines) == 1 and "No space left on device" in lines[0]
    assert lines[0].startswith(f"{cache_root / 'test' / 'k.npz'}: warning: cannot store")
    assert os.listdir(cache_root / "test") == []
    # a cache folder that cannot be made (its parent is a file)
    blocker = cache_root.parent / "blocker"
    blocker.write_text("")
    monkeypatch.setenv("SPECC_CACHE_DIR", str(blocker / "cache"))
    caplog.clear()
    assert_same(lookup()[0])
    assert len(cache_warnings(caplog)) == 1


# --- the preprocessing cache: entries checked against the texts and the vocabulary ---

def prepared(path):
    spec = load_spec(path)
    data = load_dataset(spec.resolved["data"], spec.base_dir, task=spec.task)
    return prepare(spec.resolved, data, spec.base_dir)


def rewrite(entry, change):
    """Replace the entry by ``change(arrays)``, checksummed as specc writes it."""
    arrays = cache._read(entry)
    with open(entry, "wb") as f:
        cache._write(f, change(arrays))


@pytest.mark.parametrize("change, reason", [
    (lambda a: {**a, "train": a["train"][:-1]}, "train is int32"),
    (lambda a: {**a, "test": a["test"][:, :5]}, "test is int32"),
    (lambda a: {**a, "validation": a["validation"].astype(np.int64)}, "validation is int64"),
    (lambda a: {**a, "train": a["train"] + 1000}, "train holds ids in"),
    (lambda a: {**a, "test": a["test"] - 1}, "outside [0,"),
    (lambda a: {k: v for k, v in a.items() if k != "state.vocabulary"}, "expected"),
    (lambda a: {**a, "state.vocabulary": a["state.vocabulary"][[0, 1, 1]]}, "repeated"),
])
def test_prepared_entry_with_wrong_shapes_or_ids_is_recomputed(tmp_path, write_spec,
                                                               cache_root, caplog, change,
                                                               reason):
    make_csv(tmp_path)
    spec = write_spec(CSV_SPEC)
    first = prepared(spec)
    entry, = (cache_root / "prepared").glob("*.npz")
    rewrite(entry, change)
    caplog.clear()
    again = prepared(spec)
    lines = cache_warnings(caplog)
    assert len(lines) == 1 and lines[0].startswith(f"{entry}: warning: damaged") \
        and reason in lines[0], lines
    assert again.cache_hit is False
    for name in ("x_train", "x_val", "x_test"):
        np.testing.assert_array_equal(getattr(again, name), getattr(first, name))
    assert prepared(spec).cache_hit is True


FAST_SPEC = CSV_SPEC.replace("epochs: 15", "epochs: 3")


def test_training_on_a_damaged_cache_gives_the_same_run(tmp_path, write_spec, cache_root,
                                                        caplog):
    """The GatherV2 case of the issue: checksummed ids out of the vocabulary; then a
    truncated entry. Each run finishes with the undisturbed run's test metrics."""
    make_csv(tmp_path)
    spec = write_spec(FAST_SPEC)
    metrics = specc.train(spec, out=tmp_path / "run0").metrics
    entry, = (cache_root / "prepared").glob("*.npz")
    for n, damage in enumerate([lambda: rewrite(entry, lambda a: {**a, "train": a["train"] * 99}),
                                lambda: truncate(entry)], 1):
        damage()
        caplog.clear()
        run = specc.train(spec, out=tmp_path / f"run{n}")
        lines = cache_warnings(caplog)
        assert len(lines) == 1 and lines[0].startswith(f"{entry}: warning: damaged"), lines
        assert run.metrics["preprocessing_cache_hit"] is False
        for key in ("accuracy", "loss", "confusion_matrix"):
            assert run.metrics[key] == metrics[key], key
        assert set(cache._read(entry)) == {"state.vocabulary", "train", "validation", "test"}


# --- named vocabularies: the user's data, a damaged one is a one-line DataError ---

VOCAB = RESERVED + ["영화", "정말", "##요"]


def store(root, vocab_text: str | None, info) -> None:
    folder = root / "vocabularies" / "ko"
    folder.mkdir(parents=True)
    if vocab_text is not None:
        (folder / "vocab.txt").write_text(vocab_text, encoding="utf-8")
    if info is not None:
        (folder / "vocabulary.json").write_text(
            info if isinstance(info, str) else json.dumps(info), encoding="utf-8")


GOOD_INFO = {"vocabulary_size": len(VOCAB), "lowercase": False}


@pytest.mark.parametrize("vocab_text, info, message", [
    ("\n".join(VOCAB) + "\n", None, "vocabulary.json: stored vocabulary file missing"),
    ("\n".join(VOCAB) + "\n", "{not json", "vocabulary.json: stored vocabulary file cannot"),
    ("\n".join(VOCAB) + "\n", "[1, 2]", "a JSON list"),
    ("\n".join(VOCAB) + "\n", {**GOOD_INFO, "vocabulary_size": 99}, "vocabulary_size 99"),
    ("\n".join(VOCAB) + "\n", {**GOOD_INFO, "vocabulary_size": "8"}, "vocabulary_size '8'"),
    ("\n".join(VOCAB) + "\n", {"vocabulary_size": 8}, "lowercase None"),
    ("\n".join(VOCAB[1:] + ["x"]) + "\n", GOOD_INFO, "vocab.txt: damaged stored vocabulary"),
    ("\n".join(VOCAB[:6] + VOCAB[5:7]) + "\n", GOOD_INFO, "repeated tokens"),
    ("\n".join(VOCAB[:6] + ["", "x"]) + "\n", GOOD_INFO, "token 6 is empty"),
])
def test_damaged_named_vocabulary_is_a_one_line_error(cache_root, vocab_text, info, message):
    store(cache_root, vocab_text, info)
    with pytest.raises(DataError) as e:
        LearnedWordPieceEncoder({"name": "ko"}, 16)
    assert message in str(e.value) and "\n" not in str(e.value)
    assert "give vocabulary_size to learn the vocabulary 'ko' again" in str(e.value)


def test_named_vocabulary_files_that_are_links_or_not_utf8(cache_root):
    store(cache_root, None, GOOD_INFO)
    vocab = cache_root / "vocabularies" / "ko" / "vocab.txt"
    vocab.symlink_to("/dev/zero")
    with pytest.raises(DataError, match=r"vocab.txt: stored vocabulary file is a symbolic link"):
        load_named("ko")
    vocab.unlink()
    vocab.write_bytes(b"\xff\xfe" * 10)
    with pytest.raises(DataError, match=r"vocab.txt: stored vocabulary file cannot be read "
                                        r"\(UnicodeDecodeError"):
        load_named("ko")
    vocab.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    assert load_named("ko") == (VOCAB, GOOD_INFO)
    with pytest.raises(DataError, match="no WordPiece vocabulary named 'nope'"):
        load_named("nope")


def test_a_learnt_named_vocabulary_replaces_a_damaged_one(cache_root):
    store(cache_root, "garbage", "{")
    texts = ["이 영화 정말 재밌어요", "정말 최악의 영화"] * 10
    learnt = LearnedWordPieceEncoder({"vocabulary_size": 60, "name": "ko"}, 16).fit(texts)
    assert load_named("ko")[0] == learnt.vocabulary()


def test_an_entry_swapped_for_a_fifo_after_the_checks_is_not_read(tmp_path):
    """``_read`` opens the entry itself without blocking or following a link, so a FIFO
    put in its place between :func:`cache._lookup`'s checks and the open is refused."""
    import os

    from specc.core import cache
    os.mkfifo(tmp_path / "entry.npz")
    with pytest.raises(cache._Damaged, match="FIFO|fifo|pipe"):
        cache._read(tmp_path / "entry.npz")
    (tmp_path / "link.npz").symlink_to("/dev/zero")
    with pytest.raises(cache._Damaged, match="link"):
        cache._read(tmp_path / "link.npz")
