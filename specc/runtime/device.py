"""Which device Keras trains on: the GPU when the backend sees one, the CPU otherwise."""

from __future__ import annotations


def gpu_count() -> int:
    """GPUs the Keras backend sees (0 on CPU-only machines). Never raises."""
    import keras
    backend = keras.backend.backend()
    gpus = 0
    try:
        if backend == "tensorflow":
            import tensorflow as tf
            gpus = len(tf.config.list_physical_devices("GPU"))
        elif backend == "jax":
            import jax
            gpus = sum(d.platform == "gpu" for d in jax.devices())
        elif backend == "torch":
            import torch
            gpus = torch.cuda.device_count()
    except Exception:  # noqa: BLE001 - a device probe must never stop a run
        gpus = 0
    return gpus


def describe_device() -> str:
    """E.g. ``"GPU (1 visible, tensorflow)"`` or ``"CPU (tensorflow)"``. Never raises."""
    import keras
    backend, gpus = keras.backend.backend(), gpu_count()
    return f"GPU ({gpus} visible, {backend})" if gpus else f"CPU ({backend})"
