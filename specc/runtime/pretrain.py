"""``specc pretrain``: masked-language-model pretraining of a BERT backbone -> a keras-hub preset.

Texts (a corpus such as ``nsmc_unlabelled``, or a text dataset's training texts) are
split into train/validation with the spec's seed, tokenized with a WordPiece vocabulary
learnt on the training part (:mod:`specc.preprocessing.vocabulary`) or a preset's, and
packed as ``[CLS] tokens [SEP]`` + padding. Every batch is masked anew (dynamic masking,
Liu et al. 2019, RoBERTa, Sec. 4.1) by keras-hub's ``MaskedLMMaskGenerator`` inside the
tf.data pipeline; the validation texts are masked once, so every evaluation scores the
same predictions. Batches are length-bucketed (padding is masked, so this changes speed,
not results; :mod:`specc.compiler.batching`).

The MLM accuracy curve: each pass over the training texts is cut into
:data:`EVALUATIONS_PER_PASS` Keras epochs, each ending with a validation pass, so
``history.csv`` has the training loss/accuracy (mean over the examples since the last
point) and the validation loss/accuracy at every point.

Run folder: ``spec.yaml``, ``vocab.txt``/``tokenizer.json``, ``preset/`` (keras-hub
preset: ``config.json``, ``model.weights.h5``, ``tokenizer.json``, ``assets/``; a spec
loads it with ``BertBackbone: {preset: <folder>/preset}``), ``history.csv``,
``mlm_curve.png``, ``summary.txt``, ``metrics.json`` (once the preset is saved), then
``report.md``.
"""

from __future__ import annotations

import functools
import json
import shutil
import time
import warnings
from pathlib import Path

import numpy as np

from specc.core.files import save_folder, weights_bytes, write_text
from specc.core.yaml_source import dump_spec
from specc.errors import RunError, SpeccError
from specc.runtime.rundir import default_run_dir, new_run_dir

EVALUATIONS_PER_PASS = 4
"""Points of the MLM accuracy curve per pass over the training texts."""


def split_texts(texts: list[str], data: dict, seed: int) -> tuple[list[str], list[str]]:
    """``(train, validation)`` texts: an optional random subsample of ``max_train_samples``,
    then a random ``validation_split`` share held out (at least one text each side).

    Raises:
        DataError: fewer than 2 texts.
    """
    from specc.errors import DataError
    if len(texts) < 2:
        raise DataError(f"pretraining needs at least 2 texts, the corpus has {len(texts)}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(texts))
    if "max_train_samples" in data:
        order = order[:data["max_train_samples"]]
    n_val = min(max(1, int(np.ceil(len(order) * data["validation_split"]))), len(order) - 1)
    return [texts[i] for i in order[n_val:]], [texts[i] for i in order[:n_val]]


def masked_batches(x: dict, masker, batch_size: int, seed: int, plan):
    """Endless batches ``(inputs, mask_ids, mask_weights)`` for ``BertMaskedLM`` (tf.data, or a
    PyDataset on JAX and PyTorch),
    each batch length-trimmed (``plan``) then masked anew."""
    from specc.compiler.batching import tf_pipelines, train_dataset
    dummy = np.zeros(len(x["token_ids"]), "int32")
    batches = train_dataset(x, dummy, batch_size, seed=seed, plan=plan)
    if not tf_pipelines():  # JAX, PyTorch: a PyDataset (specc.compiler.pybatches)
        from specc.compiler.pybatches import mapped
        return mapped(batches, lambda batch: _mlm_example(batch[0], masker))
    import tensorflow as tf
    return batches.map(lambda xb, _y: _mlm_example(xb, masker),
                       num_parallel_calls=tf.data.AUTOTUNE)


def _mlm_example(x: dict, masker):
    masked = masker(x["token_ids"])
    inputs = {"token_ids": masked["token_ids"], "segment_ids": x["segment_ids"],
              "padding_mask": x["padding_mask"], "mask_positions": masked["mask_positions"]}
    return inputs, masked["mask_ids"], masked["mask_weights"]


def validation_batches(x: dict, masker, batch_size: int):
    """The validation texts masked once (the run's seed), in fixed batches."""
    from specc.compiler.batching import tf_pipelines
    if not tf_pipelines():
        from specc.compiler.pybatches import eval_batches, mapped
        return mapped(eval_batches(x, None, batch_size)[0],
                      lambda xb: _mlm_example(xb, masker), once=True)
    import tensorflow as tf
    inputs, ids, weights = _mlm_example(x, masker)
    return tf.data.Dataset.from_tensor_slices((inputs, ids, weights)).batch(batch_size).cache()


def token_stats(x: dict) -> dict:
    """Tokens per text incl. [CLS]/[SEP] (mean, median, 95th percentile) and the share of
    texts cut at ``max_len``."""
    lengths = np.asarray(x["padding_mask"]).sum(axis=1)
    max_len = np.asarray(x["padding_mask"]).shape[1]
    return {"mean": round(float(lengths.mean()), 2), "median": float(np.median(lengths)),
            "p95": float(np.percentile(lengths, 95)),
            "truncated_share": round(float((lengths >= max_len).mean()), 4)}


def pretrain_spec(spec, out: str | None = None, log=print) -> Path:
    """Pretrain the backbone of a validated ``task: masked_lm`` spec; return the run folder
    (created empty and locked for the whole run, :func:`specc.runtime.rundir.new_run_dir`).

    Raises:
        DataError: the corpus cannot be read.
        RunError: the loss became NaN/inf, or the run folder cannot be written.
        UsageError: another process holds the run folder.
    """
    from specc.compiler.backends import use_backend
    use_backend(spec)  # before the run folder: a missing backend leaves no trace
    from specc.runtime import distribute
    dist = distribute.for_spec(spec)  # before TensorFlow's first operation
    if not dist.is_chief:
        out = distribute.scratch_folder()  # a non-chief worker's run: removed at exit
    with new_run_dir(out or default_run_dir(spec.name)) as folder:
        folder = _pretrain(spec, folder, log)
    dist.finish()  # multi-worker: every worker exits together
    return folder


def _pretrain(spec, folder: Path, log) -> Path:
    """:func:`pretrain_spec` into ``folder``, whose lock this process holds."""
    import keras

    from specc.compiler.batching import steps_per_epoch
    from specc.compiler.masked_lm import (
        build_masked_lm,
        mask_generator,
        masked_lm_backbone,
    )
    from specc.compiler.batching import tf_pipelines
    from specc.compiler.optimizers import build_optimizer
    from specc.data import load_dataset
    from specc.runtime.device import describe_device, gpu_count
    from specc.runtime.distribute import for_spec
    from specc.runtime.fit_keras import NanGuard, model_summary, nan_error, param_counts
    from specc.runtime.options import run_options
    from specc.runtime.prepare import encode_splits, make_encoder
    from specc.runtime.progress import progress_callbacks
    from specc.runtime.train import write_history

    resolved = spec.resolved
    data, train = resolved["data"], resolved["train"]
    t0 = time.perf_counter()
    try:
        corpus = load_dataset(data, spec.base_dir, task="masked_lm")
        texts_train, texts_val = split_texts(corpus.texts, data, train["seed"])
        encoder = make_encoder(resolved, spec.base_dir)
        (x_train, x_val, _), hit = encode_splits(
            encoder, (texts_train, texts_val, []), resolved["preprocessing"].get("cache", True))
    except SpeccError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    prep_seconds = time.perf_counter() - t0
    vocabulary = encoder.vocabulary()
    write_text(folder / "spec.yaml", dump_spec(resolved))
    encoder.save(folder)
    log(f"run folder: {folder}")
    log(f"data: {corpus.source}; train {len(texts_train)} texts, validation {len(texts_val)} "
        f"({prep_seconds:.1f} s{', token ids from the preprocessing cache' if hit else ''}); "
        f"WordPiece vocabulary {len(vocabulary)}")
    device = describe_device()
    log(f"device: {device}")

    options = run_options(resolved, gpu_count())
    dist = for_spec(spec)
    keras.utils.set_random_seed(train["seed"])
    batch_size = train["batch_size"]
    per_pass = steps_per_epoch(len(texts_train), batch_size)
    steps = max(1, -(-per_pass // EVALUATIONS_PER_PASS))
    points = train["epochs"] * EVALUATIONS_PER_PASS
    # BertMaskedLM predicts no [CLS] classification: its pooler gets no gradient (expected).
    warnings.filterwarnings("ignore", message=r"Gradients do not exist for variables "
                                              r"\['pooled_dense/kernel', 'pooled_dense/bias'\]")

    def make():  # model and optimizer variables are made under the strategy
        backbone = masked_lm_backbone(resolved, len(vocabulary), spec.base_dir)
        model = build_masked_lm(backbone)
        model.compile(optimizer=build_optimizer(train["optimizer"], steps * points),
                      loss=keras.losses.SparseCategoricalCrossentropy(
                          from_logits=True, reduction="mean_with_sample_weight"),
                      weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
                      jit_compile=options.jit_compile)
        return model
    model = dist.build(make)
    backbone = model.backbone
    masker = mask_generator(resolved, vocabulary)
    validation = dist.shard(validation_batches(x_val, masker, batch_size))
    batches = dist.shard(masked_batches(x_train, masker, batch_size, train["seed"],
                                        options.batching))
    guard = NanGuard()
    progress, verbose = progress_callbacks(log)
    t1 = time.perf_counter()
    try:
        # keras-hub's Task.fit turns inputs it does not know (a PyDataset) into tf.data;
        # with preprocessor=None Keras' own fit is the same minus that conversion
        fit = model.fit if tf_pipelines() else functools.partial(keras.Model.fit, model)
        history = fit(batches, validation_data=validation, epochs=points,
                            steps_per_epoch=steps, callbacks=[guard, *progress], shuffle=False,
                            verbose=verbose).history
    except KeyboardInterrupt:
        raise RunError(f"pretraining interrupted; {folder} has no preset (pretraining does "
                       f"not resume: start it again)") from None
    train_seconds = time.perf_counter() - t1
    if guard.tripped:
        raise nan_error(guard.tripped, train["optimizer"])
    preset = folder / "preset"

    def save_preset(into: Path) -> None:
        backbone.save_to_preset(str(into))
        encoder.tokenizer.save_to_preset(str(into))
    save_folder(preset, save_preset, weights_bytes(backbone))
    write_text(folder / "summary.txt", model_summary(model) + "\n")
    write_history(folder, history)
    curve = mlm_curve(history, steps, batch_size)
    doc = {
        "spec": spec.name, "task": "masked_lm", "spec_file": str(spec.path),
        "data_source": corpus.source, "data_notes": corpus.notes,
        "n_train": len(texts_train), "n_validation": len(texts_val),
        "preprocessing_cache_hit": hit, "vocabulary_size": len(vocabulary),
        "tokens_per_text": token_stats(x_train),
        "mask_selection_length": int(masker.mask_selection_length),
        "val_accuracy": history["val_accuracy"][-1], "val_loss": history["val_loss"][-1],
        "curve": curve, "evaluations_per_pass": EVALUATIONS_PER_PASS,
        "steps": steps * points, "examples_seen": steps * points * batch_size,
        "train_seconds": round(train_seconds, 3), "prepare_seconds": round(prep_seconds, 3),
        "examples_per_second": round(steps * points * batch_size / train_seconds, 1),
        "params": param_counts(model), "backbone_params": int(backbone.count_params()),
        "device": device, "runtime": {**options.describe(), **dist.describe()},
        "preset": str(preset),
        "keras_version": keras.__version__,
    }
    write_text(folder / "metrics.json", json.dumps(doc, indent=2) + "\n")
    if not dist.is_chief:
        return folder  # a temporary folder: no report
    from specc.reports.pretrain_report import write_pretrain_report
    warning = write_pretrain_report(folder, doc, resolved)
    if warning:
        log(f"warning: {warning}")
    log(f"validation MLM accuracy {doc['val_accuracy']:.4f}, loss {doc['val_loss']:.4f} after "
        f"{doc['examples_seen']:,} masked sequences ({train_seconds:.0f} s)")
    log(f"preset: {preset} (a spec names it by path, relative to the spec file: "
        f"BertBackbone: {{preset: {preset.resolve()}}} and tokenizer: {{preset: ...}})")
    return folder


def mlm_curve(history: dict, steps: int, batch_size: int) -> list[dict]:
    """One point per Keras epoch of :func:`pretrain_spec`: ``step``, ``examples`` seen,
    training ``loss``/``accuracy`` (mean since the previous point), ``val_loss``,
    ``val_accuracy``."""
    return [{"step": (i + 1) * steps, "examples": (i + 1) * steps * batch_size,
             **{k: round(float(history[k][i]), 5)
                for k in ("loss", "accuracy", "val_loss", "val_accuracy") if k in history}}
            for i in range(len(history["loss"]))]
