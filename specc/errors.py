"""Exceptions that specc shows to users as one line, never as a traceback.

Every error a user can cause (a bad spec, missing data, an unwritable folder)
is a subclass of :class:`SpeccError`. The CLI catches exactly this base class,
prints ``str(error)`` and exits non-zero; anything else is a bug in specc.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class SpeccError(Exception):
    """Base class of every error meant for the user. ``exit_code`` is the CLI's exit status."""

    exit_code = 1


class UsageError(SpeccError):
    """Wrong command-line use or an unreadable input file (CLI exit status 2)."""

    exit_code = 2


class DataError(SpeccError):
    """A dataset or data file is missing, malformed or inconsistent with the spec.

    The message names the file (and the row, where one applies).
    """


class RunError(SpeccError):
    """Training or evaluation cannot proceed (unwritable run folder, NaN loss, ...)."""


class Interrupted(RunError):
    """Training was stopped with Ctrl-C (SIGINT); the message says how to resume."""

    exit_code = 130


def one_line(text: str) -> str:
    """``text`` with every non-printable character (newlines, tabs, control and line-separator
    characters a spec key may hold) written as its escape, so a message stays one line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


@dataclass(frozen=True, order=True)
class SpecIssue:
    """One problem found in a spec file.

    Attributes:
        file: path of the spec as given by the user (or the ``--set PATH=VALUE`` flag an
            override problem comes from).
        line: 1-based line of the offending node (0 when unknown or for a flag).
        column: 1-based column of the offending node (0 when unknown or for a flag).
        path: JSONPath-like location, e.g. ``$.model.layers[2].units``.
        message: what is wrong and, where possible, how to fix it.
        severity: ``error`` (the spec is wrong) or ``warning`` (the spec is right but a
            resource it names is absent on this machine: a data file, a preset folder, a
            named vocabulary; ``specc validate --strict`` and ``specc train`` treat warnings
            as errors).
    """

    file: str
    line: int
    column: int
    path: str
    message: str = field(compare=True)
    severity: str = field(default="error", compare=False)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        level = "warning: " if self.severity == "warning" else ""
        return one_line(f"{where}: {level}{self.path}: {self.message}")

    def as_dict(self) -> dict:
        """The issue as a JSON-ready dict (keys: file, line, column, path, message, severity)."""
        return {"file": self.file, "line": self.line, "column": self.column,
                "path": self.path, "message": self.message, "severity": self.severity}

    def as_error(self) -> "SpecIssue":
        """This issue with severity ``error`` (``--strict``, or a run that needs the resource)."""
        return SpecIssue(self.file, self.line, self.column, self.path, self.message)


class SpecError(SpeccError):
    """A spec failed validation. ``issues`` holds every problem found, sorted by position."""

    def __init__(self, issues: list[SpecIssue]):
        self.issues = sorted(issues)
        super().__init__("\n".join(str(i) for i in self.issues))
