"""Reading a results folder (``summary.csv``, ``flows.csv``, ``manifest.json``) for the figures."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from .style import REGIONS

SUMMARY_COLUMNS = ("year", "region", "metric", "mean", "p05", "p95")
FLOW_COLUMNS = ("seed", "year", "flow", "category", "origin", "destination", "value")


def _read_csv(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """Read a results CSV, raising a one-line ``ValueError`` if it is missing or lacks columns."""
    if not path.is_file():
        raise ValueError(f"{path}: file not found; expected a results folder with {path.name}")
    frame = pd.read_csv(path)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}")
    return frame


def read_summary(result_dir: Path) -> pd.DataFrame:
    """``summary.csv`` of a results folder."""
    return _read_csv(Path(result_dir) / "summary.csv", SUMMARY_COLUMNS)


def read_flows(result_dir: Path) -> pd.DataFrame:
    """``flows.csv`` of a results folder."""
    return _read_csv(Path(result_dir) / "flows.csv", FLOW_COLUMNS)


def read_manifest(result_dir: Path) -> dict:
    """``manifest.json`` of a results folder, or an empty manifest if there is none."""
    path = Path(result_dir) / "manifest.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None


def scenario_name(manifest: dict, result_dir: Path) -> str:
    """The scenario name of the manifest, falling back to the folder name."""
    return str(manifest.get("name") or Path(result_dir).name)


def seed_count(manifest: dict) -> int | None:
    """Number of seeds in the manifest, if recorded."""
    seeds = manifest.get("seeds")
    count = seeds.get("count") if isinstance(seeds, dict) else seeds
    return int(count) if isinstance(count, int | float) else None


def ordered_regions(manifest: dict) -> list[str]:
    """The four regions in canonical order (those of the manifest if it names them)."""
    listed = manifest.get("regions") or REGIONS
    return [r for r in REGIONS if r in listed] + [r for r in listed if r not in REGIONS and r != "national"]


def in_order(present: Iterable[str], preferred: Sequence[str]) -> list[str]:
    """``present`` items in ``preferred`` order, unknown ones after them in sorted order."""
    present = set(present)
    return [p for p in preferred if p in present] + sorted(present - set(preferred))
