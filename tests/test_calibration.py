"""Calibration: the targets file, moments, the search, parameter recovery, clean interruption."""

from pathlib import Path

import numpy as np
import pytest
import yaml

import model.calibration as cal
import model.calibration.search as cal_search
from model.cli import main
from model.errors import InputError

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_targets_are_valid_and_cite_figures():
    t = cal.load_targets(ROOT / "calibration" / "targets.yaml")
    figures = {f["id"] for f in yaml.safe_load((ROOT / "seeds" / "figures.yaml").read_text())["figures"]}
    assert 8 <= len(t.free_parameters) <= 14
    assert len(t.moments) >= 12
    for m in t.moments:
        assert m.figure in figures or m.source, m.id
    kinds = {m.kind for m in t.moments}
    assert kinds == {"value", "bound", "ordinal"}


def _write(tmp_path, doc) -> Path:
    p = tmp_path / "targets.yaml"
    p.write_text(yaml.safe_dump(doc))
    return p


BASE = {"years": [2012, 2016], "free_parameters": [{"name": "talent.moving_cost"}],
        "moments": [{"id": "a", "figure": "ne_population", "metric": "population", "region": "northeast",
                     "year": 2016, "target": 100.0, "tolerance": 10.0}]}


@pytest.mark.parametrize("patch, fragment", [
    ({"free_parameters": [{"name": "talent.movng_cost"}]}, "did you mean 'talent.moving_cost'"),
    ({"free_parameters": [{"name": "talent.moving_cost", "bounds": [0.0, 99.0]}]}, "documented range"),
    ({"moments": [{**BASE["moments"][0], "metric": "gpd"}]}, "a metric this model records"),
    ({"moments": [{**BASE["moments"][0], "figure": "no_such_figure"}]}, "seeds/figures.yaml"),
    ({"moments": [{k: v for k, v in BASE["moments"][0].items() if k != "target"}]}, "target and tolerance"),
    ({"moments": [{**BASE["moments"][0], "tolerance": -1.0}]}, "tolerance"),
    ({"moments": [{**BASE["moments"][0], "year": 2030}]}, "within years"),
    ({"moments": [{**BASE["moments"][0], "region": "tibet"}]}, "region"),
    ({"moments": [{**BASE["moments"][0], "colour": "red"}]}, "unknown key"),
])
def test_bad_targets_name_the_entry(tmp_path, patch, fragment):
    with pytest.raises(InputError) as err:
        cal.load_targets(_write(tmp_path, {**BASE, **patch}))
    msg = str(err.value)
    assert fragment in msg and "targets.yaml" in msg and "\n" not in msg


def test_moment_statistics_on_a_known_array():
    years = list(range(2012, 2016))
    metrics = ["gdp", "population"]
    values = np.zeros((4, 5, 2))
    values[:, :, 0] = np.array([1.0, 2.0, 3.0, 4.0, 10.0])[None, :]
    values[:, :, 0] *= np.array([1.0, 1.1, 1.21, 1.331])[:, None]
    values[:, :, 1] = 2.0
    q = cal.Moment(id="x", figure="f", metric="gdp", region="west", statistic="cagr", span=(2012, 2015),
                   target=0.1, tolerance=0.01)
    assert cal.moment_value(q, values, years, metrics) == pytest.approx(0.1)
    share = cal.Moment(id="y", figure="f", metric="gdp", region="central", plus=["west"], year=2012,
                       versus_national="ratio", target=0.5, tolerance=0.1)
    assert cal.moment_value(share, values, years, metrics) == pytest.approx(5 / 10)
    lowest = cal.Moment(id="z", figure="f", kind="ordinal", metric="gdp", region="east", year=2013, rank="lowest")
    assert cal.moment_value(lowest, values, years, metrics) > 0
    highest = lowest.model_copy(update={"rank": "highest"})
    assert cal.moment_value(highest, values, years, metrics) < 0
    per = cal.Moment(id="w", figure="f", metric="gdp", per="population", region="northeast", year=2012,
                     target=2.0, tolerance=0.1)
    assert cal.moment_value(per, values, years, metrics) == pytest.approx(2.0)


def test_losses_are_smooth_and_pass_rules_match():
    v = cal.Moment(id="v", figure="f", metric="gdp", region="east", year=2012, target=1.0, tolerance=0.1)
    assert cal.moment_loss(v, 1.0) == 0 and cal.moment_loss(v, 1.1) == pytest.approx(1.0)
    assert cal.passes(v, 1.09) and not cal.passes(v, 1.11)
    b = cal.Moment(id="b", figure="f", kind="bound", metric="gdp", region="east", year=2012, upper=0.05, scale=0.01)
    assert cal.moment_loss(b, 0.0) < cal.moment_loss(b, 0.05) < cal.moment_loss(b, 0.08)
    assert cal.passes(b, 0.049) and not cal.passes(b, 0.051)
    o = cal.Moment(id="o", figure="f", kind="ordinal", metric="gdp", region="east", year=2012, rank="lowest", scale=0.01)
    assert cal.moment_loss(o, 0.02) < cal.moment_loss(o, 0.0) < cal.moment_loss(o, -0.02)


# A synthetic truth for the recovery test, and the values it must tell apart from the truth (each half a unit of
# amenity / 0.1 of diffusion away: about 40% and 25% of the prior ranges).
RECOVERY_TRUTH = {"talent.amenity.northeast": -0.3, "digital.diffusion_rate": 0.25}
RECOVERY_WRONG = {"talent.amenity.northeast": (-0.8, 0.2), "digital.diffusion_rate": (0.15, 0.35)}


def recovery_interval(truth: dict[str, float], seeds: int = 4, budget: int = 16) -> dict[str, tuple[float, float]]:
    """The 90% credible interval of each parameter from the posterior estimator itself (history matching with GP
    emulators, then MCMC on the emulators: model/calibration/history.py), fitted to moments simulated at ``truth``.

    Moments: the northeast's share of the national population in 2018 (the northeast amenity moves it by ~0.009
    per unit against a seed SD of ~0.0017 at tiny scale) and national digital adoption in 2018 (the diffusion
    rate: ~0.6 per unit against ~0.01). Every simulation runs seeds 0..S-1 (common random numbers); the
    synthetic targets are the S-seed means at the truth. The tolerance (the observation error of the synthetic
    data) is small: the emulator's variance and the seed variance / S carry the uncertainty."""
    from model.calibration import history as H
    from model.calibration.loss import simulate_candidates
    from model.calibration.targets import Targets
    from model.runner import ReplicatePool

    spec = {"years": [2012, 2018], "free_parameters": [
        {"name": "talent.amenity.northeast", "bounds": [-1.0, 0.3]},
        {"name": "digital.diffusion_rate", "bounds": [0.05, 0.45]}],
        "moments": [
            {"id": "ne_share", "source": "synthetic", "metric": "population", "region": "northeast", "year": 2018,
             "versus_national": "ratio", "target": 0.0, "tolerance": 0.0005},
            {"id": "dig", "source": "synthetic", "metric": "digital_adoption", "region": "national", "year": 2018,
             "target": 0.0, "tolerance": 0.01}]}
    t = Targets.model_validate(spec)
    with ReplicatePool(1) as pool:
        def sim(cands):
            return simulate_candidates(pool, t, cands, "tiny", seeds, calibrated=False)

        observed = sim([truth])[0].mean(axis=0)
        t = t.model_copy(update={"moments": [m.model_copy(update={"target": float(v)})
                                             for m, v in zip(t.moments, observed)]})
        hm = H.history_match(t, sim, budget=budget, waves=2, seeds=seeds, draws=400, candidates=4000)
    lo, hi = np.quantile(hm.posterior, [0.05, 0.95], axis=0)
    return {n: (float(a), float(b)) for n, a, b in zip(hm.names, lo, hi)}


def test_parameter_recovery_at_tiny_scale():
    """Synthetic truth -> the posterior's 90% credible interval covers it, and is narrow enough to exclude values
    half a unit of amenity (0.1 of diffusion) away on either side, so the test fails for a wrong truth.

    Session 3 checked a point estimate of another estimator (the differential-evolution search) against a
    tolerance of 10% of the range; its -0.44 for a truth of -0.3 was 1.5 seed-noise standard errors off, which a
    point tolerance calls a failure and a credible interval does not. Coverage over truths (-0.8, -0.3, 0.1) and
    the failure for a wrong truth are recorded in calibration/recovery.md."""
    interval = recovery_interval(RECOVERY_TRUTH)
    for name, true in RECOVERY_TRUTH.items():
        lo, hi = interval[name]
        assert lo <= true <= hi, (name, true, lo, hi)
        for wrong in RECOVERY_WRONG[name]:
            assert not lo <= wrong <= hi, (name, "a wrong truth is covered", wrong, lo, hi)


def _fake_targets(tmp_path) -> Path:
    spec = {"years": [2012, 2015], "free_parameters": [{"name": "talent.amenity.northeast", "bounds": [-1.0, 0.3]}],
            "moments": [{"id": "ne_pop", "figure": "ne_population", "metric": "population", "region": "northeast",
                         "year": 2015, "target": 105.0, "tolerance": 2.0}]}
    return _write(tmp_path, spec)


def test_calibrate_writes_params_report_and_plot(tmp_path, capsys):
    targets = _fake_targets(tmp_path)
    out = tmp_path / "cal"
    assert main(["calibrate", "--budget", "12", "--workers", "1", "--scale", "tiny", "--seeds", "1",
                 "--targets", str(targets), "--out", str(out)]) == 0
    doc = yaml.safe_load((out / "params.yaml").read_text())
    assert set(doc) == {"fit", "values"}
    assert {"date", "loss", "budget", "git_commit", "evaluations"} <= set(doc["fit"])
    assert -1.0 <= doc["values"]["talent.amenity.northeast"] <= 0.3
    report = (out / "report.md").read_text()
    assert "ne_pop" in report and "simulated mean" in report
    assert (out / "fit.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = yaml.safe_load((out / ".checkpoint.json").read_text())
    assert len(saved["history"]) == doc["fit"]["evaluations"]  # kept, so `--resume --budget N` can extend
    assert "targets within tolerance" in capsys.readouterr().out


def test_interrupted_calibration_leaves_params_untouched_and_resumes(tmp_path, monkeypatch):
    targets = _fake_targets(tmp_path)
    out = tmp_path / "cal"
    out.mkdir()
    committed = "fit: {}\nvalues: {talent.mobility_high: 1.5}\n"
    (out / "params.yaml").write_text(committed)
    real = cal_search.evaluate
    calls = {"n": 0}

    def flaky(*args):
        calls["n"] += 1  # one call per generation
        if calls["n"] > 2:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(cal_search, "evaluate", flaky)
    args = ["calibrate", "--budget", "16", "--workers", "1", "--scale", "tiny", "--seeds", "1",
            "--targets", str(targets), "--out", str(out)]
    assert main(args) == 130
    assert (out / "params.yaml").read_text() == committed
    saved = yaml.safe_load((out / ".checkpoint.json").read_text())
    assert len(saved["history"]) >= 2
    monkeypatch.setattr(cal_search, "evaluate", real)
    assert main(args + ["--resume"]) == 0
    assert (out / "params.yaml").read_text() != committed


def test_targets_command_exit_code_follows_the_pass_share(tmp_path, capsys):
    targets = _fake_targets(tmp_path)
    params = tmp_path / "params.yaml"
    params.write_text("values: {talent.amenity.northeast: -0.12}\n")
    code = main(["targets", "--scale", "tiny", "--seeds", "1", "--workers", "1", "--targets", str(targets),
                 "--params", str(params)])
    out = capsys.readouterr().out
    sim = float(out.split("ne_pop")[1].split()[4])  # group, target, ±, tolerance, simulated
    assert (code == 0) == (abs(sim - 105.0) <= 2.0)
    assert "targets within tolerance" in out


def test_committed_parameters_keep_their_validation_result_at_small_scale(capsys):
    """`geese targets` at the committed parameters (the fit's scale, 4 seeds): its exit status follows the whole report
    (>= 90% of seed moments, every requirement and fact); the share of moments met must not fall below the
    committed calibration's (calibration/validation.md; misses there are explained). A regression floor,
    not the issue's done criterion, which the report states."""
    scale = yaml.safe_load((ROOT / "calibration" / "params.yaml").read_text())["fit"]["scale"]  # the chosen scale
    code = main(["targets", "--scale", scale, "--seeds", "4", "--workers", "2"])
    out = capsys.readouterr().out
    assert "targets within tolerance" in out
    verdict = out.strip().splitlines()[-1]
    assert (code == 0) == verdict.endswith("PASS"), out
    n_pass, n_all = (int(x) for x in verdict.split(" targets within")[0].split("/"))
    assert n_pass >= MOMENTS_MET_FLOOR * n_all, out


MOMENTS_MET_FLOOR = 0.92  # of all moments, at the committed posterior mean and its scale: 48/52 met at medium, 4 seeds (validation.md, session 4: the posterior on main dad9572 with the census and regional-GDP moments)
