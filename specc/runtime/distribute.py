"""Data-parallel training: ``train.distribution`` (``none``, ``mirrored``, ``multi_worker``).

One job: turn the spec's choice into a :class:`Distribution` that the fit code builds and
compiles the model under (:meth:`Distribution.build`, :meth:`Distribution.scope`), that
shards the input batches among workers (:meth:`Distribution.shard`), that says whether
this process is the chief (the only one that writes the run folder), and that describes
itself for ``metrics.json`` (``runtime``).

* TensorFlow: ``mirrored`` is ``tf.distribute.MirroredStrategy()`` (every local GPU, else
  the local CPU devices); ``multi_worker`` is ``tf.distribute.MultiWorkerMirroredStrategy()``
  configured by the ``TF_CONFIG`` environment variable (JSON: ``cluster.worker`` = the
  ``host:port`` of every worker, ``task`` = ``{"type": "worker", "index": i}``). Keras 3
  distributes ``model.fit`` over the strategy of the scope the model was built in
  (https://www.tensorflow.org/guide/distributed_training,
  https://www.tensorflow.org/tutorials/distribute/multi_worker_with_keras); two Keras 3
  bugs with the multi-worker strategy are patched around (:meth:`Distribution.build`).
* JAX: ``mirrored`` is ``keras.distribution.DataParallel`` over
  ``keras.distribution.list_devices()``; ``multi_worker`` first calls
  ``keras.distribution.initialize`` (``jax.distributed.initialize``) with the processes
  ``TF_CONFIG`` lists, the first one the coordinator (https://keras.io/api/distribution/).
* torch: not supported (one-line UsageError).

``train.batch_size`` is the global batch (split across the replicas); the learning rate is
not rescaled. Every worker runs the same ``fit``/``evaluate``/``predict`` calls (they run
collective ops) and saves the same checkpoints; a non-chief worker writes its run into a
temporary folder that is removed when the process exits (the pattern of the TF
multi-worker tutorial), so nothing it writes reaches ``--out``, checkpoints or reports.
After training, the test split is evaluated on a copy of the model outside the
distribution (:meth:`Distribution.local_model`): every process predicts the whole split
itself, in the test split's order. A worker that loses a peer mid-training stops with a
one-line RunError; every worker then restarts with ``specc train --resume RUN_DIR`` (a
non-chief reads a copy of the chief's folder, :func:`resume_folder`), and all exit
together (:meth:`Distribution.finish`).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from specc.errors import RunError, UsageError

SUPPORTED = {"tensorflow": ("mirrored", "multi_worker"), "jax": ("mirrored", "multi_worker")}
"""Backend -> the ``train.distribution`` values specc runs on it (besides ``none``)."""

TF_CONFIG_HELP = ('set TF_CONFIG on every worker, e.g. {"cluster": {"worker": '
                  '["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}} '
                  "(README, Distributed training)")


@dataclass(frozen=True)
class Worker:
    """This process's place in a multi-worker cluster, from ``TF_CONFIG``.

    Attributes:
        addresses: ``host:port`` of every task, the chief (when listed) first, then
            ``cluster.worker`` in order.
        index: this process's position in ``addresses`` (0 = the chief).
    """

    addresses: tuple[str, ...]
    index: int

    @property
    def is_chief(self) -> bool:
        """The chief: task type ``chief``, or worker 0 of a cluster without one."""
        return self.index == 0


def tf_config(environ=None) -> Worker:
    """Parse and check ``TF_CONFIG`` (``environ``: default ``os.environ``).

    Only ``chief`` and ``worker`` tasks are allowed (no parameter servers or evaluators).

    Raises:
        UsageError: ``TF_CONFIG`` is missing, not JSON, or its cluster/task are malformed
            (one line saying what to set).
    """
    raw = (os.environ if environ is None else environ).get("TF_CONFIG")
    if not raw:
        raise UsageError(f"train.distribution: multi_worker needs the TF_CONFIG environment "
                         f"variable; {TF_CONFIG_HELP}")
    try:
        config = json.loads(raw)
    except ValueError as e:
        raise UsageError(f"TF_CONFIG is not valid JSON ({e}); {TF_CONFIG_HELP}") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise UsageError(f"TF_CONFIG needs a 'cluster' and a 'task' object; {TF_CONFIG_HELP}")
    extra = sorted(set(cluster) - {"chief", "worker"})
    if extra:
        raise UsageError(f"TF_CONFIG cluster has {', '.join(extra)}: train.distribution "
                         "multi_worker runs only 'chief' and 'worker' tasks")
    groups = {}
    for kind in ("chief", "worker"):
        hosts = cluster.get(kind, [])
        if not isinstance(hosts, list) or not all(isinstance(h, str) and ":" in h
                                                  for h in hosts):
            raise UsageError(f"TF_CONFIG cluster.{kind} must be a list of 'host:port' "
                             f"strings; {TF_CONFIG_HELP}")
        groups[kind] = hosts
    if len(groups["chief"]) > 1 or not groups["chief"] + groups["worker"]:
        raise UsageError(f"TF_CONFIG cluster needs at most one chief and at least one task; "
                         f"{TF_CONFIG_HELP}")
    kind, index = task.get("type"), task.get("index", 0)
    if kind not in ("chief", "worker") or not isinstance(index, int) or isinstance(index, bool) \
            or not 0 <= index < len(groups.get(kind, [])):
        raise UsageError(f"TF_CONFIG task {json.dumps(task)} is not one of the cluster's "
                         f"tasks; {TF_CONFIG_HELP}")
    position = index if kind == "chief" else len(groups["chief"]) + index
    return Worker(tuple(groups["chief"] + groups["worker"]), position)


@dataclass
class Distribution:
    """How this process trains: the strategy, its replicas, and this process's role.

    Attributes:
        kind: ``none``, ``mirrored`` or ``multi_worker`` (``train.distribution``).
        strategy: the ``tf.distribute.Strategy`` (TensorFlow) or
            ``keras.distribution.DataParallel`` (JAX); None for ``none``.
        replicas: model replicas training in sync (devices over all workers).
        workers: processes taking part.
        worker: this process's index (0 = the chief).
        name: the strategy's documented name (``MirroredStrategy``,
            ``MultiWorkerMirroredStrategy``, ``DataParallel``), for ``metrics.json``.
    """

    kind: str = "none"
    strategy: object = None
    replicas: int = 1
    workers: int = 1
    worker: int = 0
    name: str = ""

    @property
    def is_chief(self) -> bool:
        """True for the one process that writes the run folder."""
        return self.worker == 0

    def scope(self):
        """Context to build and compile the model in (and to load its checkpoint in): the
        TensorFlow strategy's scope, so its variables are mirrored; nothing otherwise
        (JAX: the distribution is set for the whole process by :func:`for_spec`)."""
        if self.kind != "none" and hasattr(self.strategy, "extended"):
            return self.strategy.scope()
        return contextlib.nullcontext()

    def build(self, make):
        """``make()`` (a function returning a compiled Keras model) called under
        :meth:`scope`; the model it returns, ready for ``fit``.

        TensorFlow multi-worker: ``model.fit`` of Keras 3 fails on
        ``MultiWorkerMirroredStrategy`` (open bug
        https://github.com/keras-team/keras/issues/20585; Keras 3.7 to 3.15 at least), in
        two places the model is patched around here:

        1. ``fit``/``evaluate`` first average the first distributed batch over the
           replicas with ``strategy.reduce``, only to learn its shapes, which this strategy
           cannot do for a batch of several tensors (``ValueError: Attempt to convert a
           value (PerReplica...)``): ``_maybe_symbolic_build`` takes the shapes from this
           worker's first replica instead (no collective op, same shapes).
        2. Each step's metric values (scalars) are averaged over the workers with
           ``strategy.reduce("MEAN", value, axis=0)``, which fails on a scalar (``Invalid
           reduction dimension 0 for input with 0 dimensions``): ``train_step`` and
           ``test_step`` return them as ``(1,)`` vectors, whose axis-0 mean over every
           replica is the same value as Keras' one-machine mean of the replicas' values.
        """
        with self.scope():
            model = make()
        if self.kind == "multi_worker" and hasattr(self.strategy, "extended"):
            model._maybe_symbolic_build = _local_symbolic_build(model, self.strategy)
            model.train_step = _vector_logs(model.train_step)
            model.test_step = _vector_logs(model.test_step)
        return model

    def shard(self, dataset):
        """This worker's share of ``dataset`` (global batches: a ``tf.data.Dataset``, or on
        JAX also a ``keras.utils.PyDataset``) for multi-worker training; unchanged
        otherwise. Every worker builds the same pipeline (same seed, so the same global
        batches) and keeps its part of each batch:

        * TensorFlow: DATA auto-sharding (AUTO would try FILE sharding first and warn
          that the data has no files).
        * JAX: worker ``i`` of ``P`` keeps rows ``[i*k, (i+1)*k)`` of each batch of ``n``
          rows, ``k = n // P`` (Keras joins the parts into the global batch,
          ``jax.make_array_from_process_local_data``); the last ``n mod P`` rows of a
          partial evaluation batch are left out.
        """
        if self.kind != "multi_worker":
            return dataset
        if not hasattr(self.strategy, "extended"):
            return _process_slices(dataset, self.worker, self.workers)
        import tensorflow as tf
        options = tf.data.Options()
        data = tf.data.experimental.AutoShardPolicy.DATA
        options.experimental_distribute.auto_shard_policy = data
        return dataset.with_options(options)

    def local_model(self, model, build):
        """A model for evaluation and prediction in this process alone: ``model`` itself
        without a distribution; else ``build()`` (the same architecture, built outside the
        strategy; JAX: after the distribution is unset) given ``model``'s weights.

        A model built under a strategy predicts through it: ``predict_on_batch`` then runs
        the whole batch on every replica and returns it once per replica, and a JAX batch
        must divide among the devices. The copy predicts every row once, in order.
        """
        if self.kind == "none":
            return model
        if not hasattr(self.strategy, "extended"):
            import keras
            keras.distribution.set_distribution(None)
        local = build()
        local.set_weights(model.get_weights())
        return local

    def describe(self) -> dict:
        """``{"distribution", "strategy", "replicas", "workers"}`` for ``metrics.json``'s
        ``runtime`` (``strategy``: :attr:`name`); ``{}`` for
        ``none``, so an undistributed run's ``runtime`` is unchanged."""
        if self.kind == "none":
            return {}
        return {"distribution": self.kind, "strategy": self.name,
                "replicas": self.replicas, "workers": self.workers}

    def finish(self) -> None:
        """Wait until every worker has finished its run (multi-worker; one all-reduce of a
        number, or JAX's ``sync_global_devices``), so no worker exits while another still
        evaluates or writes: TensorFlow's coordination service otherwise logs the early
        leaver as crashed ("tasks are unhealthy"). A worker already gone is ignored (the
        run is complete)."""
        if self.kind != "multi_worker":
            return
        if not hasattr(self.strategy, "extended"):
            from jax.experimental import multihost_utils
            multihost_utils.sync_global_devices("specc: run finished")
            return
        import tensorflow as tf
        strategy = self.strategy

        @tf.function
        def barrier():
            return strategy.reduce("SUM", strategy.run(lambda: tf.constant(1.0)), axis=None)
        with contextlib.suppress(*self.peer_errors):
            barrier()

    @property
    def peer_errors(self) -> tuple:
        """The exception classes a collective operation raises when another worker is
        gone (TensorFlow multi-worker: ``UnavailableError`` and kin); ``()`` otherwise,
        so ``except dist.peer_errors`` catches nothing."""
        if self.kind != "multi_worker" or not hasattr(self.strategy, "extended"):
            return ()
        import tensorflow as tf
        return (tf.errors.UnavailableError, tf.errors.DeadlineExceededError,
                tf.errors.CancelledError, tf.errors.AbortedError)

    def peer_lost(self, error: Exception, folder: Path) -> RunError:
        """The one-line error for a worker that lost its peers (``error``: one of
        :attr:`peer_errors`) while training into ``folder``: what to restart, and how."""
        first = next((line.strip() for line in str(error).splitlines() if line.strip()),
                     type(error).__name__)
        run = folder if self.is_chief else "RUN_DIR (the chief's run folder)"
        return RunError(f"multi-worker training stopped: a worker is gone "
                        f"({type(error).__name__}: {first}); restart every worker with its "
                        f"TF_CONFIG and: specc train --resume {run}")

    def role(self) -> str:
        """``"worker 2 of 3 (not the chief)"`` or ``"chief of 3 workers"``, for the log."""
        if self.is_chief:
            return f"chief of {self.workers} workers"
        return f"worker {self.worker + 1} of {self.workers} (not the chief)"


def _local_symbolic_build(model, strategy):
    """``model._maybe_symbolic_build`` that builds from the first local replica's batch
    (see :meth:`Distribution.build`)."""
    import tensorflow as tf

    def first_replica(value):
        if isinstance(value, tf.distribute.DistributedValues):
            return strategy.experimental_local_results(value)[0]
        return value

    def maybe_symbolic_build(iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, it in iterator:
                data_batch = tf.nest.map_structure(first_replica, next(it))
                break
        with strategy.scope():
            model._symbolic_build(data_batch=data_batch)
    return maybe_symbolic_build


def _vector_logs(step):
    """``step`` (a Keras ``train_step``/``test_step``) with every scalar tensor it returns
    reshaped to ``(1,)`` (see :meth:`Distribution.build`)."""
    import tensorflow as tf

    def vector(value):
        return tf.reshape(value, [1]) if tf.is_tensor(value) and value.shape.rank == 0 else value

    def wrapped(data):
        return tf.nest.map_structure(vector, step(data))
    return wrapped


NONE = Distribution()
"""Training in this process, on its default device."""

_MADE: dict[tuple[str, str], Distribution] = {}
"""(backend, kind) -> the distribution made in this process (a multi-worker strategy
configures TensorFlow's collective ops once per process, so it is made once)."""


def for_spec(spec) -> Distribution:
    """The :class:`Distribution` of ``spec``'s ``train.distribution`` on the backend Keras
    was imported with (call it after :func:`specc.compiler.backends.use_backend`, before
    the run's first TensorFlow operation: a multi-worker strategy must be created first).

    Raises:
        UsageError: a distribution the backend or model kind does not support;
            ``TF_CONFIG`` missing or malformed (multi_worker).
        RunError: the strategy cannot start (e.g. TensorFlow already ran operations in
            this process, or the worker's port is taken).
    """
    kind = spec.resolved["train"].get("distribution", "none")
    if kind == "none":
        return NONE
    if not spec.model_kind.keras:
        raise UsageError(f"train.distribution: {kind} applies to Keras models; a "
                         f"scikit-learn estimator trains in one process (set it to none)")
    import keras
    backend = keras.backend.backend()
    if kind not in SUPPORTED.get(backend, ()):
        supported = "; ".join(f"{b}: {', '.join(k)}" for b, k in SUPPORTED.items())
        raise UsageError(f"train.distribution: {kind} is not supported on the {backend} "
                         f"backend (supported: {supported}; KERAS_BACKEND or train.backend "
                         f"picks the backend)")
    key = (backend, kind)
    if key not in _MADE:
        _MADE[key] = _tensorflow(kind) if backend == "tensorflow" else _jax(kind)
    made = _MADE[key]
    if backend == "jax":
        keras.distribution.set_distribution(made.strategy)
    return made


def _tensorflow(kind: str) -> Distribution:
    import tensorflow as tf
    if kind == "mirrored":
        strategy = tf.distribute.MirroredStrategy()
        return Distribution(kind, strategy, int(strategy.num_replicas_in_sync),
                            name="MirroredStrategy")
    worker = tf_config()
    try:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    except (RuntimeError, ValueError, tf.errors.OpError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise RunError(f"cannot start multi-worker training ({first}); start specc in a new "
                       f"process with TF_CONFIG set") from None
    return Distribution(kind, strategy, int(strategy.num_replicas_in_sync),
                        len(worker.addresses), worker.index, "MultiWorkerMirroredStrategy")


def _jax(kind: str) -> Distribution:
    import keras

    from specc.core.quiet import import_tensorflow
    with contextlib.suppress(RunError):  # DataParallel shards the tf.data batches; the
        import_tensorflow()  # input pipeline reports a missing TensorFlow itself
    worker = Worker(("local",), 0)
    if kind == "multi_worker":
        worker = tf_config()
        try:  # jax.distributed.initialize; the first task is the coordinator
            keras.distribution.initialize(job_addresses=",".join(worker.addresses),
                                          num_processes=len(worker.addresses),
                                          process_id=worker.index)
        except (RuntimeError, ValueError) as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise RunError(f"cannot start multi-process JAX training ({first}); start specc "
                           f"in a new process with TF_CONFIG set") from None
    devices = keras.distribution.list_devices()
    parallel = keras.distribution.DataParallel(  # multi_worker: shard() slices the batches
        devices=devices, auto_shard_dataset=kind != "multi_worker")
    return Distribution(kind, parallel, len(devices), len(worker.addresses), worker.index,
                        "DataParallel")


def _process_slices(dataset, index: int, count: int):
    """Process ``index`` of ``count``'s rows of every batch of ``dataset`` (a tf.data
    dataset or a ``keras.utils.PyDataset``; see :meth:`Distribution.shard`)."""
    import keras
    if hasattr(dataset, "element_spec"):  # tf.data
        import tensorflow as tf

        def part(t):
            k = tf.shape(t)[0] // count
            return t[index * k:(index + 1) * k]
        return dataset.map(lambda *batch: tf.nest.map_structure(part, batch))

    def cut(a):
        k = len(a) // count
        return a[index * k:(index + 1) * k]

    class ProcessSlices(keras.utils.PyDataset):
        def __len__(self):
            return len(dataset)

        def __getitem__(self, i):
            return keras.tree.map_structure(cut, dataset[i])

        def on_epoch_end(self):
            dataset.on_epoch_end()
    return ProcessSlices()


def scratch_folder() -> Path:
    """A new temporary folder, removed when this process exits: where a non-chief worker
    writes its run (https://www.tensorflow.org/tutorials/distribute/multi_worker_with_keras,
    "Model saving and loading")."""
    folder = Path(tempfile.mkdtemp(prefix="specc-worker-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def resume_folder(folder: Path) -> Path:
    """The folder ``specc train --resume folder`` continues in: ``folder`` itself, or for
    a non-chief worker of a ``multi_worker`` run a copy in a :func:`scratch_folder`
    (``folder`` is then only read: on a shared file system it is the chief's, which the
    chief locks and writes). Every worker thus loads the same checkpoint; the lock and
    temporary files of a killed write are not copied.

    Raises:
        UsageError: TF_CONFIG is malformed.
        RunError: the folder cannot be copied.
    """
    if not os.environ.get("TF_CONFIG"):  # not a worker of a cluster: nothing to copy
        return folder
    from specc.reports.runfolder_schema import read_spec_yaml
    try:
        kind = read_spec_yaml(folder).data["train"].get("distribution", "none")
    except (UsageError, KeyError, TypeError, AttributeError):
        return folder  # resume_run reports a damaged spec.yaml
    if kind != "multi_worker" or tf_config().is_chief:
        return folder
    from specc.core.lock import LOCK_FILE
    copy = scratch_folder() / "run"

    def skip(_dir, names):
        return [n for n in names if n in (LOCK_FILE, "error.txt")
                or (n.startswith(".") and ".tmp" in n)]
    try:
        shutil.copytree(folder, copy, symlinks=True, ignore=skip)
    except (OSError, shutil.Error) as e:
        raise RunError(f"cannot copy the run folder {folder} for this worker: {e}") from None
    return copy
