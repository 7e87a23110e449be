"""The Finding type: the one shape every check in cardguard produces.

This is the ground floor: it imports nothing from the rest of the package but ``record``.
"""

from __future__ import annotations

import enum

from cardguard.record import Record, factory


class Severity(enum.IntEnum):
    """How bad a finding is; ordered so that ``severity >= fail_on`` works."""

    INFO = 0
    WARNING = 1
    ERROR = 2

    @classmethod
    def parse(cls, name: str) -> "Severity":
        try:
            return cls[name.strip().upper()]
        except KeyError:
            choices = ", ".join(s.name.lower() for s in cls)
            raise ValueError(f"unknown severity {name!r} (choose from {choices})") from None

    def __str__(self) -> str:
        return self.name.lower()


# The key of ``Finding.extra`` naming the command that fixes a finding, when a rule knows one
# (rules/unsynced.py: `cardguard sync`, ...); report/formats.py marks such findings with [*].
FIX_COMMAND = "fix_command"


class Autofix(Record, frozen=True):
    """A change of the card's metadata that cardguard is certain of (``--fix`` applies it).

    ``rename-key``: the top-level key ``old`` becomes ``new`` (``path`` is ``(old,)``);
    ``set-value``: the scalar at ``path`` changes from ``old`` to ``new``;
    ``remove-key``: the scalar ``old`` at ``path``, a key of a nested mapping, is deleted with
    its key (``new`` is None): the Hub reads a missing key as no value, and refuses a null
    where it wants a string (Trainer's ``dataset: config: null``; ``old`` None), or shows
    Trainer's text ``split: None`` as a split (``old`` 'None').
    """

    action: str
    path: tuple
    old: object
    new: object

    def describe(self) -> str:
        """``license 'Apache-2.0' -> 'apache-2.0'``, ``key 'licence' -> 'license'``."""
        if self.action == "rename-key":
            return f"key {self.old!r} -> {self.new!r}"
        if self.action == "remove-key":
            where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in self.path)
            return f"{where[1:]} {'(empty)' if self.old is None else repr(self.old)} removed"
        where = ".".join(str(part) for part in self.path)
        return f"{where} {self.old!r} -> {self.new!r}"


class Finding(Record, frozen=True):
    """One problem, at one place, with a stable rule code.

    ``line`` and ``column`` are 1-based; a finding about a whole file uses line 1, column 1.
    ``fix`` is a human-readable suggestion where one is known; ``autofix``, the same change
    in a form ``--fix`` can apply, where cardguard is certain of it.
    """

    code: str
    severity: Severity
    path: str
    line: int
    column: int
    message: str
    fix: str | None = None
    end_line: int | None = None
    extra: dict = factory(dict, compare=False)
    autofix: Autofix | None = None

    def __init__(
        self, code: str, severity: Severity, path: str, line: int, column: int, message: str,
        fix: str | None = None, end_line: int | None = None, extra: dict | None = None,
        autofix: Autofix | None = None,
    ) -> None:
        # Written out rather than Record's generic one: a batch run makes findings by the
        # thousand. The fields go straight into the instance's dict (a frozen record refuses
        # __setattr__, and object.__setattr__ per field costs more than all of this); item by
        # item rather than dict.update(code=code, ...), which first builds a dict of its
        # keywords: callgrind counts 6.3 k instructions per finding against 7.6 k.
        fields = self.__dict__
        fields["code"] = code
        fields["severity"] = severity
        fields["path"] = path
        fields["line"] = line
        fields["column"] = column
        fields["message"] = message
        fields["fix"] = fix
        fields["end_line"] = end_line
        fields["extra"] = {} if extra is None else extra
        fields["autofix"] = autofix

    def with_severity(self, severity: Severity) -> "Finding":
        return self.replace(severity=severity)

    def with_path(self, path: str) -> "Finding":
        return self.replace(path=path)

    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column, self.code, self.message)
