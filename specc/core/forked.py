"""Work on the second core: a function run in a forked child process while this one goes on.

Python threads do not run Python code at once, and a spawned process would have to import
and receive everything; a forked child starts with this process's memory (the fitted
vectorizer, the texts), so only its result is sent back (pickled, through a pipe). Used
where the work is pure Python, numpy or scipy: tf-idf tokenizing and counting
(:mod:`specc.preprocessing.tfidf`) and the report's t-SNE (:mod:`specc.reports.render`).

Only on a system with the 'fork' start method (Linux), with 2 or more usable CPUs, and
never in a process that imported TensorFlow (its threads and device state do not survive
a fork). Otherwise, or when the child fails, the work is done in this process: the result
is always the same, only the time differs.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import warnings
from collections.abc import Callable


def can_fork() -> bool:
    """Whether :func:`start` runs work in a child (see the module docstring)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return ((cpus or 1) > 1 and "tensorflow" not in sys.modules
            and "fork" in multiprocessing.get_all_start_methods())


class ChildCrashed(RuntimeError):
    """The child running the work was killed by a signal (a crash such as a segmentation
    fault in native code), and the work was not to be run again here."""


class Pending:
    """``fn()`` started in a forked child (or to be run here): :meth:`result` waits for it.

    Use as a context manager, so a child whose result is never asked for is stopped.
    ``rerun_after_crash=False``: a child killed by a signal makes :meth:`result` raise
    :class:`ChildCrashed` instead of running ``fn`` here, where it could crash this process.
    """

    def __init__(self, fn: Callable[[], object], rerun_after_crash: bool = True):
        self._fn, self._proc, self._recv = fn, None, None
        self._rerun, self._signal = rerun_after_crash, None
        if not can_fork():
            return
        ctx = multiprocessing.get_context("fork")
        self._recv, send = ctx.Pipe(duplex=False)

        def child():
            try:
                result = (True, fn())
            except BaseException:  # noqa: BLE001 - the parent runs fn itself
                result = (False, None)
            send.send(result)

        self._proc = ctx.Process(target=child, daemon=True)
        try:
            with warnings.catch_warnings():  # Python >= 3.12 warns of forking with threads
                warnings.simplefilter("ignore", DeprecationWarning)
                self._proc.start()  # multiprocessing flushes stdout/stderr before the fork
        except OSError:  # no fork (memory, process limits): fn runs here
            self._proc = None
            self._recv.close()
            self._recv = None
        send.close()

    def result(self):
        """The child's result, or ``fn()`` run here when there is no child or it failed."""
        ok, value = False, None
        if self._recv is not None:
            try:
                ok, value = self._recv.recv()
            except (EOFError, OSError):
                pass
            self.close(wait=5.0)  # it has sent its result: it is exiting
        if not ok and self._signal and not self._rerun:
            raise ChildCrashed(f"the work crashed its process (signal {self._signal})")
        return value if ok else self._fn()

    def close(self, wait: float = 0.0) -> None:
        """Stop the child (after ``wait`` seconds, if still running); release the pipe."""
        if self._recv is not None:
            self._recv.close()
            self._recv = None
        if self._proc is not None:
            self._proc.join(timeout=wait)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join()
            elif (self._proc.exitcode or 0) < 0:
                self._signal = -self._proc.exitcode
            self._proc = None

    def __enter__(self) -> Pending:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def start(fn: Callable[[], object], rerun_after_crash: bool = True) -> Pending:
    """Start ``fn()`` in a forked child; ``.result()`` gives its value (see :class:`Pending`)."""
    return Pending(fn, rerun_after_crash)


def in_halves(work: Callable[[list], object], items: list) -> tuple:
    """``(work(items[:half]), work(items[half:]))``, the second half in a forked child at
    the same time as the first here."""
    half = len(items) // 2
    with start(lambda: work(items[half:])) as second:
        first = work(items[:half])
        return first, second.result()
