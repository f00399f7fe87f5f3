"""One error type for everything a user can get wrong.

A user error is rendered as a single line naming the file, the key path, the bad value and what is
allowed, so the command line can print it without a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class InputError(Exception):
    """Bad user input: a scenario, parameter, target or data file, or a command-line value."""

    def __init__(self, file: str | None, key: str | None, value: object, allowed: str):
        self.file, self.key, self.value, self.allowed = file, key, value, allowed
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = str(self.file) if self.file else "<input>"
        if self.key:
            where += f": {self.key}"
        value = repr(self.value)
        if len(value) > 80:
            value = value[:77] + "..."
        return f"{where}: {value} is not allowed; {self.allowed}".replace("\n", " ")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A 'did you mean' hint, or an empty string when nothing is close."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
