"""specc: a declarative model-spec compiler for Keras text and sequence models.

The public API (the ``specc`` command is a thin layer over it)::

    import specc
    spec = specc.load_spec("specs/lstm.yaml")       # a read-only, validated Spec
    run = specc.train(spec, out="runs/x")            # -> specc.Run
    run = specc.load_run("runs/x")
    run.predict(["a great film", "dull"])            # -> labels, probabilities per class
    run.evaluate("my_labelled.csv")                  # -> metrics (metrics.json's structure)
    specc.tune("spec_with_search.yaml", out="tunes/x")  # Optuna trials, best.yaml, best run

Names are imported on first use, so ``import specc`` stays light (no TensorFlow).
Pipeline: loader (YAML + validation) -> compiler (Keras model) -> runtime (data,
preprocessing, training, prediction) -> reports (metrics, Markdown, plots) -> API/CLI.
"""

__version__ = "0.1.0"

__all__ = ["load_spec", "train", "tune", "load_run", "Run", "Spec", "Predictions",
           "SpeccError", "SpecError", "DataError", "RunError", "UsageError", "__version__"]

_WHERE = {"load_spec": "specc.api", "train": "specc.api", "tune": "specc.api", "load_run": "specc.api",
          "Run": "specc.api", "Spec": "specc.api",
          "Predictions": "specc.runtime.predictors",
          "SpeccError": "specc.errors", "SpecError": "specc.errors", "DataError": "specc.errors",
          "RunError": "specc.errors", "UsageError": "specc.errors"}


def __getattr__(name: str):
    """Import a public name on first use (PEP 562)."""
    if name in _WHERE:
        import importlib
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'specc' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
