"""The example models written by hand, the way the Keras tutorials write them.

Each builder returns an uncompiled model with a fixed ``(max_len,)`` input that is fed
padded numpy arrays with ``model.fit(x, y, batch_size=...)``: no tf.data, no bucketing,
no XLA (Keras' default ``jit_compile="auto"`` leaves XLA off on CPU). The layer
arguments match the example specs (tests/test_compiler.py checks the specs against
the same architectures layer by layer).
"""

from __future__ import annotations

import time

import numpy as np


def _keras():
    from specc.core.quiet import import_keras
    return import_keras()


def conv1d():
    """specs/conv1d.yaml: Deep Learning with Python's IMDB convnet."""
    keras = _keras()
    L = keras.layers
    return keras.Sequential([
        keras.Input(shape=(500,), dtype="int32"), L.Embedding(10000, 128),
        L.Conv1D(32, 7, activation="relu"), L.MaxPooling1D(7),
        L.Conv1D(32, 5, activation="relu"), L.MaxPooling1D(5), L.GlobalMaxPooling1D(),
        L.Dense(1, activation="sigmoid")])


def lstm():
    """specs/lstm.yaml: stacked LSTMs over a masked embedding."""
    keras = _keras()
    L = keras.layers
    return keras.Sequential([
        keras.Input(shape=(300,), dtype="int32"), L.Embedding(20000, 64, mask_zero=True),
        L.LSTM(64, return_sequences=True, dropout=0.2), L.LSTM(32, dropout=0.2),
        L.Dropout(0.3), L.Dense(1, activation="sigmoid")])


def bilstm():
    """specs/bilstm.yaml: a bidirectional LSTM over a masked embedding."""
    keras = _keras()
    L = keras.layers
    return keras.Sequential([
        keras.Input(shape=(200,), dtype="int32"), L.Embedding(10000, 64, mask_zero=True),
        L.Bidirectional(L.LSTM(32)), L.Dropout(0.3), L.Dense(1, activation="sigmoid")])


def bert_classifier(preset_folder: str, max_len: int = 64):
    """specs/sst2_bert_finetune.yaml: keras-hub BertBackbone, [CLS] vector, Dropout, Dense."""
    keras = _keras()
    from specc.core.quiet import import_keras_hub
    backbone = import_keras_hub().models.BertBackbone.from_preset(preset_folder)
    inputs = {k: keras.Input(shape=(max_len,), dtype="int32", name=k)
              for k in ("token_ids", "segment_ids", "padding_mask")}
    x = backbone(inputs)["sequence_output"][:, 0, :]
    x = keras.layers.Dropout(0.1)(x)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))


def bert_mean_features(preset_folder: str, max_len: int = 64):
    """specs/sst2_bert_features_logreg.yaml's feature extractor: the frozen backbone's
    mean over real tokens (padding_mask-weighted), ``(batch, hidden)``."""
    keras = _keras()
    from specc.core.quiet import import_keras_hub
    backbone = import_keras_hub().models.BertBackbone.from_preset(preset_folder)
    backbone.trainable = False
    inputs = {k: keras.Input(shape=(max_len,), dtype="int32", name=k)
              for k in ("token_ids", "segment_ids", "padding_mask")}
    seq = backbone(inputs)["sequence_output"]
    mask = keras.ops.expand_dims(keras.ops.cast(inputs["padding_mask"], seq.dtype), -1)
    mean = keras.ops.sum(seq * mask, axis=1) / keras.ops.maximum(keras.ops.sum(mask, axis=1), 1)
    return keras.Model(inputs, mean)


def imdb_lstm_end_to_end(train_texts, train_labels, test_texts, test_labels, folder) -> dict:
    """The IMDB LSTM tutorial script: vocabulary on train (TextVectorization, 20,000
    words, OOV id 1), pad_sequences(maxlen=300, pre), stratified 20% validation split,
    ``model.fit`` 3 epochs with EarlyStopping(patience 2, best weights), predict test,
    scikit-learn's classification report and confusion matrix, save ``model.keras``.

    Returns ``{"accuracy", "seconds"}`` (the texts are already read: reading the archive
    is not timed, for specc either).
    """
    keras = _keras()
    from sklearn.metrics import accuracy_score, classification_report, confusion_matrix
    from sklearn.model_selection import train_test_split
    t0 = time.perf_counter()
    vectorize = keras.layers.TextVectorization(max_tokens=20000, ragged=True)
    vectorize.adapt(np.asarray(train_texts, dtype=object), batch_size=2048)

    def ids(texts):
        rows = vectorize(np.asarray(texts, dtype=object)).to_list()
        return keras.utils.pad_sequences(rows, maxlen=300, padding="pre", truncating="pre")

    x, x_test = ids(train_texts), ids(test_texts)
    x_tr, x_val, y_tr, y_val = train_test_split(x, np.asarray(train_labels), test_size=0.2,
                                                stratify=train_labels, random_state=42)
    keras.utils.set_random_seed(42)
    model = lstm()
    model.compile(optimizer=keras.optimizers.Adam(5e-4), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_tr, y_tr, validation_data=(x_val, y_val), batch_size=64, epochs=3, verbose=0,
              callbacks=[keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)])
    predicted = (model.predict(x_test, batch_size=64, verbose=0)[:, 0] > 0.5).astype(int)
    classification_report(test_labels, predicted, output_dict=True)
    confusion_matrix(test_labels, predicted)
    model.save(f"{folder}/model.keras")
    return {"accuracy": float(accuracy_score(test_labels, predicted)),
            "seconds": time.perf_counter() - t0}
