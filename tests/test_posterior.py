"""Issue 11: the posterior (history matching with GP emulators), its checkpoint, parameter recovery,
posterior draws in `geese run`, and the targets' coverage of the catalogued figures."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import assert_committed_fit_kept
import model.calibration as cal
from model.calibration import history as H
from model.calibration.loss import simulate_candidates
from model.calibration.targets import FreeParameter, Moment, Targets
from model.runner import ReplicatePool

ROOT = Path(__file__).resolve().parent.parent


def _toy():
    """Two parameters, two value moments and one bound; a known truth and seed noise."""
    truth = np.array([2.0, 1.5])

    def f(x):
        return np.array([np.log(x[0]) + 0.3 * x[1], x[1] ** 2 / 4 - 0.2 * x[0], x[0] - x[1] - 2.0])

    z = f(truth)
    base = dict(figure="f", metric="gdp", region="east", year=2012)
    t = Targets(free_parameters=[FreeParameter(name="talent.moving_cost", bounds=(0.5, 5.0)),
                                 FreeParameter(name="talent.mobility_high", bounds=(0.5, 4.0))],
                moments=[Moment(id="a", target=z[0], tolerance=0.1, **base),
                         Moment(id="b", target=z[1], tolerance=0.1, **base),
                         Moment(id="c", kind="bound", upper=0.0, scale=0.05, **base)])
    rng = np.random.default_rng(0)
    calls = []

    def sim(ps):
        calls.append(len(ps))
        return [np.array([f(np.array([p["talent.moving_cost"], p["talent.mobility_high"]])) + rng.normal(0, 0.03, 3)
                          for _ in range(3)]) for p in ps]
    return t, truth, sim, calls


def test_history_matching_recovers_a_known_truth_on_a_toy_model():
    t, truth, sim, calls = _toy()
    hm = H.history_match(t, sim, budget=40, waves=2, seeds=3, draws=300, candidates=5000)
    post = hm.posterior
    lo, hi = np.quantile(post, [0.05, 0.95], axis=0)
    assert np.all((lo <= truth) & (truth <= hi)), (lo, hi)
    width = (hi - lo) / (hm.bounds[:, 1] - hm.bounds[:, 0])
    assert np.all(width < 0.3), width  # the moments identify both: the posterior is much narrower than the prior
    assert hm.waves[1].nroy_share < 0.5 and sum(calls) == 40


def test_interrupted_history_match_resumes_to_the_same_posterior():
    t, _, sim, _ = _toy()
    full = H.history_match(t, sim, budget=30, waves=2, seeds=3, draws=50, candidates=3000)
    t, _, sim2, calls = _toy()
    saved = []

    def stop_after_two(waves):
        saved[:] = H.waves_to_json(waves)
        if sum(len(w.results) for w in waves) >= 16:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        H.history_match(t, sim2, budget=30, waves=2, seeds=3, draws=50, candidates=3000, on_batch=stop_after_two)
    n_before = sum(calls)
    t, _, sim3, calls3 = _toy()
    resumed = H.history_match(t, sim3, budget=30, waves=2, seeds=3, draws=50, candidates=3000, checkpoint=saved)
    assert 16 <= n_before < 30 and sum(calls3) == 30 - n_before  # only the missing runs are made
    for a, b in zip(resumed.waves, full.waves):
        np.testing.assert_allclose(a.design, b.design)


def test_posterior_covers_a_synthetic_truth_of_the_model_at_tiny_scale():
    """Synthetic truth -> posterior covers it: the model at known parameters gives the targets, then two
    parameters are history-matched on them (tiny scale, 2012-2018, common random numbers)."""
    truth = {"talent.amenity.northeast": -0.3, "digital.diffusion_rate": 0.25}
    spec = {"years": [2012, 2018], "free_parameters": [
        {"name": "talent.amenity.northeast", "bounds": [-1.0, 0.3]},
        {"name": "digital.diffusion_rate", "bounds": [0.05, 0.45]}],
        "moments": [
            {"id": "ne_pop", "source": "synthetic", "metric": "population", "region": "northeast", "year": 2018,
             "target": 0.0, "tolerance": 0.6},
            {"id": "dig", "source": "synthetic", "metric": "digital_adoption", "region": "national", "year": 2018,
             "target": 0.0, "tolerance": 0.01}]}
    t = Targets.model_validate(spec)
    with ReplicatePool(1) as pool:
        def sim(cands):
            return simulate_candidates(pool, t, cands, "tiny", 2, calibrated=False)

        observed = sim([truth])[0].mean(axis=0)
        t = t.model_copy(update={"moments": [m.model_copy(update={"target": float(v)})
                                             for m, v in zip(t.moments, observed)]})
        hm = H.history_match(t, sim, budget=20, waves=2, seeds=2, draws=200, candidates=4000)
    lo, hi = np.quantile(hm.posterior, [0.02, 0.98], axis=0)
    for i, name in enumerate(hm.names):
        assert lo[i] <= truth[name] <= hi[i], (name, lo[i], hi[i])


def test_posterior_files_round_trip(tmp_path):
    t, _, sim, _ = _toy()
    hm = H.history_match(t, sim, budget=20, waves=2, seeds=3, draws=30, candidates=2000)
    H.write_posterior(tmp_path / "posterior.csv", hm)
    draws = H.read_posterior(tmp_path / "posterior.csv", 5)
    assert len(draws) == 5 and set(draws[0]) == {"talent.moving_cost", "talent.mobility_high"}
    H.plot_posterior(tmp_path / "p.png", hm)
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    doc = H.diagnostics(hm, t)
    assert len(doc["waves"]) == 2 and doc["draws"] == 30


def test_budget_too_small_for_the_emulators_is_a_one_line_error():
    from model.errors import InputError

    t, _, sim, _ = _toy()
    with pytest.raises(InputError) as err:
        H.history_match(t, sim, budget=6, waves=2, seeds=3)
    assert "--budget" in str(err.value) and "\n" not in str(err.value)


def test_every_catalogued_figure_is_a_moment_or_has_a_reason():
    doc = yaml.safe_load((ROOT / "calibration" / "targets.yaml").read_text())
    figures = [f["id"] for f in yaml.safe_load((ROOT / "seeds" / "figures.yaml").read_text())["figures"]]
    covered = {m.get("figure") for m in doc["moments"]} | {n["figure"] for n in doc["not_moments"]}
    assert [f for f in figures if f not in covered] == []
    assert all(n["reason"].strip() for n in doc["not_moments"])
    groups = {m.get("group", "seed") for m in doc["moments"]}
    assert groups == {"seed", "plausibility", "fact"}
    for m in doc["moments"]:
        if m.get("group", "seed") != "seed":
            assert m.get("source"), m["id"]
    assert doc["years"][1] == 2035


def test_a_moment_on_an_unrecorded_metric_is_a_one_line_error(tmp_path):
    from model.errors import InputError

    spec = {"free_parameters": [{"name": "talent.moving_cost"}],
            "moments": [{"id": "x", "source": "s", "metric": "no_such_metric_nominal", "region": "east",
                         "year": 2021, "target": 0.3, "tolerance": 0.02}]}
    p = tmp_path / "t.yaml"
    p.write_text(yaml.safe_dump(spec))
    with pytest.raises(InputError) as err:
        cal.load_targets(p)
    msg = str(err.value)
    assert "moments[0].metric" in msg and "no_such_metric_nominal" in msg and "'x'" in msg and "\n" not in msg


def test_new_statistics_on_a_known_array():
    years = list(range(2012, 2018))
    metrics = ["gdp", "population"]
    values = np.zeros((6, 5, 2))
    values[:, :, 0] = np.array([1.0, 2.0, 4.0, 3.0, 5.0, 2.0])[:, None]
    values[:, :, 1] = 2.0
    q = dict(figure="f", metric="gdp", region="east", kind="bound", lower=0.0)
    assert cal.moment_value(Moment(id="a", statistic="peak_year", span=(2012, 2017), **q), values, years, metrics) == 2016
    assert cal.moment_value(Moment(id="b", statistic="change", span=(2012, 2014), **q), values, years, metrics) == 3.0
    assert cal.moment_value(Moment(id="c", statistic="max", span=(2013, 2015), **q), values, years, metrics) == 4.0
    assert cal.moment_value(Moment(id="d", statistic="min", span=(2013, 2015), **q), values, years, metrics) == 2.0
    assert cal.moment_value(Moment(id="e", statistic="min_step", at=[2012, 2014, 2016], **q), values, years,
                            metrics) == 1.0
    assert cal.moment_value(Moment(id="f", year=2013, versus_region="national", **q), values, years, metrics) == 1.0
    band = Moment(id="g", figure="f", metric="gdp", region="east", year=2012, kind="bound", lower=1.0, upper=2.0,
                  scale=0.1)
    assert cal.passes(band, 1.5) and not cal.passes(band, 0.9) and not cal.passes(band, 2.1)
    assert cal.moment_loss(band, 1.5) < cal.moment_loss(band, 2.05) < cal.moment_loss(band, 2.3)
    assert cal.moment_loss(band, 1.5) < cal.moment_loss(band, 0.95)


def test_series_level_statistics_compare_with_the_nation_year_by_year():
    years = list(range(2012, 2015))
    values = np.zeros((3, 5, 1))
    values[:, 3, 0] = [10.0, 10.0, 10.0]      # northeast flat
    values[:, 4, 0] = [100.0, 125.0, 200.0]   # nation grows: the northeast's share falls 0.1 -> 0.05
    m = Moment(id="a", figure="f", kind="bound", metric="gdp", region="northeast", statistic="change",
               span=(2012, 2014), versus_national="ratio", upper=0.0)
    assert cal.moment_value(m, values, years, ["gdp"]) == pytest.approx(-0.05)


def test_run_with_posterior_draws_carries_parameter_and_seed_uncertainty(tmp_path):
    """Replicate i of a --param-draws run is draw i // seeds with seed i % seeds; the manifest says so."""
    from model.results import uncertainty
    from model.runner import run_scenario
    from model.scenario import SCENARIO_DIR, load_scenario

    sc = load_scenario(SCENARIO_DIR / "baseline.yaml").model_copy(update={"years": (2012, 2014)})
    draws = [{"talent.amenity.northeast": -0.9}, {"talent.amenity.northeast": 0.2}]
    run = run_scenario(sc, seeds=2, scale="tiny", draws=draws)
    assert len(run.replicates) == 4 and [r.index for r in run.replicates] == [0, 1, 0, 1]
    plain = run_scenario(sc, seeds=2, scale="tiny", params={"talent.amenity.northeast": 0.2}, calibrated=False)
    np.testing.assert_array_equal(run.replicates[2].values, plain.replicates[0].values)  # same seed, draw 1
    assert not np.array_equal(run.replicates[0].values, run.replicates[2].values)
    doc = uncertainty(run)
    assert doc["bands"] == "parameter and seed" and doc["parameter_draws"] == 2 and doc["seeds_per_draw"] == 2
    assert uncertainty(plain)["bands"] == "seed"


def test_time_limit_stops_at_a_batch_boundary_and_still_gives_a_posterior():
    t, _, sim, calls = _toy()
    hm = H.history_match(t, sim, budget=60, waves=3, seeds=3, draws=40, candidates=2000, batch=10, time_limit=0.0)
    assert hm.stopped_early and hm.runs() == 10 and len(hm.waves) == 1  # the emulators' minimum, then stop
    assert hm.posterior.shape == (40, 2)


def _ns(out, **kw):
    import argparse

    base = dict(out=out, force=False, resume=False, restart=False, budget=40)
    base.update(kw)
    return argparse.Namespace(**base)


def test_posterior_never_replaces_the_committed_fit_without_force():
    from model.calibration.commands import CAL_DIR, posterior_preflight
    from model.errors import InputError

    key = {"names": ["x"], "scale": "small", "seeds": 4, "targets_sha256": "t", "budget": 40, "wave_count": 3,
           "model_sha256": "m"}
    with pytest.raises(InputError) as err:
        posterior_preflight(_ns(CAL_DIR), key)
    assert "--force" in str(err.value) and "committed fit" in str(err.value) and "\n" not in str(err.value)


def test_posterior_checkpoint_rules_resume_restart_and_stale_model(tmp_path):
    import json

    from model.calibration.commands import CHECKPOINT, posterior_preflight
    from model.errors import InputError

    key = {"names": ["x"], "scale": "small", "seeds": 4, "targets_sha256": "t", "budget": 40, "wave_count": 3,
           "model_sha256": "m"}
    assert posterior_preflight(_ns(tmp_path), key) == []  # no checkpoint: a fresh run
    waves = [{"design": [[0.5]], "results": [[[1.0]]] * 12, "nroy_share": 1.0}]
    (tmp_path / CHECKPOINT).write_text(json.dumps({**key, "waves": waves}))
    with pytest.raises(InputError) as err:  # an unfinished run of the same command is never dropped silently
        posterior_preflight(_ns(tmp_path), key)
    assert "--resume" in str(err.value) and "--restart" in str(err.value) and "12 of 40" in str(err.value)
    assert posterior_preflight(_ns(tmp_path, resume=True), key) == waves
    assert posterior_preflight(_ns(tmp_path, restart=True), key) == []
    with pytest.raises(InputError) as err:  # the model changed since: its runs cannot be mixed with new ones
        posterior_preflight(_ns(tmp_path, resume=True), {**key, "model_sha256": "other"})
    assert "model code" in str(err.value)
    with pytest.raises(InputError):
        posterior_preflight(_ns(tmp_path, resume=True, restart=True), key)
    # another command's checkpoint (other budget) is replaced by a fresh run, with a note
    assert posterior_preflight(_ns(tmp_path, budget=60), {**key, "budget": 60}) == []


def test_posterior_sampler_gives_many_effective_draws_where_resampling_gave_few():
    t, truth, sim, _ = _toy()
    hm = H.history_match(t, sim, budget=40, waves=2, seeds=3, draws=300, candidates=5000)
    diag = hm.sampler
    assert hm.posterior_weight_ess > max(100.0, diag["sir_ess_of_start_pool"])  # MCMC on the emulator
    assert diag["split_rhat_max"] < 1.1 and 0.05 < diag["acceptance"] < 0.9
    lo, hi = np.quantile(hm.posterior, [0.05, 0.95], axis=0)
    assert np.all((lo <= truth) & (truth <= hi))
    H.diagnostics(hm, t)  # JSON-ready


def test_robustness_rows_on_known_paired_effects():
    from model.calibration.accounting import POLICY_FROM, robustness
    from model.calibration.targets import REGIONS
    from model.recorder import METRICS

    years = (2012, 2035)
    yrs = list(range(years[0], years[1] + 1))
    names = list(METRICS)
    seeds = 4

    def blank():
        v = np.ones((len(yrs), len(REGIONS) + 1, len(names)))
        v[:, :, names.index("gdp_growth")] = 0.05
        return v

    base = [blank() for _ in range(seeds)]
    for i, b in enumerate(base):  # east growth 2030 differs by 2 points per seed: band ~ 0.95 * 6 points
        b[yrs.index(2030), 0, names.index("gdp_growth")] = 0.05 + 0.02 * i
    scen = [v.copy() for v in base]
    ne = list(REGIONS).index("northeast")
    a = yrs.index(POLICY_FROM)
    for i, s in enumerate(scen):  # NE GDP effect 1, 1, 1, 5 per year: the last seed is 5x the median
        s[a:, ne, names.index("gdp")] += [1.0, 1.0, 1.0, 5.0][i]
        s[-1, ne, names.index("firms")] += 10.0
    rows = robustness({"baseline": base, "ne-revival": scen}, years, {"ne-revival": ("northeast",)})
    band, tip = rows
    assert band["id"] == "growth_seed_band" and band["value"] == pytest.approx(100 * 0.06 * 0.9, rel=0.01)
    assert band["pass"] and "east 2030" in band["where"]
    assert tip["value"] == pytest.approx(5.0) and not tip["pass"] and "target GDP" in tip["where"]


def test_geese_posterior_stops_on_its_time_limit_and_resumes_from_the_checkpoint(tmp_path, capsys):
    """The CLI end to end at tiny scale: --minutes 0 stops after the first wave (a posterior is written),
    the same command again refuses to drop the unfinished checkpoint, --resume makes only the missing runs."""
    import json

    from model.cli import main

    spec = {"years": [2012, 2015], "free_parameters": [{"name": "talent.amenity.northeast", "bounds": [-1.0, 0.3]}],
            "moments": [{"id": "ne_pop", "source": "synthetic", "metric": "population", "region": "northeast",
                         "year": 2015, "target": 105.0, "tolerance": 2.0}]}
    targets = tmp_path / "targets.yaml"
    targets.write_text(yaml.safe_dump(spec))
    out = tmp_path / "cal"
    cmd = ["posterior", "--budget", "16", "--waves", "2", "--draws", "20", "--scale", "tiny", "--seeds", "1",
           "--workers", "1", "--targets", str(targets), "--out", str(out)]
    assert main(cmd + ["--minutes", "0"]) == 0
    first = json.loads((out / "posterior.json").read_text())
    assert first["stopped_early_by_time_limit"] and first["runs"] == 8
    assert (out / "params.yaml").is_file() and (out / ".posterior-checkpoint.json").is_file()
    assert main(cmd) != 0  # an unfinished checkpoint of the same command: --resume or --restart
    assert "--resume" in capsys.readouterr().err
    assert main(cmd + ["--resume"]) == 0
    doc = json.loads((out / "posterior.json").read_text())
    assert doc["runs"] == 16 and doc["runs_resumed_from_checkpoint"] == 8 and not doc["stopped_early_by_time_limit"]


def test_geese_posterior_refuses_the_committed_fit_without_force_before_any_run(capsys):
    assert_committed_fit_kept(capsys, ["posterior", "--budget", "40"], ROOT)


def test_stacked_emulator_prediction_equals_scikit_learns():
    """Emulator.predict stacks the moments' GPs; it must give scikit-learn's predictive mean and variance."""
    t, _, sim, _ = _toy()
    hm = H.history_match(t, sim, budget=20, waves=1, seeds=3, draws=10, candidates=500)
    em = hm.emulators[-1]
    u = np.random.default_rng(3).random((700, 2))  # more than one 512-point block
    mu, var = em.predict(u)
    for j, gp in enumerate(em.gps):
        m, s = gp.predict(u, return_std=True)
        np.testing.assert_allclose(mu[:, j], m, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(var[:, j], s**2, rtol=1e-6, atol=1e-12)


def test_a_declared_model_discrepancy_lowers_the_implausibility_but_not_the_pass_rule():
    t, _, sim, _ = _toy()
    hm = H.history_match(t, sim, budget=20, waves=1, seeds=3, draws=10, candidates=500)
    em = hm.emulators[-1]
    u = np.random.default_rng(5).random((50, 2))
    before = H.implausibility(t, em, u)[:, 0]
    t2 = t.model_copy(update={"moments": [t.moments[0].model_copy(update={"discrepancy": 0.2})] + t.moments[1:]})
    H.set_discrepancy(t2, em, u)
    after = H.implausibility(t2, em, u)[:, 0]
    assert np.all(after <= before + 1e-12) and np.any(after < before)
    assert cal.passes(t2.moments[0], t2.moments[0].target + 0.15) is False  # still judged by the tolerance (0.1)


def test_band_coverage_reaches_the_target_interval_or_the_point():
    from model.calibration.validation import covers

    base = dict(figure="f", metric="gdp", region="east", year=2012)
    value = Moment(id="v", target=1.0, tolerance=0.1, **base)
    assert covers(value, 0.95, 1.05) and covers(value, 0.95, 1.05, point=True)
    assert covers(value, 1.05, 1.08) and not covers(value, 1.05, 1.08, point=True)  # reaches 1 +- 0.1, not 1
    assert not covers(value, 1.11, 1.2)
    bound = Moment(id="b", kind="bound", upper=0.0, scale=0.05, **base)
    assert covers(bound, -0.1, 0.2) and not covers(bound, 0.01, 0.2)
    assert not covers(value, float("nan"), 1.0)
