"""Timing helpers for the benchmarks: interleaved repetitions, medians, machine facts.

This machine's throughput swings by 20-30% (../shared/NOTES.md): identical epochs take
either ~4.3 s or exactly ~5.1 s, as if a CPU quota throttles some of them. So every
comparison runs its variants alternately, one repetition of each in turn (the order
rotating), and the steady-state rate is taken from each variant's fastest repetition
(the unthrottled one; ``timeit``'s advice for the same reason); medians and every
repetition are kept in the results too.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable


def seconds(fn: Callable[[], object]) -> float:
    """Wall time of one call of ``fn``, seconds (``time.perf_counter``)."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def interleaved(variants: dict[str, Callable[[], object]], repeats: int,
                warmup: int = 1) -> dict[str, list[float]]:
    """Call each variant ``warmup`` times (untimed: tracing, compiling, caches), then
    ``repeats`` rounds of one timed call per variant, the order rotated each round.

    A variant that returns a float reports its own duration (seconds; e.g. one epoch
    measured inside ``model.fit`` by :func:`epoch_timer`); otherwise the call is timed.
    Returns ``{name: [seconds per timed call]}``.
    """
    for fn in variants.values():
        for _ in range(warmup):
            fn()
    names = list(variants)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            t0 = time.perf_counter()
            reported = variants[name]()
            took = time.perf_counter() - t0
            times[name].append(reported if isinstance(reported, float) else took)
    return times


def epoch_timer():
    """A Keras callback whose ``seconds`` is the last epoch's duration, from its first
    batch to its end (``model.fit``'s own set-up and tear-down excluded: they happen once
    per training, not per epoch, and on this machine they sometimes stall for seconds)."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        seconds = 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self._t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds = time.perf_counter() - self._t0
    return EpochTimer()


def median(values: list[float]) -> float:
    """Median of ``values``."""
    return statistics.median(values)


def best(values: list[float]) -> float:
    """The fastest repetition (smallest time) of ``values``."""
    return min(values)


def machine() -> dict:
    """Cores, OS, Python and library versions, Keras backend and device."""
    import keras
    import sklearn
    import tensorflow as tf

    from specc.runtime.device import describe_device
    try:
        import keras_hub
        hub = keras_hub.__version__
    except ImportError:
        hub = None
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f
                        if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "os": platform.platform(),
            "python": platform.python_version(), "tensorflow": tf.__version__,
            "keras": keras.__version__, "keras_hub": hub, "scikit_learn": sklearn.__version__,
            "backend": keras.backend.backend(), "device": describe_device()}
