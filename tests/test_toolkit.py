"""Issue 13, the analyst's toolkit: the Python API, shipped scenarios, merge rules, the new CLI options."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import assert_committed_fit_kept, assert_refused
import model
from model.api import Results, compare, paired_summary, scenario
from model.cli import main
from model.errors import InputError
from model.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
CSVS = ("timeseries.csv", "summary.csv", "flows.csv")
TINY = ["--scale", "tiny", "--seeds", "2", "--no-plots"]


@pytest.fixture(scope="module")
def cli_baseline(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli")
    assert main(["run", "baseline", *TINY, "--workers", "1", "--out", str(out)]) == 0  # a shipped name
    return out / "baseline"


def test_api_in_a_script_without_main_guard_round_trips_the_cli(cli_baseline, tmp_path):
    """model.run(..., workers=2) in a script with no __main__ guard; .save writes geese run's bytes."""
    script = tmp_path / "analysis.py"
    script.write_text(textwrap.dedent(f"""
        import model as geese
        res = geese.run("baseline", seeds=2, scale="tiny", workers=2)
        res.save({str(tmp_path / 'api')!r})
        print("rows", len(res.timeseries))
    """))
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("rows") == 1  # the script ran once: workers did not re-run it
    for f in CSVS:
        assert (tmp_path / "api" / "baseline" / f).read_bytes() == (cli_baseline / f).read_bytes(), f
    a = json.loads((cli_baseline / "manifest.json").read_text())
    b = json.loads((tmp_path / "api" / "baseline" / "manifest.json").read_text())
    for key in ("scenario", "parameters", "seeds", "scale", "calibration", "regions", "metrics"):
        assert a[key] == b[key], key
    assert a["calibration"]["applied"] is True


def test_results_load_save_compare_xarray_plot(cli_baseline, tmp_path):
    res = Results.load(cli_baseline)
    assert res.name == "baseline" and res.seeds == 2 and res.calibrated and "calibrated" in repr(res)
    assert list(res.timeseries.columns) == ["seed", "year", "region", "metric", "value"]
    res.save(tmp_path)  # loaded, saved: the same bytes
    for f in CSVS:
        assert (tmp_path / "baseline" / f).read_bytes() == (cli_baseline / f).read_bytes(), f
    wide = res.series("gdp", "northeast")
    assert wide.shape == (24, 2)
    ds = res.to_xarray()
    assert ds["gdp"].dims == ("seed", "year", "region") and ds["gdp"].attrs["units"]
    ax = res.plot("gdp")
    assert "gdp" in ax.get_title() and ax.get_ylabel().startswith("gdp (")
    diff = compare(res, cli_baseline)
    assert len(diff) == len(res.timeseries) and (diff["difference"] == 0).all()
    summary = paired_summary(diff)
    assert {"p05", "p50", "p95", "seeds"} <= set(summary.columns)
    with pytest.raises(InputError, match="metric"):
        res.series("gpd")


def test_scenario_function_resolves_like_a_file():
    from_file = load_scenario(ROOT / "scenarios" / "ne-talent.yaml")
    built = scenario(base="baseline", name="ne-talent", description=from_file.description,
                     levers={"talent_incentive": [{"region": "northeast", "skill": "high", "wage_topup": 0.20,
                                                   "moving_cost_cut": 0.3, "from": 2025, "to": 2035}]})
    assert built == from_file
    assert scenario().name == "baseline-custom"
    assert model.scenario(base="baseline", name="x") == scenario(name="x")  # geese.scenario(...) works too
    with pytest.raises(InputError, match="region"):
        scenario(levers={"talent_incentive": [{"region": "narnia"}]})
    with pytest.raises(InputError, match="shipped"):
        scenario(base="baselin")
    with pytest.raises(NotImplementedError, match="issue 11"):
        model.run("baseline", seeds=1, scale="tiny", param_draws=[{}])
    with pytest.raises(InputError, match="seeds"):
        model.run("baseline", seeds=0)


def _write(folder: Path, name: str, text: str) -> Path:
    p = folder / f"{name}.yaml"
    p.write_text(textwrap.dedent(text))
    return p


def test_merge_rules(tmp_path):
    _write(tmp_path, "parent", """
        name: parent
        seeds: 3
        levers:
          talent_incentive: [{region: northeast, wage_topup: 0.1, from: 2025}]
          digitalization: [{region: west, adoption_subsidy: 0.2, from: 2026}]
        params: {talent.mobility_high: 2.0, talent.moving_cost: 3.0}
    """)
    child = load_scenario(_write(tmp_path, "child", """
        name: child
        base: parent
        scale: tiny
        levers:
          talent_incentive: [{region: central, wage_topup: 0.2, from: 2027}]
        params: {talent.moving_cost: 4.0}
    """))
    # lists of lever entries ADD to the base's; other levers are inherited; params merge by name
    assert [e.region for e in child.levers.talent_incentive] == ["northeast", "central"]
    assert [e.region for e in child.levers.digitalization] == ["west"]
    assert child.params == {"talent.mobility_high": 2.0, "talent.moving_cost": 4.0}
    assert (child.seeds, child.scale) == (3, "tiny")  # top-level keys: the child's replace the base's
    grandchild = load_scenario(_write(tmp_path, "grandchild", """
        name: grandchild
        base: child
        levers:
          talent_incentive: [{region: west, wage_topup: 0.3, from: 2028}]
    """))
    assert [e.region for e in grandchild.levers.talent_incentive] == ["northeast", "central", "west"]


def test_validate_show_and_early_change_warning(tmp_path, capsys):
    assert main(["validate", "ne-talent", "--show"]) == 0
    out = capsys.readouterr().out
    assert "# difference from its base baseline" in out and "levers.talent_incentive" in out
    early = _write(tmp_path, "early", """
        name: early
        base: baseline
        levers:
          carbon_price: {path: {2030: 300}, free_allocation: 0.0}
    """)
    assert main(["validate", str(early)]) == 0
    err = capsys.readouterr().err
    assert "differs from its base baseline from 2021, before its own first lever year 2030" in err
    assert main(["validate", "ne-talent"]) == 0
    assert "differs from its base" not in capsys.readouterr().err


def test_cli_small_options(tmp_path, capsys, cli_baseline):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: geese") and "run" in out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"geese (flying-geese) {model.__version__}"
    assert main(["list", "--params"]) == 0
    name, value = _a_calibrated_value()
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith(name + " ")]
    assert len(rows) == 1 and f"{value:g}" in rows[0], rows
    # a rerun with other seeds into the same folder asks for --force, before any compute
    before = (cli_baseline / "timeseries.csv").read_bytes()
    assert main(["run", "baseline", "--scale", "tiny", "--seeds", "3", "--out", str(cli_baseline.parent)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--force" in err and "with 2 seeds" in err
    assert (cli_baseline / "timeseries.csv").read_bytes() == before


@pytest.mark.parametrize(("argv", "must"), [
    (["--set", "levers.carbon_price.path.2030=-5"], ["levers.carbon_price.path[2030]", "-5", "greater than"]),
    (["--set", "levers.carbon_pric.path.2030=5"], ["carbon_pric", "did you mean 'carbon_price'"]),
    (["--set", "params.talent.mobility_high=1e9"], ["params.talent.mobility_high", "1000000000.0", "in [0.2, 5]"]),
    (["--set", "seeds"], ["--set", "KEY=VALUE"]),
    (["--set", "levers.talent_incentive.3.region=west"], ["--set", "index"]),
])
def test_set_overrides_are_checked_by_the_schema(tmp_path, capsys, argv, must):
    assert_refused(capsys, ["run", "baseline", "--out", str(tmp_path / "out"), *TINY, *argv], must, tmp_path / "out")


def test_set_override_acts(tmp_path):
    from model.scenario_ops import load_with_sets

    sc = load_with_sets(ROOT / "scenarios" / "baseline.yaml",
                        ["levers.carbon_price.path.2030=300", "params.talent.mobility_high=3", "seeds=5",
                         "levers.talent_incentive.0={region: northeast, wage_topup: 0.1}"])
    assert sc.levers.carbon_price.path[2030] == 300 and sc.levers.carbon_price.path[2021] == 54.22
    assert sc.params == {"talent.mobility_high": 3} and sc.seeds == 5
    assert sc.levers.talent_incentive[0].region == "northeast"


def test_calibrate_never_overwrites_the_committed_fit_without_force(capsys):
    assert_committed_fit_kept(capsys, ["calibrate", "--budget", "1"], ROOT)
    from model.cli import build_parser

    assert build_parser().parse_args(["calibrate"]).scale is None  # -> the fit's own scale (cmd_calibrate)


def test_calibration_record_says_when_it_is_not_applied():
    from model.runner import calibration_record

    assert calibration_record(False)["applied"] is False
    assert calibration_record("/nonexistent/params.yaml")["applied"] is False
    assert calibration_record(True)["applied"] is True


def test_wheel_installs_and_runs_the_baseline_byte_identically(tmp_path, cli_baseline):
    """Build the wheel, install it into a fresh venv (deps from this venv), run `geese run baseline` elsewhere."""
    import shutil
    import site

    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", ".git", "results", "build", "*.egg-info",
                                                              "__pycache__", ".pytest_cache", "*.png"))
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "-q",
                            "-w", str(wheels), str(src)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    noise = [ln for ln in (built.stdout + built.stderr).splitlines()
             if "warn" in ln.lower() and "Location" not in ln]  # pip's own notes about local indexes aside
    assert noise == [], noise[:5]
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    fresh_site = next((venv / "lib").glob("python3*/site-packages"))
    (fresh_site / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")  # numpy, mesa, ... (not model)
    wheel = next(wheels.glob("flying_geese-*.whl"))
    inst = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
                           "--no-deps", "--no-index", "-q", str(wheel)], capture_output=True, text=True, timeout=300)
    assert inst.returncode == 0, inst.stderr[-2000:]
    work = tmp_path / "elsewhere"
    work.mkdir()
    geese = str(venv / "bin" / "geese")
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import model; print(model.__file__)"], cwd=work,
                           capture_output=True, text=True, timeout=120)
    assert str(fresh_site) in where.stdout, where.stdout + where.stderr
    ran = subprocess.run([geese, "run", "baseline", *TINY, "--workers", "1"], cwd=work, capture_output=True,
                         text=True, timeout=600)
    assert ran.returncode == 0, ran.stderr[-2000:]
    for f in CSVS:
        assert (work / "results" / "baseline" / f).read_bytes() == (cli_baseline / f).read_bytes(), f
    manifest = json.loads((work / "results" / "baseline" / "manifest.json").read_text())
    assert manifest["calibration"]["applied"] is True
    name, value = _a_calibrated_value()
    assert manifest["parameters"][name] == pytest.approx(value)
    # a fit written locally (geese calibrate/posterior from a wheel write ./calibration) is applied, loudly
    (work / "calibration").mkdir()
    lo, hi = next(s.range for g, s in __import__("model.parameters", fromlist=["x"]).default_specs().items()
                  if name == g or name.startswith(g + "."))
    local = value + 0.25 * (hi - value)
    (work / "calibration" / "params.yaml").write_text(f"fit: {{method: local test}}\nvalues:\n  {name}: {local}\n")
    ran = subprocess.run([geese, "run", "baseline", *TINY, "--workers", "1", "--out", "local"], cwd=work,
                         capture_output=True, text=True, timeout=600)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "applying the calibration" in ran.stderr and "calibration/params.yaml" in ran.stderr, ran.stderr
    manifest = json.loads((work / "local" / "baseline" / "manifest.json").read_text())
    assert manifest["calibration"]["source"] == "local" and manifest["calibration"]["applied"] is True
    assert manifest["parameters"][name] == pytest.approx(local)
    listed = subprocess.run([geese, "list"], cwd=work, capture_output=True, text=True, timeout=120)
    assert "ne-revival" in listed.stdout
    version = subprocess.run([geese, "--version"], cwd=work, capture_output=True, text=True, timeout=60)
    assert version.stdout.strip() == f"geese (flying-geese) {model.__version__}"


def test_paired_comparison_files(cli_baseline, capsys):
    out = cli_baseline.parent
    assert main(["run", "ne-revival", *TINY, "--workers", "1", "--out", str(out)]) == 0
    assert main(["compare", str(cli_baseline), str(out / "ne-revival")]) == 0
    folder = out / "compare-baseline-vs-ne-revival"
    table = pd.read_csv(folder / "comparison.csv")
    assert {"diff_p05", "diff_p50", "diff_p95", "outlier_seeds"} <= set(table.columns)
    assert "national" in set(table["region"])
    per_seed = pd.read_csv(folder / "differences_by_seed.csv")
    assert sorted(per_seed["seed"].unique()) == [0, 1]
    # p50 of the per-seed differences, joined into comparison.csv
    row = table[(table["scenario"] == "ne-revival") & (table["metric"] == "gdp") & (table["region"] == "northeast")
                & (table["year"] == 2035)].iloc[0]
    seeds = per_seed[(per_seed["metric"] == "gdp") & (per_seed["region"] == "northeast") & (per_seed["year"] == 2035)]
    assert row["diff_p50"] == pytest.approx(np.median(seeds["difference"]), rel=1e-6)
    per_yuan = pd.read_csv(folder / "effect_per_yuan.csv")
    assert (per_yuan["cost_p50"] > 0).all() and (folder / "effect_per_yuan.png").stat().st_size > 10_000


def test_sensitivity_morris_end_to_end_at_tiny(tmp_path, capsys):
    pytest.importorskip("SALib")
    argv = ["sensitivity", "baseline", "--params", "talent.mobility_high", "location.relocation_cost",
            "--outcomes", "industrial_va_share:northeast:2014", "gdp:national:2014", "--trajectories", "2",
            "--workers", "1", "--out", str(tmp_path)]
    assert main(argv) == 0
    folder = tmp_path / "sensitivity-baseline-morris"
    table = pd.read_csv(folder / "indices.csv")
    assert list(table.columns) == ["outcome", "parameter", "mu", "mu_star", "mu_star_conf", "sigma"]
    assert len(table) == 4 and (table["mu_star"] >= 0).all()
    assert len(pd.read_csv(folder / "samples.csv")) == 2 * 3  # trajectories x (k + 1)
    assert (folder / "tornado.png").stat().st_size > 5_000
    assert json.loads((folder / "manifest.json").read_text())["kind"] == "sensitivity"
    assert main(argv) == 0  # a rerun replaces its own folder


@pytest.mark.parametrize(("extra", "must"), [
    (["--params", "talent.mobility_hig"], ["--params", "talent.mobility_hig", "did you mean"]),
    (["--params", "demand.sector_share_2012.equipment"], ["sum to one"]),
    (["--outcomes", "gdp:narnia:2030"], ["--outcomes", "narnia", "region"]),
    (["--outcomes", "gpd:national"], ["--outcomes", "did you mean 'gdp'"]),
    (["--outcomes", "gdp:national:2050"], ["--outcomes", "year"]),
    (["--method", "sobol", "--samples", "6"], ["--samples", "6", "power of 2"]),
    (["--trajectories", "1"], ["--trajectories", "1"]),
])
def test_sensitivity_bad_input(tmp_path, capsys, extra, must):
    pytest.importorskip("SALib")
    base = ["sensitivity", "--params", "talent.mobility_high", "--out", str(tmp_path / "out")]
    assert_refused(capsys, [*base, *extra], must, tmp_path / "out")


def test_sensitivity_sobol_end_to_end_at_tiny(tmp_path):
    pytest.importorskip("SALib")
    assert main(["sensitivity", "--method", "sobol", "--samples", "2", "--params", "talent.mobility_high",
                 "--outcomes", "gdp:national:2013", "--workers", "1", "--out", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "sensitivity-baseline-sobol" / "indices.csv")
    assert list(table.columns) == ["outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert len(pd.read_csv(tmp_path / "sensitivity-baseline-sobol" / "samples.csv")) == 2 * (1 + 2)


def _a_calibrated_value() -> tuple[str, float]:
    """A parameter the committed calibration sets to something other than its default, and that value."""
    from model.parameters import PARAMS_FILE, ParamSet, read_params_file

    defaults = ParamSet.defaults()
    for name, value in read_params_file(PARAMS_FILE)["values"].items():
        if float(value) != defaults[name]:
            return name, float(value)
    raise AssertionError("the committed calibration changes no parameter")
