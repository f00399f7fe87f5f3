"""The carbon-price response of a scenario against the baseline, same seeds (issue 10).

    python -m model.carbon_report results/            # every shipped carbon scenario found there vs baseline
    python -m model.carbon_report results/ high-carbon

Reads ``<dir>/<scenario>/timeseries.csv`` written by ``geese run`` (run the baseline and the scenario with
the same ``--seeds`` and ``--scale``) and prints, per comparison year:

* CO2 cut: national emissions change against the baseline (%, and Mt), seed mean and seed range;
* output cost: change of real GDP and of industrial value added (%), and the carbon and abatement bills;
* leakage between regions: each region's change of CO2 (Mt) and of its share of national industrial value
  added (points), and the leakage rate sum(rises) / sum(cuts) of regional CO2 (0 = every region cuts).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

YEARS = (2030, 2035)


def carbon_scenarios(directory: Path | None = None) -> tuple[str, ...]:
    """The shipped carbon scenarios: every scenario file (other than the baseline) that sets its own
    ``levers.carbon_price`` (price path, coverage or allocation); scenarios that only inherit the
    baseline's price are not carbon scenarios."""
    from .scenario import SCENARIO_DIR
    from .yamlio import load_yaml_file

    directory = SCENARIO_DIR if directory is None else Path(directory)
    names = []
    for f in sorted(directory.glob("*.yaml")):
        if f.stem == "baseline":
            continue
        doc = load_yaml_file(f)
        levers = doc.get("levers") if isinstance(doc, dict) else None
        if isinstance(levers, dict) and levers.get("carbon_price") is not None:
            names.append(f.stem)
    return tuple(names)


CARBON_SCENARIOS = carbon_scenarios()


def _load(path: Path) -> pd.DataFrame:
    ts = pd.read_csv(path / "timeseries.csv")
    return ts.set_index(["metric", "region", "year", "seed"])["value"].sort_index()


def response(base: pd.Series, alt: pd.Series, year: int) -> dict[str, object]:
    def get(s: pd.Series, metric: str, region: str = "national") -> pd.Series:
        return s.loc[(metric, region, year)]

    seeds = sorted(set(get(base, "emissions").index) & set(get(alt, "emissions").index))
    if not seeds:
        raise SystemExit("no common seeds between the two runs")

    def rel(metric: str, region: str = "national") -> pd.Series:
        b, a = get(base, metric, region).loc[seeds], get(alt, metric, region).loc[seeds]
        return a / b - 1.0

    regions = [r for r in base.index.get_level_values("region").unique() if r != "national"]
    d_reg = {r: (get(alt, "emissions", r).loc[seeds] - get(base, "emissions", r).loc[seeds]) for r in regions}
    d_share = {r: (get(alt, "industrial_va_share", r).loc[seeds] - get(base, "industrial_va_share", r).loc[seeds])
               for r in regions}
    rises = sum(d.clip(lower=0) for d in d_reg.values())
    cuts = sum((-d).clip(lower=0) for d in d_reg.values())
    cut = rel("emissions")
    return {
        "year": year, "seeds": len(seeds),
        "co2_cut_pct": -100 * cut.mean(), "co2_cut_range": (-100 * cut.max(), -100 * cut.min()),
        "co2_cut_mt": -(get(alt, "emissions").loc[seeds] - get(base, "emissions").loc[seeds]).mean(),
        "gdp_cost_pct": -100 * rel("gdp").mean(), "industry_cost_pct": -100 * rel("industrial_va").mean(),
        "carbon_bill_yi": get(alt, "carbon_cost").loc[seeds].mean(),
        "abatement_bill_yi": get(alt, "abatement_cost").loc[seeds].mean()
        if ("abatement_cost", "national", year) in alt.index.droplevel("seed") else float("nan"),
        "leakage_rate": float((rises / cuts.where(cuts > 0)).mean()),
        "regional_co2_mt": {r: float(d.mean()) for r, d in d_reg.items()},
        "regional_industry_share_pts": {r: float(100 * d.mean()) for r, d in d_share.items()},
    }


def report(results: Path, scenario: str, years: tuple[int, ...] = YEARS) -> str:
    base, alt = _load(results / "baseline"), _load(results / scenario)
    lines = [f"{scenario} vs baseline (same seeds)"]
    for y in years:
        r = response(base, alt, y)
        lo, hi = r["co2_cut_range"]
        lines.append(
            f"  {y}: CO2 cut {r['co2_cut_pct']:.1f}% ({r['co2_cut_mt']:.0f} Mt; seeds {lo:.1f} to {hi:.1f}%), "
            f"GDP cost {r['gdp_cost_pct']:.2f}%, industrial VA cost {r['industry_cost_pct']:.2f}%, "
            f"carbon bill {r['carbon_bill_yi']:.0f} yi yuan, abatement bill {r['abatement_bill_yi']:.0f} yi yuan, "
            f"leakage rate {r['leakage_rate']:.2f} ({r['seeds']} seeds)")
        lines.append("        regional CO2 change (Mt): " + ", ".join(
            f"{k} {v:+.0f}" for k, v in r["regional_co2_mt"].items()))
        lines.append("        industrial VA share change (points): " + ", ".join(
            f"{k} {v:+.2f}" for k, v in r["regional_industry_share_pts"].items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    results = Path(argv[0]) if argv else Path("results")
    if not (results / "baseline" / "timeseries.csv").is_file():
        print(f"{results / 'baseline' / 'timeseries.csv'}: no baseline results; run `geese run baseline "
              f"{' '.join(CARBON_SCENARIOS)} --seeds N --out {results}` first", file=sys.stderr)
        return 2
    names = argv[1:] or [s for s in CARBON_SCENARIOS if (results / s / "timeseries.csv").is_file()]
    missing = [s for s in CARBON_SCENARIOS if s not in names and not argv[1:]]
    if not names:
        print(f"{results}: none of the carbon scenarios {list(CARBON_SCENARIOS)} has results there", file=sys.stderr)
        return 2
    for name in names:
        if not (results / name / "timeseries.csv").is_file():
            print(f"{results / name / 'timeseries.csv'}: no results for {name}", file=sys.stderr)
            return 2
        print(report(results, name))
    for name in missing:
        print(f"(no results for the carbon scenario {name} in {results})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
