"""Progress lines for logs that are not a terminal (CI, ``nohup``, files).

Keras' ``verbose=2`` prints one line per epoch, so a long epoch is silent for minutes in a
CI log. :class:`ProgressLines` prints a line at a bounded interval instead: epoch, batch,
rate, ETA of the epoch and the running loss. On a terminal Keras' own progress bar
(``verbose=1``) is used and this callback is not added.
"""

from __future__ import annotations

import sys
import time

import keras

PROGRESS_INTERVAL = 30.0
"""Seconds between two progress lines within an epoch."""


def format_seconds(seconds: float) -> str:
    """``75.2`` -> ``1 min 15 s``; ``9.6`` -> ``10 s``."""
    seconds = round(seconds)
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


class ProgressLines(keras.callbacks.Callback):
    """Print ``epoch E/N: batch B/S (P%), R batches/s, ETA T, loss L`` every ``interval``
    seconds of an epoch (the first after ``interval`` seconds), through ``log``, flushing
    stdout so that the line reaches a redirected log at once.

    Args:
        log: callable taking one line (``print`` in the CLI).
        interval: seconds between lines (None: :data:`PROGRESS_INTERVAL`, read when the
            callback is made).
        clock: a monotonic clock in seconds (tests pass a fake one).
    """

    def __init__(self, log=print, interval: float | None = None, clock=time.monotonic):
        super().__init__()
        self.log, self.clock = log, clock
        self.interval = PROGRESS_INTERVAL if interval is None else interval
        self.epoch, self.started, self.next_at = 0, 0.0, 0.0

    def on_epoch_begin(self, epoch, logs=None):
        """Start the epoch's clock (``epoch`` is 0-based, as Keras passes it)."""
        self.epoch, self.started = epoch, self.clock()
        self.next_at = self.started + self.interval

    def on_train_batch_end(self, batch, logs=None):
        """Print a line when the interval has passed since the last one."""
        now = self.clock()
        if now < self.next_at:
            return
        self.next_at = now + self.interval
        done = batch + 1
        steps = self.params.get("steps") or 0
        rate = done / max(now - self.started, 1e-9)
        parts = [f"epoch {self.epoch + 1}/{self.params.get('epochs', '?')}: batch {done}"
                 + (f"/{steps} ({100 * done // steps}%)" if steps else ""),
                 f"{rate:.1f} batches/s"]
        if steps:
            parts.append(f"ETA {format_seconds((steps - done) / rate)}")
        loss = (logs or {}).get("loss")
        if loss is not None:
            parts.append(f"loss {float(loss):.4f}")
        self.log(", ".join(parts))
        sys.stdout.flush()


def silent(line: str) -> None:
    """A ``log`` that drops every line and, passed to :func:`progress_callbacks`, turns
    Keras' own progress off too (a ``specc tune`` trial: its run folder has the history)."""


def progress_callbacks(log=print) -> tuple[list, int]:
    """``(callbacks, verbose)`` for ``model.fit``: nothing for the :func:`silent` log
    (``verbose=0``); Keras' progress bar on a terminal (``verbose=1``), else one line per
    epoch (``verbose=2``) plus :class:`ProgressLines`."""
    if log is silent:
        return [], 0
    if sys.stdout.isatty():
        return [], 1
    return [ProgressLines(log)], 2
