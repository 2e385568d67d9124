"""specc: a declarative model-spec compiler for Keras text and sequence models.

Pipeline: schema -> loader (YAML + validation) -> compiler (Keras model) ->
runtime (data, preprocessing, training) -> reports (metrics, Markdown, plots).
"""

__version__ = "0.1.0"
