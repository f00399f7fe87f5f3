"""The errors a user can see, each rendered as one line (never a traceback).

* ``InputError``: bad user input (a scenario, parameter, target or data file, or a command-line value);
  the line names the file, the key path, the bad value and what is allowed. Exit status 2.
* ``RunError``: the environment failed the run (disk full, unwritable folder, unreachable scheduler,
  a worker process that died). Exit status 1.
* ``InvariantError``: the model broke one of its own invariants (a ledger, a non-finite metric). It is
  a bug or an unsupported corner of the parameter space; the line says where. Exit status 70.

Every error is picklable, so one raised in a pool worker or on a Dask worker reaches the user as the
same line. Values are formatted lazily (only when the line is rendered) with bounded work and a hard
length cap, so a huge or deeply shared value (a YAML alias bomb) cannot make the error itself slow.
"""

from __future__ import annotations

import difflib
import reprlib
from collections.abc import Iterable

VALUE_CHARS = 80      # a bad value is shown with at most this many characters
KEY_CHARS = 160       # a key path, likewise
LINE_CHARS = 600      # hard cap on the whole line


class Shown(str):
    """A value already rendered for display: its repr is itself (used after pickling)."""

    def __repr__(self) -> str:
        return str(self)


class _Repr(reprlib.Repr):
    """reprlib with bounded work for every type, including integers too long to print."""

    def __init__(self) -> None:
        super().__init__(maxlevel=3, maxtuple=6, maxlist=6, maxarray=6, maxdict=6, maxset=6, maxfrozenset=6,
                         maxdeque=6, maxstring=VALUE_CHARS, maxlong=VALUE_CHARS, maxother=VALUE_CHARS)

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 256:  # str(int) is quadratic, and refused beyond 4,300 digits
            digits = int(x.bit_length() * 0.30103) + 1
            return f"<an integer of about {digits:,} digits>"
        return super().repr_int(x, level)

    def repr_bytes(self, x: bytes, level: int) -> str:
        s = repr(x[: self.maxstring])
        return s if len(x) <= self.maxstring else s[:-1] + "...'"

    def repr_instance(self, x: object, level: int) -> str:
        try:
            return super().repr_instance(x, level)
        except Exception:  # noqa: BLE001 - a broken __repr__ must not hide the error
            return f"<{type(x).__name__}>"


_REPR = _Repr()


def _clip(text: str, limit: int) -> str:
    text = "".join(c if c.isprintable() else " " for c in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def short_repr(value: object, limit: int = VALUE_CHARS) -> str:
    """``repr(value)`` with bounded work and at most ``limit`` characters."""
    if isinstance(value, Shown):
        return _clip(str(value), limit)
    try:
        text = _REPR.repr(value)
    except Exception:  # noqa: BLE001
        text = f"<{type(value).__name__}>"
    return _clip(text, limit)


class GeeseError(Exception):
    """Base of the errors the command line prints as one line."""

    exit_status = 1
    prefix = "error"

    def one_line(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.one_line()


class InputError(GeeseError):
    """Bad user input: a scenario, parameter, target or data file, or a command-line value."""

    exit_status = 2

    def __init__(self, file: object, key: object, value: object, allowed: str):
        super().__init__()
        self.file = None if file is None else str(file)
        self.key = None if key is None else str(key)
        self.value, self.allowed = value, str(allowed)

    def one_line(self) -> str:
        where = _clip(self.file, LINE_CHARS // 2) if self.file else "<input>"
        if self.key:
            where += f": {_clip(self.key, KEY_CHARS)}"
        return _clip(f"{where}: {short_repr(self.value)} is not allowed; {self.allowed}", LINE_CHARS)

    def __reduce__(self):
        # the value travels already rendered: it may be huge, shared, or not picklable at all
        return (_rebuild_input_error, (type(self), self.file, self.key, Shown(short_repr(self.value)), self.allowed))


def _rebuild_input_error(cls: type[InputError], file, key, value, allowed) -> InputError:
    return cls(file, key, value, allowed)


class RunError(GeeseError):
    """The run failed for a reason outside the input: disk, permissions, scheduler, a dead worker."""

    exit_status = 1

    def __init__(self, message: str):
        super().__init__(str(message))
        self.message = str(message)

    def one_line(self) -> str:
        return _clip(self.message, LINE_CHARS)


class InvariantError(RunError):
    """The model broke one of its invariants: a bug or an unsupported corner of the parameter space."""

    exit_status = 70


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A 'did you mean' hint, or an empty string when nothing is close."""
    word = str(word) if not isinstance(word, str) else word
    if len(word) > 100:  # difflib is quadratic; nothing that long is a typo of a name
        return ""
    close = difflib.get_close_matches(word, [c for c in choices if isinstance(c, str)], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
