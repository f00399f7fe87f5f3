"""Operations on scenarios for the toolkit (issue 13): dotted overrides, the difference from the base,
and changes that act before a child's first lever year.

The merge rules themselves live in ``scenario._merge`` (README, "Scenario files: merge rules").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import InputError
from .scenario import FIRST_YEAR, Levers, Scenario, raw_with_bases, scenario_from_dict


# --- geese run --set KEY=VALUE ---------------------------------------------------------------------

def parse_set(text: str) -> tuple[list[str | int], object]:
    """``levers.carbon_price.path.2030=300`` -> (['levers', 'carbon_price', 'path', 2030], 300)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise InputError("--set", None, text, "KEY=VALUE with a dotted key, e.g. levers.carbon_price.path.2030=300 "
                                              "or params.talent.mobility_high=3")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        raise InputError("--set", key, raw, "a YAML value: a number, a word, or [a, b] / {k: v}") from None
    if isinstance(value, str):  # YAML 1.1 reads 1e9 as a string; on the command line it means a number
        try:
            value = float(value) if value.strip().lower() not in ("nan", "inf", "-inf", "+inf", "infinity") else value
        except ValueError:
            pass
    parts: list[str | int] = []
    split = key.split(".")
    if split[0] == "params" and len(split) > 1:  # parameter names are dotted themselves
        return ["params", ".".join(split[1:])], value
    for p in split:
        parts.append(int(p) if p.isdigit() else p)
    return parts, value


def apply_sets(doc: dict, sets: list[str]) -> dict:
    """The raw scenario ``doc`` with each ``KEY=VALUE`` applied (then validated by the caller's schema)."""
    import copy

    out = copy.deepcopy(doc)
    for text in sets:
        parts, value = parse_set(text)
        node: Any = out
        for i, part in enumerate(parts[:-1]):
            nxt = parts[i + 1]
            if isinstance(node, list):
                if not isinstance(part, int) or not 0 <= part < len(node):
                    raise InputError("--set", ".".join(map(str, parts[:i + 1])), part,
                                     f"an index of the list, 0 to {len(node) - 1}")
                node = node[part]
                continue
            if not isinstance(node, dict):
                raise InputError("--set", ".".join(map(str, parts[:i])), text, "a key inside a mapping")
            if node.get(part) is None:
                node[part] = [] if isinstance(nxt, int) and part != "path" else {}
            node = node[part]
        last = parts[-1]
        if isinstance(node, list):
            if not isinstance(last, int) or not 0 <= last <= len(node):
                raise InputError("--set", ".".join(map(str, parts)), last, f"an index 0 to {len(node)}")
            if last == len(node):
                node.append(value)
            else:
                node[last] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise InputError("--set", ".".join(map(str, parts[:-1])), text, "a key inside a mapping")
    return out


def load_with_sets(path: Path, sets: list[str]) -> Scenario:
    """A scenario file with ``--set`` overrides applied before the schema checks them."""
    doc = apply_sets(raw_with_bases(path), sets)
    return scenario_from_dict(doc, f"{path} with --set")


# --- the difference from the base ------------------------------------------------------------------

def base_file(path: Path) -> Path | None:
    """The file a scenario's ``base:`` names (as ``scenario._raw_with_bases`` finds it), or None."""
    from .scenario import SCENARIO_DIR
    from .yamlio import load_yaml_file

    base = load_yaml_file(path).get("base")
    if not isinstance(base, str):
        return None
    for c in (path.parent / f"{base}.yaml", SCENARIO_DIR / f"{base}.yaml"):
        if c.is_file():
            return c
    return None


def _flat(obj: object, prefix: str = "") -> dict[str, object]:
    if isinstance(obj, dict):
        out: dict[str, object] = {}
        for k, v in obj.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
        return out or {prefix: {}}
    return {prefix: obj}


def differences(base: Scenario, child: Scenario) -> list[tuple[str, object, object]]:
    """(key, base value, child value) for every leaf that differs; lever lists compare as whole lists."""
    a = _flat(base.model_dump(mode="json", by_alias=True))
    b = _flat(child.model_dump(mode="json", by_alias=True))
    return [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b), key=lambda k: (k not in a, k))
            if a.get(k) != b.get(k) and k not in ("name", "description")]


def _policy_in(sc: Scenario, year: int) -> dict:
    """Everything the levers and shocks do in ``year`` (for finding the first year two scenarios differ)."""
    out: dict[str, object] = {}
    for name in Levers.model_fields:
        entries = getattr(sc.levers, name)
        if isinstance(entries, list):
            active = [e.model_dump(mode="json", exclude={"start", "end"}) for e in entries if e.active(year)]
            out[name] = sorted(active, key=repr)
    cp = sc.levers.carbon_price
    out["carbon_price"] = (0.0,)
    if cp is not None:
        price = round(cp.price(year), 9)  # coverage and allocation matter only while there is a price
        acting = ({s: c.share for s, c in cp.covered().items() if c.start <= year}, cp.free_share(year))
        out["carbon_price"] = (price, repr(acting)) if price > 0 else (0.0,)
    out["shocks"] = sorted(repr(s.model_dump(mode="json")) for s in sc.shocks if s.year == year)
    return out


def own_first_year(child_doc: dict) -> int | None:
    """The first year any lever entry or shock the child file itself declares starts acting."""
    years: list[int] = []
    levers = child_doc.get("levers") or {}
    for name, v in levers.items() if isinstance(levers, dict) else ():
        if isinstance(v, list):
            years += [e.get("from", FIRST_YEAR) for e in v if isinstance(e, dict)]
        elif isinstance(v, dict) and isinstance(v.get("path"), dict):
            years += [int(y) for y in v["path"] if str(y).isdigit()]
            years += [c.get("from") for c in (v.get("coverage") or {}).values() if isinstance(c, dict)]
            if isinstance(v.get("free_allocation"), dict):
                years += [int(y) for y in v["free_allocation"] if str(y).isdigit()]
    years += [s.get("year") for s in child_doc.get("shocks") or [] if isinstance(s, dict)]
    years = [y for y in years if isinstance(y, int)]
    return min(years) if years else None


def early_changes(path: Path, child: Scenario) -> list[tuple[str, object, str]]:
    """A child that differs from its base before its own first lever year: (key, year, why) to warn about.

    E.g. a child that gives a carbon price from 2030 but (with an older merge rule) loses the base's
    2021-2024 prices changes the run from 2021. Parameter overrides act from the start by design and
    are not reported.
    """
    from .scenario import load_scenario
    from .yamlio import load_yaml_file

    bf = base_file(path)
    if bf is None:
        return []
    first = own_first_year(load_yaml_file(path))
    if first is None:
        return []
    base = load_scenario(bf)
    for year in range(FIRST_YEAR + 1, min(first, child.last_year + 1)):
        a, b = _policy_in(base, year), _policy_in(child, year)
        changed = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
        if changed:
            return [(f"levers.{changed[0]}" if changed[0] != "shocks" else "shocks", year,
                     f"the scenario differs from its base {bf.stem} from {year}, before its own first lever year "
                     f"{first}; check that it keeps what the base does before then (README, merge rules)")]
    return []
