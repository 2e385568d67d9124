"""Helpers every other package may import, and which import no other specc package
but :mod:`specc.errors`: atomic file writes (:mod:`specc.core.files`), quiet Keras and
keras-hub imports (:mod:`specc.core.quiet`) and the on-disk cache
(:mod:`specc.core.cache`). Nothing here imports TensorFlow, Keras or scikit-learn at
module level, so ``specc validate`` stays framework-free.
"""
