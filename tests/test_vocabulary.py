"""Korean tokenization: syllable-level Keras ids, and WordPiece vocabularies learnt on
training texts (learnt by ``tokenizers``, applied by keras-hub), stored and reused by name."""

from __future__ import annotations

import pytest

from specc.errors import DataError
from specc.preprocessing.text import TextEncoder
from specc.preprocessing.vocabulary import (RESERVED, LearnedWordPieceEncoder, learn_wordpiece,
                                            stored_names)

TEXTS = ["이 영화 정말 재밌어요", "정말 최악의 영화... 돈 아까움", "배우들 연기가 재밌어요!",
         "최악 최악 최악", "재밌는 영화, 추천합니다"] * 20


def test_character_split_gives_one_id_per_syllable():
    enc = TextEncoder(100, "<OOV>", "lower", 8, "post", "post", split="character").fit(TEXTS)
    ids = enc.encode(["재밌어요", "뷁"])
    vocab = enc.vocabulary
    assert [vocab[i] for i in ids[0][:4]] == ["재", "밌", "어", "요"] and ids[0][4] == 0
    assert ids[1][0] == 1  # an unseen syllable is the OOV token
    assert " " in vocab  # the space between words is a token too
    assert enc.settings()["split"] == "character"


def test_learnt_wordpiece_vocabulary_and_keras_hub_split_agree():
    from tokenizers import BertWordPieceTokenizer
    vocab = learn_wordpiece(TEXTS, 80, lowercase=False)
    assert vocab[:5] == RESERVED and len(vocab) <= 80 and "영화" in vocab
    enc = LearnedWordPieceEncoder({"vocabulary_size": 80}, 16).fit(TEXTS)
    vocab = enc.vocabulary()
    hf = BertWordPieceTokenizer({t: i for i, t in enumerate(vocab)}, lowercase=False,
                                strip_accents=False)
    for text in set(TEXTS):  # keras-hub splits exactly as the learner did
        ids = enc.encode([text])
        n = int(ids["padding_mask"][0].sum())
        assert ids["token_ids"][0][:n].tolist() == hf.encode(text).ids
    x = enc.encode(["정말 재밌는 영화!"])
    n = int(x["padding_mask"][0].sum())
    tokens = [vocab[i] for i in x["token_ids"][0][:n]]
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and "영화" in tokens and "!" in tokens
    assert "".join(t.removeprefix("##") for t in tokens[1:-1]) == "정말재밌는영화!"


def test_named_vocabulary_is_stored_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("SPECC_CACHE_DIR", str(tmp_path))
    learnt = LearnedWordPieceEncoder({"vocabulary_size": 80, "name": "ko-test"}, 16).fit(TEXTS)
    assert stored_names() == ["ko-test"]
    reused = LearnedWordPieceEncoder({"name": "ko-test"}, 16).fit(["다른 텍스트"])
    assert reused.vocabulary() == learnt.vocabulary()
    a, b = learnt.encode(TEXTS[:3]), reused.encode(TEXTS[:3])
    assert (a["token_ids"] == b["token_ids"]).all()
    with pytest.raises(DataError, match="no WordPiece vocabulary named 'nope'.*ko-test"):
        LearnedWordPieceEncoder({"name": "nope"}, 16)
