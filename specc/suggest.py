""""Did you mean" suggestions for misspelt names (layers, arguments, options)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'X'?)"`` for the closest choice, or ``""`` when none is close.

    Matching is case-insensitive first (``lstm`` -> ``LSTM``), then by
    :func:`difflib.get_close_matches` with cutoff 0.6.
    """
    if not isinstance(word, str):
        return ""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered:
        return f" (did you mean '{lowered[word.lower()]}'?)"
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close:
        close = [lowered[m] for m in difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)]
    return f" (did you mean '{close[0]}'?)" if close else ""
