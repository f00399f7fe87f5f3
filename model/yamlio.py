"""Safe, bounded YAML reading with one-line errors.

* Only regular files are read (a FIFO, a device or a socket is refused without blocking), up to
  ``MAX_FILE_BYTES``; bad bytes name the file and the offset.
* No tag constructs an object (a ``SafeLoader``); a repeated key is an error, and so is a key that is
  a list or a mapping.
* Nesting is bounded (``MAX_DEPTH``), and so is what aliases expand to (``MAX_NODES``), so an alias
  bomb fails fast with one line instead of eating memory.
* Numbers follow YAML 1.2 (core schema): ``2e-1`` is a number. Forms that YAML 1.1 and 1.2 read
  differently are errors that say so: ``010`` (octal 8 in 1.1, 10 in 1.2), ``1:20`` (80 in 1.1, text in
  1.2), ``0b101`` and ``1_000``. Quote them to mean text.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .errors import InputError, Shown

MAX_FILE_BYTES = 1 << 20   # 1 MiB: scenario, parameter and target files are a few kB
MAX_DEPTH = 32             # nesting of mappings and lists, counted through aliases
MAX_NODES = 100_000        # values after alias expansion
MAX_INT_DIGITS = 30        # longer integers are refused (no model input needs more)

INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
AMBIGUOUS_TAG = "tag:flying-geese,2026:yaml11-number"
MERGE_TAG = "tag:yaml.org,2002:merge"

# YAML 1.2 core schema
_INT_12 = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT_12 = re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                       r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
# Numbers in YAML 1.1 that YAML 1.2 reads otherwise (or not at all): refused, never guessed.
_AMBIGUOUS = re.compile(r"""^(?:[-+]?0[0-9_]+                           # 010: octal in 1.1
                            |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?  # 1:20 base 60 in 1.1
                            |[-+]?0b[01_]+                               # binary in 1.1 only
                            |[-+]?[0-9][0-9_]*_[0-9_]*(?:\.[0-9_]*)?      # 1_000: digit groups in 1.1
                            |[-+]0x[0-9a-fA-F_]+|0x[0-9a-fA-F]*_[0-9a-fA-F_]*
                            |[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*_[0-9_]*(?:[eE][-+][0-9]+)?
                            )$""", re.X)
_DIGITS = "-+0123456789"


def _resolvers() -> dict:
    """SafeLoader's implicit resolvers with the YAML 1.1 int and float rules replaced by YAML 1.2's."""
    table = {ch: [(tag, rx) for tag, rx in rules if tag not in (INT_TAG, FLOAT_TAG)]
             for ch, rules in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    for ch in _DIGITS + ".":
        table.setdefault(ch, [])
    for ch in _DIGITS:  # order matters: the first matching rule wins
        table[ch][:0] = [(AMBIGUOUS_TAG, _AMBIGUOUS), (INT_TAG, _INT_12)]
    for ch in _DIGITS + ".":
        table[ch].insert(2 if ch in _DIGITS else 0, (FLOAT_TAG, _FLOAT_12))
    return table


def _line(node) -> str:
    return f"line {node.start_mark.line + 1}" if node is not None and node.start_mark else None


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 numbers, unique hashable keys, and bounded depth and expansion."""

    yaml_implicit_resolvers = _resolvers()

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    # --- composing: depth and alias expansion are checked before anything is built
    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise InputError(None, f"line {mark.line + 1}", Shown(f"nesting deeper than {MAX_DEPTH}"),
                                 f"at most {MAX_DEPTH} levels of nested mappings and lists")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_document(self):
        node = super().compose_document()
        _check_expansion(node)
        return node

    # --- constructing
    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            if not isinstance(key_node, ScalarNode):
                raise InputError(None, _line(key_node), Shown(f"a {'list' if isinstance(key_node, SequenceNode) else 'mapping'} as a key"),
                                 "mapping keys must be plain values such as names or years")
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise InputError(None, _line(key_node), Shown(f"a {type(key).__name__} as a key"),
                                 "mapping keys must be plain values such as names or years") from None
            if key in seen:
                raise InputError(None, _line(key_node), key, "each key may appear only once")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node):
        text = self.construct_scalar(node)
        sign, body = (-1, text[1:]) if text[:1] == "-" else (1, text.lstrip("+"))
        digits = body[2:] if body[:2] in ("0x", "0o") else body
        if len(digits) > MAX_INT_DIGITS:
            raise InputError(None, _line(node), Shown(f"an integer of {len(digits):,} digits"),
                             f"integers have at most {MAX_INT_DIGITS} digits")
        base = 16 if body[:2] == "0x" else 8 if body[:2] == "0o" else 10
        return sign * int(digits, base)

    def construct_yaml11_number(self, node):
        text = self.construct_scalar(node)
        raise InputError(None, _line(node), Shown(text[:40]),
                         "a number that YAML 1.1 and YAML 1.2 read differently (leading zero, base 60 "
                         "such as 1:20, 0b binary or _ digit groups); write a plain decimal number, or quote it for text")

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise InputError(None, _line(node), self.construct_scalar(node), f"not a valid date ({exc})") from None


_Loader.add_constructor(INT_TAG, _Loader.construct_yaml_int)
_Loader.add_constructor(AMBIGUOUS_TAG, _Loader.construct_yaml11_number)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _check_expansion(root) -> None:
    """Refuse documents whose aliases expand beyond ``MAX_NODES`` values or ``MAX_DEPTH`` levels, or loop."""
    if root is None:
        return
    memo: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded size, height)
    active: set[int] = set()

    def fail(node, what: str, allowed: str):
        raise InputError(None, _line(node), Shown(what), allowed)

    def walk(node, depth: int) -> tuple[int, int]:
        if depth > MAX_DEPTH:
            fail(node, f"nesting deeper than {MAX_DEPTH} (through aliases)",
                 f"at most {MAX_DEPTH} levels of nested mappings and lists")
        key = id(node)
        if key in memo:
            size, height = memo[key]
            if depth + height - 1 > MAX_DEPTH:
                fail(node, f"nesting deeper than {MAX_DEPTH} (through aliases)",
                     f"at most {MAX_DEPTH} levels of nested mappings and lists")
            return size, height
        if key in active:
            fail(node, "an alias inside its own anchor", "aliases may not refer to the value that contains them")
        if isinstance(node, ScalarNode):
            memo[key] = (1, 1)
            return 1, 1
        active.add(key)
        children = node.value if isinstance(node, SequenceNode) else [n for kv in node.value for n in kv]
        size, height = 1, 1
        for child in children:
            s, h = walk(child, depth + 1)
            size, height = size + s, max(height, h + 1)
            if size > MAX_NODES:
                fail(node, f"more than {MAX_NODES:,} values after expanding aliases",
                     f"at most {MAX_NODES:,} values (is it an alias bomb?)")
        active.discard(key)
        memo[key] = (size, height)
        return size, height

    walk(root, 1)


def read_bytes(path: str | Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """A regular file's bytes, never blocking on a FIFO or reading an endless device."""
    p = str(path)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(p, None, p, "the file does not exist") from None
    except IsADirectoryError:
        raise InputError(p, None, p, "expected a file, got a directory") from None
    except OSError as exc:
        why = "the name is too long" if exc.errno == errno.ENAMETOOLONG else exc.strerror or "error"
        raise InputError(p, None, p, f"cannot read it ({why})") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise InputError(p, None, p, "expected a file, got a directory")
        if not stat.S_ISREG(mode):
            kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                    else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
            raise InputError(p, None, p, f"expected a regular file, got {kind}")
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 16, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise InputError(p, None, Shown(f"a file of more than {limit:,} bytes"),
                             f"input files are at most {limit // 1024:,} KiB")
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(p, None, p, f"cannot read it ({exc.strerror})") from None
    finally:
        os.close(fd)


def read_text(path: str | Path) -> str:
    """A file's text as UTF-8, or an InputError for missing, special, oversized, binary or non-UTF-8 files."""
    data = read_bytes(path)
    if b"\x00" in data:
        raise InputError(str(path), None, Shown("<binary data>"), "expected a UTF-8 text YAML file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), None, data[exc.start : exc.start + 4],
                         f"expected UTF-8 text (bad byte at offset {exc.start})") from None


def load_yaml(text: str, file: str | Path) -> dict:
    """Parse YAML safely (see the module doc) and require a non-empty mapping at the top."""
    if len(text) > MAX_FILE_BYTES:
        raise InputError(str(file), None, Shown(f"a text of {len(text):,} characters"),
                         f"input files are at most {MAX_FILE_BYTES // 1024:,} KiB")
    try:
        doc = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except InputError as exc:
        raise InputError(str(file), exc.key, exc.value, exc.allowed) from None
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        problem = str(getattr(exc, "problem", "") or "")
        if "tag" not in problem:
            raise InputError(str(file), f"line {line}", "YAML value", f"{problem or 'cannot be read'}") from None
        tag = problem.split("tag", 1)[-1].strip(" '").replace("tag:yaml.org,2002:", "!!")
        raise InputError(str(file), f"line {line}", Shown(f"tag {tag or '?'}"),
                         "YAML tags (such as !!python/object) are not allowed; use plain values") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}" if mark else None
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or "invalid YAML"
        raise InputError(str(file), line, "YAML syntax", f"{problem}; fix the YAML syntax") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # a constructor refused a value
        raise InputError(str(file), None, "YAML value", f"cannot be read ({type(exc).__name__})") from None
    if doc is None:
        raise InputError(str(file), None, Shown("<empty>"), "expected a YAML mapping, the file is empty")
    if not isinstance(doc, dict):
        raise InputError(str(file), None, type(doc).__name__, "expected a YAML mapping at the top level")
    return doc


if getattr(yaml, "__with_libyaml__", False):
    class _FastLoader(yaml.cyaml.CParser, _Loader):
        """``_Loader`` with libyaml's C parser (about 8x faster): the same resolvers and constructors, and the
        same bounds on the composed document (``_check_expansion`` covers depth and alias expansion)."""

        def __init__(self, stream):
            yaml.cyaml.CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._depth = 0

        def get_single_node(self):
            node = yaml.cyaml.CParser.get_single_node(self)
            _check_expansion(node)
            return node
else:  # pragma: no cover - PyYAML built without libyaml
    _FastLoader = None


def load_packaged_yaml(text: str, file: str | Path) -> dict:
    """``load_yaml`` for the data files shipped with the model (read at every model set-up): parsed with
    libyaml's C parser when PyYAML has it (~0.14 s less per process at full scale), which gives the same
    document for these files (tests/test_bad_input.py); anything unexpected goes through ``load_yaml``, so
    errors read the same."""
    if _FastLoader is not None and len(text) <= MAX_FILE_BYTES:
        try:
            doc = yaml.load(text, Loader=_FastLoader)  # noqa: S506 - a SafeLoader subclass
        except Exception:  # noqa: BLE001 - the pure-Python parser below reports it
            doc = None
        if isinstance(doc, dict) and doc:
            return doc
    return load_yaml(text, file)


def load_yaml_file(path: str | Path) -> dict:
    return load_yaml(read_text(path), path)
