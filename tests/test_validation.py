"""Issue 11: the validation report, the screening and convergence commands, and lever costs, end to end at
scale tiny on a short targets file (fast)."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from model.cli import main
from model.mechanisms import fiscal

SPEC = {"years": [2012, 2016],
        "free_parameters": [{"name": "talent.amenity.northeast", "bounds": [-1.0, 0.3]},
                            {"name": "digital.diffusion_rate", "bounds": [0.05, 0.45]}],
        "moments": [
            {"id": "ne_pop", "figure": "ne_population", "metric": "population", "region": "northeast", "year": 2016,
             "target": 105.0, "tolerance": 3.0},
            {"id": "growth", "group": "plausibility", "source": "a public source", "kind": "bound",
             "metric": "gdp", "region": "national", "statistic": "cagr", "span": [2012, 2016],
             "lower": 0.0, "upper": 0.5, "scale": 0.01},
            {"id": "dig", "group": "fact", "source": "a fact", "kind": "bound", "metric": "digital_adoption",
             "region": "national", "year": 2016, "lower": 0.0, "scale": 0.01}],
        "not_moments": [{"figure": "central_west_land_share", "reason": "land is not modelled"}]}


@pytest.fixture
def targets(tmp_path) -> Path:
    p = tmp_path / "targets.yaml"
    p.write_text(yaml.safe_dump(SPEC))
    return p


def test_check_writes_the_report_with_sources_bands_and_verdict(tmp_path, targets, capsys):
    out = tmp_path / "cal"
    params = tmp_path / "params.yaml"
    params.write_text("values: {talent.amenity.northeast: -0.2}\n")
    post = tmp_path / "posterior.csv"
    post.write_text("draw,talent.amenity.northeast,digital.diffusion_rate\n0,-0.3,0.2\n1,-0.1,0.3\n")
    code = main(["check", "--scale", "tiny", "--seeds", "2", "--workers", "1", "--param-draws", "2",
                 "--targets", str(targets), "--params", str(params), "--posterior", str(post), "--out", str(out),
                 "--no-policy"])
    text = (out / "validation.md").read_text()
    assert (out / "validation.png").read_bytes()[:4] == b"\x89PNG"
    for word in ("ne_pop", "growth", "dig", "a public source", "001_14c88a919c83384d.txt", "draws x seeds band",
                 "central_west_land_share", "Verdict"):
        assert word in text, word
    assert "2 posterior draws" in text
    assert code in (0, 1) and ("PASS" in text) == (code == 0)
    assert "validation:" in capsys.readouterr().out


def test_targets_exit_rule_needs_every_plausibility_requirement(tmp_path, capsys):
    spec = dict(SPEC, moments=[dict(SPEC["moments"][1], upper=-0.5, lower=None) | {"lower": -1.0}])
    p = tmp_path / "t.yaml"
    p.write_text(yaml.safe_dump(spec))
    params = tmp_path / "params.yaml"
    params.write_text("values: {talent.amenity.northeast: -0.2}\n")
    code = main(["targets", "--scale", "tiny", "--seeds", "1", "--workers", "1", "--targets", str(p),
                 "--params", str(params)])
    out = capsys.readouterr().out
    assert code == 1 and "plausibility 0/1 (need all)" in out and "FAIL" in out


def test_screen_and_convergence_commands_write_their_files(tmp_path, targets):
    out = tmp_path / "cal"
    assert main(["screen", "--trajectories", "2", "--scale", "tiny", "--seeds", "2", "--workers", "1",
                 "--targets", str(targets), "--out", str(out)]) == 0
    doc = yaml.safe_load((out / "screening.json").read_text())
    assert np.array(doc["mu_star"]).shape == (2, 3) and set(doc["verdict"]) == {"talent.amenity.northeast",
                                                                               "digital.diffusion_rate"}
    assert "| parameter | identified by" in (out / "screening.md").read_text()
    assert (out / "screening.png").read_bytes()[:4] == b"\x89PNG"
    first = np.array(doc["mu_star"])
    assert main(["screen", "--scale", "tiny", "--targets", str(targets), "--out", str(out), "--runs",
                 str(out / "screening_runs.npz")]) == 0  # the saved runs, analysed again without simulating
    np.testing.assert_allclose(np.array(yaml.safe_load((out / "screening.json").read_text())["mu_star"]), first)
    assert main(["convergence", "--scales", "tiny", "--seeds", "1", "--workers", "1", "--targets", str(targets),
                 "--out", str(out)]) == 0
    assert "Smallest scale that agrees with `tiny`: `tiny`" in (out / "convergence.md").read_text()


def test_convergence_agreement_rule():
    from model.calibration.convergence import agreement
    from model.calibration.targets import Targets

    t = Targets.model_validate(SPEC)
    res = {"small": {"shares": {"a": 0.49}, "moments": np.array([100.0, 0.05, 0.1])},
           "medium": {"shares": {"a": 0.515}, "moments": np.array([104.0, 0.05, 0.1])},
           "full": {"shares": {"a": 0.52}, "moments": np.array([102.0, 0.05, 0.1])}}
    ag = agreement(t, res, "full")
    assert ag["medium"]["agrees"] and not ag["small"]["agrees"]  # small: 3 points off in the share
    assert ag["small"]["share_gap"] == pytest.approx(0.03) and ag["small"]["moments_off"] == []
    res["medium"]["moments"][0] = 98.0  # 4 from full: more than the tolerance of 3
    assert agreement(t, res, "full")["medium"]["moments_off"] == ["ne_pop"]


def test_levers_that_were_free_book_a_cost():
    cut, friction, va = np.array([0.5, 0.0]), np.array([0.4, 0.4]), np.array([100.0, 200.0])
    infra, gdp = np.array([0.0, 0.3]), np.array([1000.0, 2000.0])
    tt, rd = np.array([0.2, 0.0]), np.array([20.0, 40.0])
    c = fiscal.lever_costs(cut, friction, va, infra, 0.01, gdp, tt, 0.5, rd)
    np.testing.assert_allclose(c, [0.5 * 0.4 * 100 + 0.2 * 0.5 * 20, 0.3 * 0.01 * 2000])
    assert fiscal.lever_costs(0 * cut, friction, va, 0 * infra, 0.01, gdp, 0 * tt, 0.5, rd).sum() == 0


def test_entry_side_of_the_relocation_subsidy_is_booked_once():
    sub = np.zeros((2, 4))
    sub[1, 2] = 0.3
    c = fiscal.entry_subsidy_cost(np.array([1, 1, 0]), np.array([2, 0, 2]), np.array([10.0, 10.0, 10.0]),
                                  np.array([100.0, 100.0, 100.0]), sub)
    np.testing.assert_allclose(c, [0.0, 10 * 100 * 0.3 / 100])


def test_business_environment_is_no_longer_free():
    from model.api import build_model

    m = build_model(Path(__file__).resolve().parent.parent / "scenarios" / "transfer-promotion.yaml", scale="tiny")
    m.config = m.config.model_copy(update={"years": (2012, 2026)})
    rec = m.run()
    assert rec.series("policy_cost", "west")[-1] > 0 and rec.series("policy_cost", "east")[-1] == 0


def test_screening_rewrites_the_free_and_fixed_lists_keeping_the_rest(tmp_path):
    from model.calibration.screening import update_targets
    from model.calibration.targets import load_targets

    p = tmp_path / "targets.yaml"
    p.write_text("# head\nyears: [2012, 2016]\n# free ones\nfree_parameters:\n  - {name: talent.moving_cost}\n\n"
                 "# fixed ones\nfixed_parameters: []\n\nmoments:\n" + yaml.safe_dump(SPEC["moments"]))
    t = load_targets(p)
    res = {"names": ["talent.moving_cost", "digital.diffusion_rate"], "bounds": [[0.5, 5.0], [0.05, 0.45]],
           "moments": ["ne_pop", "growth", "dig"], "mu_star": np.array([[0.1, 0.0, 0.0], [0.0, 0.0, 3.0]]),
           "noise": np.zeros((2, 3)), "identified": np.array([[False] * 3, [False, False, True]])}
    free, fixed = update_targets(p, t, res, max_free=5)
    assert free == ["digital.diffusion_rate"] and fixed == ["talent.moving_cost"]
    text = p.read_text()
    assert text.startswith("# head") and "# free ones" in text and "# fixed ones" in text
    t2 = load_targets(p)
    assert [fp.name for fp in t2.free_parameters] == ["digital.diffusion_rate"]
    assert t2.fixed_parameters[0].name == "talent.moving_cost" and "0.5 tolerance" in t2.fixed_parameters[0].reason


def test_sector_keyed_parameters_are_screened_as_one_group():
    from model.calibration.screening import group_of

    assert group_of("demand.income_elasticity.high_tech") == "demand.income_elasticity.*"
    assert group_of("talent.amenity.northeast") == "talent.amenity.northeast"
    assert group_of("talent.moving_cost") == "talent.moving_cost"


def test_a_bound_met_everywhere_identifies_nothing_however_much_its_value_moves():
    """Bounds are screened by their breach (0 where met): a quantity that moves a lot but always meets its bound
    does not identify the parameter; the same quantity as a value moment does."""
    from SALib.sample import morris as sample

    from model.calibration.screening import morris
    from model.calibration.targets import Moment, Targets

    base = dict(figure="f", metric="gdp", region="east", year=2012)
    t = Targets(free_parameters=[{"name": "talent.moving_cost", "bounds": (0.5, 5.0)}],
                moments=[Moment(id="b", kind="bound", lower=0.0, scale=1.0, **base),
                         Moment(id="v", target=50.0, tolerance=1.0, **base)])
    names, bounds = ["talent.moving_cost"], [(0.5, 5.0)]
    X = sample.sample({"num_vars": 1, "names": names, "bounds": [[0.5, 5.0]]}, 4, num_levels=4, seed=1)
    y = 100.0 + 20.0 * X[:, 0]                      # always above the bound's 0, by 100+ scales
    Y = np.stack([np.stack([y, y], axis=1), np.stack([y - 60.0, y - 60.0], axis=1)], axis=2)  # [run, seed, moment]
    res = morris(t, names, bounds, None, 4, 2, runs=(X, Y))
    assert res["mu_star"][0, 0] == 0 and not res["identified"][0, 0]
    assert res["mu_star"][0, 1] > 1 and res["identified"][0, 1]
    raw = morris(t, names, bounds, None, 4, 2, runs=(X, Y), penalty=False)
    assert raw["mu_star"][0, 0] > 10  # the old reading: 'identified' by a bound it never breaches
