"""Loaders of the named datasets; :mod:`specc.data.registry` lists and verifies them.

Each loader takes ``(data_dir, options)`` — the folder holding the verified files and
the dataset's options with defaults filled in — and returns a dataset object.
"""
