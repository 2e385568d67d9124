"""specc's Python API: load a spec, train it, load a run, predict and evaluate.

>>> import specc
>>> spec = specc.load_spec("specs/sst2_tfidf_logreg.yaml")     # doctest: +SKIP
>>> run = specc.train(spec, out="runs/sst2-tfidf")            # doctest: +SKIP
>>> run.predict(["a great film", "dull"]).labels               # doctest: +SKIP
['positive', 'negative']

The CLI (:mod:`specc.cli`) is a thin layer over these functions, as Ludwig's CLI is over
``LudwigModel``. Loading a run folder never executes code from it
(:mod:`specc.runtime.safe_load`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from specc.compiler.tasks import get_task
from specc.core.yaml_source import SpecSource
from specc.errors import UsageError
from specc.loader.spec import Spec
from specc.loader.validate import load_spec
from specc.reports.runfolder_layout import HISTORY, METRICS
from specc.reports.runfolder_schema import (
    read_history,
    read_metrics,
    read_spec_yaml,
    read_tokenizer,
)

__all__ = ["Run", "Spec", "load_run", "load_spec", "train", "tune"]


def _quiet(message: str) -> None:
    """The default ``callback`` of :func:`train`: say nothing."""


def train(spec: Spec | str | Path, out: str | Path | None = None, *,
          callback: Callable[[str], None] | None = None) -> "Run":
    """Train ``spec`` and write its run folder; return the finished :class:`Run`.

    Args:
        spec: a :class:`Spec` (:func:`load_spec`) or a spec file's path.
        out: the run folder (must not exist or be empty; default
            ``runs/<name>-<UTC time>``).
        callback: called with each progress line (run folder, data counts, device, test
            metrics); default: nothing is printed. Keras' own per-epoch progress is shown on a
            terminal.

    Raises:
        SpecError: an invalid spec file. DataError: unreadable data. RunError: the run
            folder cannot be written, or training failed (``error.txt`` in the folder says why).
        UsageError: a ``masked_lm`` spec (use ``specc pretrain``).
    """
    if not isinstance(spec, Spec):
        spec = load_spec(spec)
    if spec.task_def.pretraining:
        raise UsageError(f"{spec.path} is a pretraining spec (task: {spec.task}): run "
                         f"specc pretrain {spec.path}")
    if spec.uses_keras:
        from specc.compiler.backends import use_backend
        use_backend(spec)
    from specc.runtime.train import train_spec
    return Run(train_spec(spec, out=out, log=callback or _quiet))


def tune(spec: Spec | str | Path | None, out: str | Path | None = None, *,
         resume: str | Path | None = None, storage: str | None = None,
         study: str | None = None, trials: int | None = None,
         callback: Callable[[str], None] | None = None):
    """Search ``spec``'s hyperparameters (its ``search:`` section) with Optuna; return the
    :class:`specc.tune.runner.Tuned` summary (tuning folder, study, trial counts, best trial
    and value, and ``best_run``: the best spec trained and tested once).

    Args:
        spec: a :class:`Spec` or a spec file's path (None with ``resume``).
        out: the tuning folder (default ``tunes/<name>-<UTC time>``).
        resume: a tuning folder to continue (its ``tune.json`` names the spec file, the
            ``--set`` overrides and the study; the spec must still have the same search).
        storage: the study's SQLAlchemy URL (default ``TUNE_DIR/study.db``); with one
            shared by several processes, each runs trials until ``search.trials`` are taken.
        study: the study name (default: the spec's name).
        trials: override ``search.trials``.
        callback: called with each progress line (one per trial); default: nothing.

    Raises:
        SpecError: an invalid spec. UsageError: no ``search:`` section; a tuning folder
            in use or holding another study; a storage that cannot be opened; Optuna not
            installed. RunError: the tuning folder cannot be written.
    """
    from specc.tune.runner import saved_spec, tune_spec
    log = callback or _quiet
    if resume is not None:
        if spec is None:
            spec_file, overrides = saved_spec(resume)
            spec = load_spec(spec_file, overrides=overrides)
        out = resume
    elif spec is None:
        raise UsageError("tune needs a spec (or resume=TUNE_DIR)")
    if not isinstance(spec, Spec):
        spec = load_spec(spec)
    if spec.uses_keras:
        from specc.compiler.backends import use_backend
        use_backend(spec)
    return tune_spec(spec, out, storage=storage, study_name=study, resume=resume is not None,
                     trials=trials, log=log)


def load_run(folder: str | Path) -> "Run":
    """The finished run in ``folder`` (see :class:`Run`).

    Raises:
        UsageError: not a finished run folder, or a damaged or refused run file (one line
            naming the file and the field).
    """
    return Run(folder)


class Run:
    """A finished run folder, usable as a model.

    Attributes:
        folder: the run folder (``Path``).
        metrics: ``metrics.json`` (test metrics and run facts), a dict.
        spec: the resolved spec the run trained (``spec.yaml``), a read-only :class:`Spec`
            (its :attr:`Spec.base_dir` is the run folder).

    The model itself is loaded on the first :meth:`predict` or :meth:`evaluate`, with
    Keras' ``safe_mode`` or skops' trusted types; pickle files are refused.

    Raises:
        UsageError: ``folder`` is not a finished run (no ``metrics.json``), its
            ``metrics.json`` or ``spec.yaml`` is missing, damaged or refused
            (:mod:`specc.reports.runfolder_schema`; one line naming the file and the field),
            the two name different tasks, or it holds a pickle file.
    """

    def __init__(self, folder: str | Path):
        from specc.runtime.safe_load import refuse_pickles
        self.folder = Path(folder)
        self.metrics = read_metrics(self.folder)
        refuse_pickles(self.folder)
        parsed = read_spec_yaml(self.folder)
        path = Path(parsed.file)
        self.spec = Spec(path, parsed.data, _checked_resolved(parsed), parsed.text, self.folder)
        if self.metrics["task"] != self.spec.task:
            raise UsageError(f"{self.folder / METRICS}: $.task: {self.metrics['task']!r}, but "
                             f"{path.name} trains task {self.spec.task!r}")
        self._predictor = None

    def __repr__(self) -> str:
        return f"Run('{self.folder}', spec={self.name!r}, task={self.task!r})"

    @property
    def name(self) -> str:
        """The spec's name."""
        return self.spec.name

    @property
    def task(self) -> str:
        """``binary``, ``multiclass`` or ``regression``."""
        return self.spec.task

    @property
    def class_names(self) -> list[str] | None:
        """The classes in class-id order (None for regression)."""
        return self.metrics.get("class_names") if self.spec.task_def.classification else None

    @property
    def history(self) -> dict[str, list[float]]:
        """``history.csv``: ``{metric: [value per epoch]}`` (``loss``, ``val_accuracy``, ...).

        Raises:
            UsageError: a damaged or refused ``history.csv`` (naming file, line and column).
        """
        return read_history(self.folder / HISTORY)

    @property
    def predictor(self):
        """The loaded model (:class:`specc.runtime.predictors.Predictor`), loaded once.

        Raises:
            UsageError: a model or tokenizer file that is missing, refused or does not fit
                the run's spec (one line).
        """
        if self._predictor is None:
            if self.spec.uses_keras:
                from specc.core.quiet import import_keras
                import_keras()
            from specc.data import is_series
            if self.spec.model_kind.keras and not is_series(self.spec.resolved):
                read_tokenizer(self.folder)  # checked before the encoder is built from it
            try:
                self._predictor = self.spec.model_kind.load_predictor(
                    self.folder, self.spec.resolved, self.class_names)
            except (KeyError, IndexError, TypeError, ValueError, AttributeError) as e:
                raise UsageError(f"{self.folder}: the run's files do not fit together "
                                 f"({type(e).__name__}: {str(e)[:200]})") from None
        return self._predictor

    def predict(self, texts: Sequence[str], batch_size: int | None = None):
        """Predict the classes (or values) of raw texts.

        Args:
            texts: a sequence of ``str`` (a single ``str`` is refused: wrap it in a list).
            batch_size: texts per model call (default: the spec's ``train.batch_size``).

        Returns:
            :class:`specc.runtime.predictors.Predictions`, in input order: ``labels``
            (class names), ``probabilities`` ``(n, n_classes)`` float32 (or ``scores``,
            decision values, for LinearSVC/RidgeClassifier), or ``values`` for regression;
            ``rows()`` gives one JSON-ready dict per text.

        Raises:
            UsageError: ``texts`` is a string or holds a non-string; the run's files are
                damaged (see :attr:`predictor`), or the model predicts a class beyond
                ``metrics.json``'s ``class_names``.
        """
        if isinstance(texts, str | bytes):
            raise UsageError("predict takes a list of texts, not one string: "
                             "run.predict([text])")
        texts = list(texts)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise UsageError(f"text {i} is {type(t).__name__}, not a string")
        if not texts:
            from specc.runtime.predictors import empty_predictions
            return empty_predictions(self.task, self.class_names)
        predictor = self.predictor
        try:
            result = predictor.predict(texts, batch_size)
        except IndexError:  # a class id beyond metrics.json's class_names
            result = None
        names = self.class_names
        outputs = None if result is None else np.asarray(result.outputs)
        if names is not None and (outputs is None or (
                outputs.ndim == 2 and outputs.shape[1] not in (1, len(names)))):
            width = "more" if outputs is None else outputs.shape[1]
            raise UsageError(f"{self.folder / METRICS}: $.class_names: {len(names)} classes, "
                             f"but the model predicts {width}")
        return result

    def evaluate(self, data: str | Path, *, text_column: str = "text",
                 label_column: str = "label", format: str | None = None,
                 out: str | Path | None = None) -> dict:
        """Metrics of the run's model on a labelled file, with the structure of
        ``metrics.json``; with ``out``, also that folder's ``metrics.json``,
        ``predictions.npz``, ``examples.json``, ``report.md`` and ``report.html``.

        Args:
            data: a CSV/TSV/JSONL/JSON file or a folder per class (the readers of training
                data), labels written as the run's class names.
            text_column, label_column, format: as in a spec's ``data`` section.
            out: a new (or empty) folder for the evaluation's files and report.

        Raises:
            DataError: unreadable data, or a label that is not one of the run's classes
                (naming file and row). UsageError: a series run. RunError: ``out`` cannot be
                written.
        """
        from specc.runtime.evaluation import evaluate_file
        return evaluate_file(self, Path(data), text_column=text_column,
                             label_column=label_column, fmt=format,
                             out=None if out is None else Path(out))


def _checked_resolved(parsed: SpecSource) -> dict:
    """A run's ``spec.yaml`` (schema-checked by
    :func:`~specc.reports.runfolder_schema.read_spec_yaml`) resolved again, so every key
    the predictors read is present.

    Raises:
        UsageError: the spec of a pretraining task.
    """
    from specc.loader.defaults import fill_defaults
    from specc.loader.resolve import resolve_kind
    from specc.schema import load_schema
    data = parsed.data
    if get_task(data["task"]).pretraining:
        raise UsageError(f"{parsed.file}: a pretraining run (task {data['task']}) has no predictions; "
                         "its product is the preset folder")
    return resolve_kind(fill_defaults(load_schema(), data), data)


def read_texts(source: str | Path, *, text_column: str = "text", format: str | None = None
               ) -> list[str]:
    """Texts to predict from a file: one column of a CSV/TSV/JSONL/JSON file (the readers
    of training data), or ``-`` for standard input, one text per line.

    Raises:
        DataError: unreadable file, a missing column, a text that is not a string.
    """
    import sys
    if str(source) == "-":
        return [line.rstrip("\r\n") for line in sys.stdin]
    from specc.data.files import read_text_column
    return read_text_column(Path(source), format, text_column, "input file")
