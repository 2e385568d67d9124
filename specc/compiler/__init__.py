"""The compiler: a validated spec's layer stack -> a Keras 3 model.

``registry`` holds one entry per supported layer (schema fragment, shape rule
with its semantic checks, Keras constructor); ``layers`` fills it; ``shapes``
walks a stack symbolically for ``specc validate``; ``model`` builds the Keras
model. Nothing here imports Keras at module import time except ``model``.
"""
