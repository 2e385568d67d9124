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

from specc.compiler.tasks import get_task
from specc.core.files import check_regular_file
from specc.core.yaml_source import SpecSource, parse_spec
from specc.errors import SpecError, UsageError
from specc.loader.spec import Spec
from specc.loader.validate import load_spec
from specc.reports.runfiles import read_history, read_metrics

__all__ = ["load_spec", "train", "load_run", "Run", "Spec"]

MAX_SPEC_YAML_BYTES = 1 << 20
"""Largest ``spec.yaml`` read from a run folder."""


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
        from specc.core.quiet import import_keras
        import_keras()
    from specc.runtime.train import train_spec
    return Run(train_spec(spec, out=out, log=callback or _quiet))


def load_run(folder: str | Path) -> "Run":
    """The finished run in ``folder`` (see :class:`Run`).

    Raises:
        UsageError: not a finished run folder, or a damaged or refused run file.
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
            ``spec.yaml`` is missing or malformed, or it holds a pickle file.
    """

    def __init__(self, folder: str | Path):
        from specc.runtime.safe_load import refuse_pickles
        self.folder = Path(folder)
        self.metrics = read_metrics(self.folder)
        if not isinstance(self.metrics, dict):
            raise UsageError(f"{self.folder / 'metrics.json'}: not a JSON object")
        refuse_pickles(self.folder)
        path = check_regular_file(self.folder / "spec.yaml", MAX_SPEC_YAML_BYTES)
        try:
            text = path.read_text(encoding="utf-8")
            parsed = parse_spec(text, str(path))  # alias bombs and tags refused
        except (OSError, UnicodeDecodeError) as e:
            raise UsageError(f"{path}: cannot be read ({type(e).__name__})") from None
        except SpecError as e:
            raise UsageError(f"{path}: not a readable spec ({e.issues[0].message})") from None
        self.spec = Spec(path, parsed.data, _checked_resolved(parsed), text, self.folder)
        names = self.metrics.get("class_names")
        if self.spec.task_def.classification and not (
                isinstance(names, list) and len(names) >= 2
                and all(isinstance(n, str) for n in names)):
            raise UsageError(f"{self.folder / 'metrics.json'}: class_names must be a list of 2 "
                             "or more strings")
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
        """``history.csv``: ``{metric: [value per epoch]}`` (``loss``, ``val_accuracy``, ...)."""
        return read_history(self.folder / "history.csv")

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
            UsageError: ``texts`` is a string or holds a non-string.
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
        return self.predictor.predict(texts, batch_size)

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
    """A run's ``spec.yaml`` checked against the JSON Schema (types and keys only: the data
    and presets it names need not exist here) and resolved again, so every key the
    predictors read is present.

    Raises:
        UsageError: not a schema-valid spec of a trained (not pretraining) task.
    """
    from specc.loader.defaults import fill_defaults
    from specc.loader.resolve import resolve_kind
    from specc.loader.validate import schema_issues
    from specc.schema import load_schema
    data, issues = parsed.data, schema_issues(parsed)
    if issues or not isinstance(data, dict):
        raise UsageError(f"{issues[0]}" if issues else f"{parsed.file}: not a spec mapping")
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
