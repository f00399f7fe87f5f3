"""Safe YAML reading with one-line errors: no tags construct objects, bad bytes name the file."""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import InputError


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses repeated keys instead of silently keeping the last one."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise InputError(None, f"line {key_node.start_mark.line + 1}", key, "each key may appear only once")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_text(path: str | Path) -> str:
    """A file's text as UTF-8, or an InputError for missing, binary or non-UTF-8 files."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(str(path), None, str(path), "the file does not exist") from None
    except IsADirectoryError:
        raise InputError(str(path), None, str(path), "expected a file, got a directory") from None
    except OSError as exc:
        raise InputError(str(path), None, str(path), f"cannot read it ({exc.strerror})") from None
    if b"\x00" in data:
        raise InputError(str(path), None, "<binary data>", "expected a UTF-8 text YAML file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), None, data[exc.start : exc.start + 4],
                         f"expected UTF-8 text (bad byte at offset {exc.start})") from None


def load_yaml(text: str, file: str | Path) -> dict:
    """Parse YAML with ``yaml.safe_load`` and require a non-empty mapping at the top."""
    try:
        doc = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except InputError as exc:
        raise InputError(str(file), exc.key, exc.value, exc.allowed) from None
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        problem = str(getattr(exc, "problem", "") or "")
        tag = problem.split("tag", 1)[-1].strip(" '").replace("tag:yaml.org,2002:", "!!")
        raise InputError(str(file), f"line {line}", f"tag {tag or '?'}",
                         "YAML tags (such as !!python/object) are not allowed; use plain values") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}" if mark else None
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise InputError(str(file), line, "YAML syntax", f"{problem}; fix the YAML syntax") from None
    if doc is None:
        raise InputError(str(file), None, "<empty>", "expected a YAML mapping, the file is empty")
    if not isinstance(doc, dict):
        raise InputError(str(file), None, type(doc).__name__, "expected a YAML mapping at the top level")
    return doc


def load_yaml_file(path: str | Path) -> dict:
    return load_yaml(read_text(path), path)
