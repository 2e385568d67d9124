"""``specc tune``: hyperparameter search over a spec's ``search:`` section, on Optuna.

The layers, bottom up: :mod:`~specc.tune.space` (the search space: Optuna distributions
from the spec, a trial's spec from its parameters), :mod:`~specc.tune.study` (storage,
sampler, pruner, the trial budget shared by every process of a study),
:mod:`~specc.tune.pruning` (the Keras callback that reports each epoch to Optuna),
:mod:`~specc.tune.tables` (the trials table and Optuna's plots) and
:mod:`~specc.tune.runner` (the loop and the final step: ``best.yaml`` and the one test
evaluation). Optuna: https://optuna.readthedocs.io (Akiba et al., KDD 2019).
"""
