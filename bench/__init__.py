"""specc benchmarks: specc against the same models written by hand in Keras (``bench/run.py``)."""
