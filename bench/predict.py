"""Prediction throughput: raw strings in -> class names out, specc vs hand-written, one process.

For each of conv1d, lstm (IMDB), sst2_bert_finetune (SST-2, MiniLM-L6) and imdb_tfidf_svm,
a short real run is trained through the public API (``specc.train``, a subset and one
epoch: the speed of prediction does not depend on how well the model learnt), then the
same test texts are predicted

* by specc: ``specc.load_run(folder).predict(texts).labels`` (the saved tokenizer,
  length-sorted batches trimmed to their longest text where padding is masked, class
  names), and
* by hand, as a user without specc would: the run's ``vocab.txt`` in a
  ``keras.layers.TextVectorization``, ``keras.utils.pad_sequences``, ``model.predict`` on
  the padded array, ``argmax``/threshold and the class names (BERT: keras-hub's
  ``BertTextClassifierPreprocessor`` on the preset; tf-idf: the fitted pipeline's
  ``predict`` and the class names).

Steady state: both models are loaded and warmed up first; then the variants run
interleaved ``repeats`` times (bench/timing.py) and the fastest pass of each gives
texts/s. Ratios are specc / hand (> 1: specc faster).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from bench.timing import best, interleaved, median

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"

CASES = {  # spec -> (overrides for a short training run, test texts predicted)
    "conv1d.yaml": ({"train.epochs": 1, "data.max_train_samples": 2000}, 5000),
    "lstm.yaml": ({"train.epochs": 1, "data.max_train_samples": 2000}, 2000),
    "sst2_bert_finetune.yaml": ({"train.epochs": 1, "data.max_train_samples": 256}, 512),
    "imdb_tfidf_svm.yaml": ({"data.max_train_samples": 5000}, 5000),
}


def hand_predictor(run):
    """``predict(texts) -> class names`` written by hand for ``run`` (module docstring)."""
    from specc.core.quiet import import_keras
    keras = import_keras()
    names = np.asarray(run.class_names)
    resolved = run.spec.to_dict()
    if run.spec.kind == "estimator":
        pipeline = run.predictor.pipeline  # the fitted pipeline; specc adds only the names
        return lambda texts: names[pipeline.predict(texts)]
    batch = resolved["train"]["batch_size"]
    model = keras.saving.load_model(run.folder / "model.keras", safe_mode=True)
    if run.spec.kind == "bert":
        from specc.core.quiet import import_keras_hub
        from specc.data.backbones import resolve_preset
        hub = import_keras_hub()
        folder = str(resolve_preset(resolved["preprocessing"]["tokenizer"]["preset"], SPECS))
        pre = hub.models.BertTextClassifierPreprocessor(
            hub.models.BertTokenizer.from_preset(folder),
            sequence_length=resolved["preprocessing"]["sequence"]["max_len"])

        def encode(texts):
            return {k: np.asarray(v) for k, v in pre(texts).items()}
    else:
        tok, seq = resolved["preprocessing"]["tokenizer"], resolved["preprocessing"]["sequence"]
        vocab = (run.folder / "vocab.txt").read_text(encoding="utf-8").split("\n")[2:tok["num_words"]]
        vectorize = keras.layers.TextVectorization(
            max_tokens=tok["num_words"], standardize=tok["standardize"], output_mode="int",
            vocabulary=vocab, ragged=True)

        def encode(texts):
            rows = vectorize(np.asarray(texts, dtype=object)).to_list()
            return keras.utils.pad_sequences(rows, maxlen=seq["max_len"], padding=seq["padding"],
                                             truncating=seq["truncating"])

    def predict(texts):
        out = model.predict(encode(texts), batch_size=batch, verbose=0)
        ids = (out.reshape(-1) >= 0.5).astype(int) if out.shape[1] == 1 else out.argmax(1)
        return names[ids]
    return predict


def bench_predict(repeats: int = 3, bert: bool = True) -> list[dict]:
    """Texts/s of specc and hand-written prediction per case (see module docstring)."""
    import specc
    from specc.data import load_dataset
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (overrides, n) in CASES.items():
            if "bert" in name and not bert:
                continue
            spec = specc.load_spec(SPECS / name).replace(overrides)
            run = specc.train(spec, out=f"{tmp}/{name}")
            data = load_dataset(spec.resolved["data"], spec.base_dir, task=spec.task)
            texts = list(data.test_texts[:n])
            hand = hand_predictor(run)
            mine = lambda: run.predict(texts).labels  # noqa: E731
            agree = float(np.mean(np.asarray(mine()) == hand(texts)))  # warm-up + check
            times = interleaved({"specc": mine, "hand": lambda: hand(texts)}, repeats)
            ratios = [h / s for s, h in zip(times["specc"], times["hand"])]
            rows.append({"spec": name, "texts": len(texts),
                         "specc_texts_per_s": round(len(texts) / best(times["specc"]), 1),
                         "hand_texts_per_s": round(len(texts) / best(times["hand"]), 1),
                         "ratio": round(best(times["hand"]) / best(times["specc"]), 2),
                         "median_ratio": round(median(ratios), 2),
                         "labels_agree": agree, "seconds": times})
    return rows
