"""End to end at tiny scale: `geese run`, `validate`, `list`, `compare`, the results contract,
determinism across worker counts, and atomic writes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import model.results
from model import SECTORS
from model.cli import main
from model.recorder import CORE_METRICS, METRICS
from model.regions import load_region_data

REPO = Path(__file__).resolve().parent.parent
REGIONS = ("east", "central", "west", "northeast")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NAME = "tiny-cli"
TINY = f"name: {NAME}\nbase: baseline\nscale: tiny\nseeds: 2\nyears: [2012, 2020]\n"
YEARS = list(range(2012, 2021))
CSVS = ("timeseries.csv", "summary.csv", "flows.csv")


def _scenario(dir_: Path, text: str = TINY, name: str = "tiny.yaml") -> Path:
    dir_.mkdir(parents=True, exist_ok=True)
    path = dir_ / name
    path.write_text(text, encoding="utf-8")
    return path


def _run(*argv) -> int:
    return main([str(a) for a in argv])


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """One tiny run WITH plots, workers 1; several tests read its folder."""
    base = tmp_path_factory.mktemp("tiny")
    path = _scenario(base)
    out = base / "out"
    rc = _run("run", path, "--out", out, "--workers", "1")
    return rc, out / NAME, path


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The README flow: run two shipped scenarios (at tiny scale) into one folder."""
    out = tmp_path_factory.mktemp("readme") / "results"
    rc = _run("run", REPO / "scenarios" / "baseline.yaml", REPO / "scenarios" / "ne-talent.yaml",
              "--scale", "tiny", "--seeds", "2", "--years", "2012:2028", "--workers", "2", "--out", out)
    return rc, out


# --- geese run: the results contract -----------------------------------------------------------

def test_run_exit_status_and_files(cli_run):
    rc, target, _ = cli_run
    assert rc == 0
    assert target.is_dir()
    for f in (*CSVS, "manifest.json"):
        assert (target / f).is_file(), f
    # nothing else next to the target: no temp or backup folders left behind
    assert [p.name for p in target.parent.iterdir()] == [NAME]


def test_timeseries_contract(cli_run):
    _, target, _ = cli_run
    ts = pd.read_csv(target / "timeseries.csv")
    assert list(ts.columns) == ["seed", "year", "region", "metric", "value"]
    assert sorted(ts["seed"].unique()) == [0, 1]
    assert sorted(ts["year"].unique()) == YEARS
    assert set(ts["region"]) == {*REGIONS, "national"}
    assert set(CORE_METRICS) <= set(ts["metric"]) <= set(METRICS)
    assert np.isfinite(ts["value"]).all()
    assert not ts.duplicated(["seed", "year", "region", "metric"]).any()


def test_summary_contract(cli_run):
    _, target, _ = cli_run
    s = pd.read_csv(target / "summary.csv")
    assert list(s.columns) == ["year", "region", "metric", "mean", "p05", "p50", "p95"]
    assert not s.duplicated(["year", "region", "metric"]).any()
    have = set(zip(s["year"], s["region"], s["metric"]))
    missing = [(y, r, m) for y in YEARS for r in (*REGIONS, "national") for m in CORE_METRICS
               if (y, r, m) not in have and not (m == "gdp_growth" and y == YEARS[0])]
    assert missing == []
    # gdp_growth is there from the second year on
    assert all((y, r, "gdp_growth") in have for y in YEARS[1:] for r in (*REGIONS, "national"))
    for col in ("mean", "p05", "p50", "p95"):
        assert np.isfinite(s[col]).all(), col

    def le(a, b):
        return (s[a] <= s[b] + 1e-9 + 1e-9 * s[b].abs()).all()

    assert le("p05", "p50") and le("p50", "p95")
    assert le("p05", "mean") and le("mean", "p95")


def test_summary_agrees_with_timeseries(cli_run):
    _, target, _ = cli_run
    ts = pd.read_csv(target / "timeseries.csv")
    s = pd.read_csv(target / "summary.csv").set_index(["year", "region", "metric"])
    mean = ts.groupby(["year", "region", "metric"])["value"].mean()
    joined = s.join(mean.rename("ts_mean"), how="inner")
    assert len(joined) == len(s)
    np.testing.assert_allclose(joined["mean"], joined["ts_mean"], rtol=1e-6, atol=1e-9)


def test_flows_contract(cli_run):
    _, target, _ = cli_run
    f = pd.read_csv(target / "flows.csv")
    assert list(f.columns) == ["seed", "year", "flow", "category", "origin", "destination", "value"]
    assert set(f["flow"]) == {"firms", "jobs", "talent"}
    assert set(f.loc[f["flow"] == "firms", "category"]) == set(SECTORS)
    assert set(f.loc[f["flow"] == "talent", "category"]) == {"high", "general"}
    assert set(f["origin"]) == set(REGIONS) and set(f["destination"]) == set(REGIONS)
    assert (f["origin"] != f["destination"]).all()
    assert (f["value"] >= 0).all() and np.isfinite(f["value"]).all()
    assert sorted(f["year"].unique()) == YEARS


def test_manifest(cli_run):
    _, target, _ = cli_run
    m = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    for key in ("name", "scenario", "parameters", "seeds", "package_version", "git_commit", "wall_seconds"):
        assert key in m, key
    assert m["name"] == NAME
    assert m["scenario"]["name"] == NAME and m["scenario"]["years"] == [2012, 2020]
    assert m["scenario"]["levers"]["carbon_price"]["free_allocation"] == 0.9  # inherited from baseline
    assert m["seeds"]["count"] == 2
    assert isinstance(m["parameters"], dict) and "talent.mobility_high" in m["parameters"]
    assert m["package_version"] == model.__version__
    assert isinstance(m["git_commit"], str) and m["git_commit"]
    assert m["wall_seconds"] >= 0


def test_plots(cli_run):
    _, target, _ = cli_run
    pngs = sorted((target / "plots").glob("*.png"))
    assert len(pngs) >= 3, pngs
    for p in pngs:
        data = p.read_bytes()
        assert data.startswith(PNG_SIGNATURE), p.name
        assert len(data) > 10_000, (p.name, len(data))


# --- determinism -------------------------------------------------------------------------------

def test_workers_do_not_change_results(cli_run, tmp_path):
    rc1, target1, path = cli_run
    assert rc1 == 0
    out2 = tmp_path / "w2"
    assert _run("run", path, "--out", out2, "--workers", "2", "--no-plots") == 0
    for f in CSVS:
        assert (target1 / f).read_bytes() == (out2 / NAME / f).read_bytes(), f


def test_root_seed_changes_results(cli_run, tmp_path):
    _, target1, path = cli_run
    out = tmp_path / "other-seed"
    assert _run("run", path, "--out", out, "--workers", "1", "--seed", "7", "--no-plots") == 0
    a = pd.read_csv(target1 / "timeseries.csv")
    b = pd.read_csv(out / NAME / "timeseries.csv")
    assert (target1 / "timeseries.csv").read_bytes() != (out / NAME / "timeseries.csv").read_bytes()
    assert list(a.columns) == list(b.columns)
    merged = a.merge(b, on=["seed", "year", "region", "metric"], suffixes=("_a", "_b"))
    assert len(merged) > 0
    assert not np.allclose(merged["value_a"], merged["value_b"])
    m = json.loads((out / NAME / "manifest.json").read_text(encoding="utf-8"))
    assert m["seeds"]["root"] == 7


# --- validate, list ----------------------------------------------------------------------------

SHIPPED = sorted((REPO / "scenarios").glob("*.yaml"))


def test_there_are_shipped_scenarios():
    assert len(SHIPPED) >= 6
    assert (REPO / "scenarios" / "baseline.yaml") in SHIPPED


@pytest.mark.parametrize("path", [*SHIPPED, REPO / "tests" / "data_example_ne_talent.yaml"],
                         ids=lambda p: p.name)
def test_validate_shipped(path, capsys):
    assert _run("validate", path) == 0
    cap = capsys.readouterr()
    # (high-carbon once warned: its free_allocation 0.5 also applied to the base's 2021-2024 ETS years;
    # it now halves the free share from 2025 only, {2025: 0.5}, merged by year with the baseline's 0.9)
    assert cap.err == ""
    assert cap.out.startswith(f"{path}: ok (")


def test_validate_many_at_once(capsys):
    files = [*SHIPPED, REPO / "tests" / "data_example_ne_talent.yaml"]
    assert _run("validate", *files) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(files)
    assert all(": ok (" in line for line in out)


def test_list(capsys):
    assert _run("list") == 0
    cap = capsys.readouterr()
    assert cap.err == ""
    out = cap.out
    for region in load_region_data().names:
        assert region in out, region
    assert set(load_region_data().names) == set(REGIONS)
    for sector in SECTORS:
        assert sector in out, sector
    for metric in METRICS:
        assert metric in out, metric
    for scenario in SHIPPED:
        assert scenario.stem in out
    for scale in ("tiny", "small", "medium", "full"):
        assert scale in out


# --- compare, and the README flow ------------------------------------------------------------

def _check_png(path: Path) -> None:
    assert path.is_file(), path
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 10_000


def test_readme_flow_run_then_compare(two_runs, capsys):
    rc, out = two_runs
    assert rc == 0
    assert sorted(p.name for p in out.iterdir()) == ["baseline", "ne-talent"]
    for name in ("baseline", "ne-talent"):
        assert len(list((out / name / "plots").glob("*.png"))) >= 3
    capsys.readouterr()
    assert _run("compare", out / "baseline", out / "ne-talent") == 0
    cap = capsys.readouterr()
    cmp_dir = out / "compare-baseline-vs-ne-talent"
    assert str(cmp_dir) in cap.out
    _check_png(cmp_dir / "comparison.png")
    _check_png(cmp_dir / "difference.png")
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


def test_scenarios_differ_only_after_the_lever(two_runs):
    """Common random numbers: ne-talent acts from 2025, so both runs agree exactly before it."""
    _, out = two_runs
    a = pd.read_csv(out / "baseline" / "timeseries.csv")
    b = pd.read_csv(out / "ne-talent" / "timeseries.csv")
    j = a.merge(b, on=["seed", "year", "region", "metric"], suffixes=("_a", "_b"))
    assert len(j) == len(a) == len(b)
    years = j["year"]
    before, after = j[years < 2025], j[years >= 2025]
    assert len(before) > 0 and len(after) > 0
    np.testing.assert_array_equal(before["value_a"].to_numpy(), before["value_b"].to_numpy())
    assert not np.array_equal(after["value_a"].to_numpy(), after["value_b"].to_numpy())


def test_compare_with_out_and_metrics(two_runs, tmp_path, capsys):
    _, out = two_runs
    dest = tmp_path / "X"
    assert _run("compare", out / "baseline", out / "ne-talent", "--out", dest,
                "--metrics", "talent_high", "gdp") == 0
    assert capsys.readouterr().err == ""
    _check_png(dest / "comparison.png")
    _check_png(dest / "difference.png")
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_compare_unknown_metric(two_runs, tmp_path, capsys):
    _, out = two_runs
    dest = tmp_path / "Y"
    assert _run("compare", out / "baseline", out / "ne-talent", "--out", dest, "--metrics", "gpd") == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("geese: error: ")
    assert "--metrics" in err[0] and "'gpd'" in err[0] and "did you mean 'gdp'" in err[0]
    assert not dest.exists()


# --- atomic writes -----------------------------------------------------------------------------

def _boom(*_args, **_kwargs):
    raise RuntimeError("boom: summary failed mid-write")


def _internal_error(capsys) -> None:
    err = capsys.readouterr().err.splitlines()
    assert [e for e in err if "internal error" in e and "boom" in e and "RuntimeError" in e], err
    assert not [e for e in err if "Traceback" in e]


def test_failed_run_leaves_nothing(tmp_path, monkeypatch, capsys):
    path = _scenario(tmp_path, TINY.replace("[2012, 2020]", "[2012, 2014]"))
    out = tmp_path / "out"
    monkeypatch.setattr(model.results, "summary_frame", _boom)
    assert _run("run", path, "--out", out, "--workers", "1", "--no-plots") == 70
    _internal_error(capsys)
    assert not (out / NAME).exists()
    leftovers = [p.name for p in out.iterdir()] if out.exists() else []
    assert leftovers == []


def test_failed_run_keeps_earlier_results(tmp_path, monkeypatch, capsys):
    path = _scenario(tmp_path, TINY.replace("[2012, 2020]", "[2012, 2014]"))
    out = tmp_path / "out"
    assert _run("run", path, "--out", out, "--workers", "1", "--no-plots") == 0
    target = out / NAME
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    assert set(before) >= {*CSVS, "manifest.json"}

    # a later run of the same scenario (different seed, so different content) fails mid-write
    monkeypatch.setattr(model.results, "summary_frame", _boom)
    assert _run("run", path, "--out", out, "--workers", "1", "--no-plots", "--seed", "99") == 70
    _internal_error(capsys)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert [p.name for p in out.iterdir()] == [NAME]


def test_successful_rerun_replaces_results(tmp_path):
    path = _scenario(tmp_path, TINY.replace("[2012, 2020]", "[2012, 2014]"))
    out = tmp_path / "out"
    assert _run("run", path, "--out", out, "--workers", "1", "--no-plots") == 0
    first = (out / NAME / "timeseries.csv").read_bytes()
    assert _run("run", path, "--out", out, "--workers", "1", "--no-plots", "--seed", "99") == 0
    assert (out / NAME / "timeseries.csv").read_bytes() != first
    assert [p.name for p in out.iterdir()] == [NAME]
