"""TextEncoder keeps the classic Keras Tokenizer + pad_sequences semantics."""

from __future__ import annotations

import numpy as np
import pytest

from specc.preprocessing.text import TextEncoder

TRAIN = ["a a a b b c", "A, a! b"]


def encoder(**kw):
    args = dict(num_words=4, oov_token="<OOV>", standardize="lower_and_strip_punctuation",
                max_len=6, padding="pre", truncating="pre")
    args.update(kw)
    return TextEncoder(**args).fit(TRAIN)


def test_vocabulary_is_padding_oov_then_by_frequency():
    assert encoder().vocabulary == ["", "<OOV>", "a", "b"]


@pytest.mark.parametrize("padding, expected", [("pre", [0, 0, 2, 3, 1, 1]),
                                               ("post", [2, 3, 1, 1, 0, 0])])
def test_words_beyond_num_words_become_oov_and_padding_side(padding, expected):
    out = encoder(padding=padding).encode(["A b c d"])
    assert out.dtype == np.int32 and out.shape == (1, 6)
    assert out[0].tolist() == expected


@pytest.mark.parametrize("truncating, expected", [("pre", [1, 1]), ("post", [2, 3])])
def test_truncating_side(truncating, expected):
    assert encoder(max_len=2, truncating=truncating).encode(["a b c d"])[0].tolist() == expected


def test_no_oov_token_drops_unknown_words_like_the_classic_tokenizer():
    assert encoder(oov_token=None).encode(["c a zz b"])[0].tolist() == [0, 0, 0, 0, 2, 3]


def test_vocabulary_comes_from_training_texts_only():
    enc = encoder(num_words=100)
    assert "zebra" not in enc.vocabulary
    assert enc.encode(["zebra"])[0].tolist() == [0, 0, 0, 0, 0, 1]


def test_many_texts_across_batches(monkeypatch):
    import specc.preprocessing.text as text
    monkeypatch.setattr(text, "ENCODE_BATCH", 3)
    enc = encoder()
    out = enc.encode(["a"] * 7 + ["b b"])
    assert out.shape == (8, 6)
    assert out[:, -1].tolist() == [2] * 7 + [3]


def test_save_writes_vocab_and_config(tmp_path):
    import json
    encoder().save(tmp_path)
    assert (tmp_path / "vocab.txt").read_text().splitlines() == ["", "<OOV>", "a", "b"]
    cfg = json.loads((tmp_path / "tokenizer.json").read_text())
    assert cfg["num_words"] == 4 and cfg["padding"] == "pre" and cfg["vocabulary_size"] == 4


def test_saved_encoder_reloads_to_the_same_ids(tmp_path):
    enc = encoder(num_words=10)
    enc.save(tmp_path)
    again = TextEncoder.load(tmp_path)
    texts = ["a b c unseen", "c c b a"]
    assert again.vocabulary == enc.vocabulary
    assert again.encode(texts).tolist() == enc.encode(texts).tolist()


def test_pad_rows_equals_keras_pad_sequences():
    import numpy as np

    from specc.core.quiet import import_keras
    from specc.preprocessing.text import pad_rows
    keras = import_keras()
    rng = np.random.default_rng(1)
    rows = [rng.integers(1, 50, size=n).tolist() for n in (0, 1, 4, 9, 10, 11, 30, 0)]
    values = np.asarray([t for r in rows for t in r], np.int32)
    splits = np.concatenate([[0], np.cumsum([len(r) for r in rows])])
    for padding in ("pre", "post"):
        for truncating in ("pre", "post"):
            want = keras.utils.pad_sequences(rows, maxlen=10, padding=padding,
                                             truncating=truncating, dtype="int32")
            np.testing.assert_array_equal(pad_rows(values, splits, 10, padding, truncating), want)
