"""Work on the second core: a function run in a forked child process while this one goes on.

Python threads do not run Python code at once, and a spawned process would have to import
and receive everything; a forked child starts with this process's memory (the fitted
vectorizer, the texts), so only its result is sent back (pickled, through a pipe). Used
where the work is pure Python, numpy or scipy: tf-idf tokenizing and counting
(:mod:`specc.preprocessing.tfidf`) and the report's t-SNE (:mod:`specc.reports.render`).

Only on a system with the 'fork' start method (Linux), with 2 or more usable CPUs, and
never in a process that imported TensorFlow (its threads and device state do not survive
a fork). Otherwise, or when the child fails, the work is done in this process: the result
is always the same, only the time differs. :func:`isolated` is for work that could crash
its process (native code given degenerate input): it always runs in a child (a new
interpreter where a fork is not safe), and a failure there is an error, never a rerun here.
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
    threaded = {"tensorflow", "jax", "torch"} & set(sys.modules)  # unsafe to fork
    return ((cpus or 1) > 1 and not threaded
            and "fork" in multiprocessing.get_all_start_methods())


class ChildCrashed(RuntimeError):
    """The child running the work failed (killed by a signal, such as a segmentation fault
    in native code, or raised), and the work was not to be run again here."""


def _run_child(fn: Callable[[], object], send) -> None:
    """A child's body: send ``(True, fn())``, or ``(False, None)`` when ``fn`` raised."""
    try:
        result = (True, fn())
    except BaseException:  # noqa: BLE001 - the parent decides what a failure means
        result = (False, None)
    send.send(result)


class Pending:
    """``fn()`` started in a child process (or to be run here): :meth:`result` waits for it.

    Use as a context manager, so a child whose result is never asked for is stopped.
    Only where :func:`can_fork`; otherwise ``fn`` runs here when its result is asked for.
    ``rerun_after_crash=False``: a child that fails makes :meth:`result` raise
    :class:`ChildCrashed` instead of running ``fn`` here, where it could crash this process.
    """

    def __init__(self, fn: Callable[[], object], rerun_after_crash: bool = True):
        self._fn, self._proc, self._recv = fn, None, None
        self._rerun, self._signal = rerun_after_crash, None
        if not can_fork():
            return
        ctx = multiprocessing.get_context("fork")
        self._recv, send = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_run_child, args=(fn, send), daemon=True)
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
        ok, value, started = False, None, self._recv is not None
        if started:
            try:
                ok, value = self._recv.recv()
            except (EOFError, OSError):
                pass
            self.close(wait=5.0)  # it has sent its result: it is exiting
        if not ok and started and not self._rerun:
            raise ChildCrashed(f"the work crashed its process (signal {self._signal})"
                               if self._signal else "the work failed in its process")
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


def start(fn: Callable[[], object]) -> Pending:
    """Start ``fn()`` in a forked child; ``.result()`` gives its value (see :class:`Pending`)."""
    return Pending(fn)


_CHILD = ("import pickle, sys; fn = pickle.load(sys.stdin.buffer); "
          "sys.stdout.buffer.write(pickle.dumps(fn(), protocol=pickle.HIGHEST_PROTOCOL))")
"""What an interpreter started by :class:`Interpreter` runs: ``fn`` in, its result out."""


class Interpreter:
    """``fn()`` run by a new Python interpreter (``sys.executable -c``), for work that could
    crash its process where a fork is not safe (this process imported TensorFlow). Unlike
    multiprocessing's spawn, the child does not import this program's ``__main__`` (a
    user's script, a notebook, stdin), only what unpickling ``fn`` needs. ``fn`` and its
    result travel pickled through pipes between this process and its own child.

    :meth:`result` raises :class:`ChildCrashed` when the child is killed by a signal or
    fails; use as a context manager, so a child whose result is never asked for is stopped.
    """

    def __init__(self, fn: Callable[[], object]):
        import pickle
        import subprocess
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self._proc = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, env=env)
        try:
            self._proc.stdin.write(pickle.dumps(fn, protocol=pickle.HIGHEST_PROTOCOL))
            self._proc.stdin.close()
        except OSError:  # the child died at once: result() says how
            pass

    def result(self):
        """The child's result.

        Raises:
            ChildCrashed: the child was killed by a signal or exited with an error.
        """
        import pickle
        out = self._proc.stdout.read()
        code = self._proc.wait()
        if code < 0:
            raise ChildCrashed(f"the work crashed its process (signal {-code})")
        if code != 0:
            raise ChildCrashed(f"the work failed in its process (exit status {code})")
        return pickle.loads(out)  # written by this process's own child

    def close(self) -> None:
        """Stop the child if it still runs; release its pipes."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._proc.stdout.close()

    def __enter__(self) -> Interpreter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def isolated(fn: Callable[[], object]) -> Pending | Interpreter:
    """Start ``fn()`` (picklable: a ``functools.partial`` of a module-level function) in a
    child process that cannot take this one down: forked where :func:`can_fork`, else a
    new interpreter (:class:`Interpreter`; about 1.3 s to start with numpy and
    scikit-learn on 2 cores). ``.result()`` raises :class:`ChildCrashed` when the child
    fails; ``fn`` never runs in this process."""
    return Pending(fn, rerun_after_crash=False) if can_fork() else Interpreter(fn)


def in_halves(work: Callable[[list], object], items: list) -> tuple:
    """``(work(items[:half]), work(items[half:]))``, the second half in a forked child at
    the same time as the first here."""
    half = len(items) // 2
    with start(lambda: work(items[half:])) as second:
        first = work(items[:half])
        return first, second.result()
