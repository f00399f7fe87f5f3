"""Energy: the regional power mix, sector efficiency and electrification, the abatement cost curve and
non-industrial (buildings, transport) emissions. Pure, vectorised equation functions; the carbon module
(``mechanisms/carbon.py``) applies them to firms and regions each year. Inputs: ``data/energy_2012_2035.yaml``
(sourced series) and the ``energy.*`` group of ``data/parameters.yaml``.

Power mix and grid factor (by region r, year t):

    nf_r,t   = nf_r,12 + (nf_r,24 - nf_r,12) (nf_t - nf_12)/(nf_24 - nf_12)     t <= 2024 (sourced)
    1-nf_r,t = (1 - nf_r,24) (1 - nf_t)/(1 - nf_24)                             t > 2024 (policy path)
    coal_r,t = max(1 - nf_r,t - gas_t, 0)                    non-fossil displaces coal first
    EF_r,t   = coal_r,t hr_t c_coal + gas_r,t c_gas          kg CO2 per kWh generated
    G_r,t    = EF_r,t / EF_r,2012 x (1 - a^pow_t)            grid factor relative to 2012
    a^pow_t  = A_pow X/(X + c_pow),  X = max(P^pow_t - P^ref_t, 0)

(nf_t the national non-fossil share of generation, gas_t the gas share, hr_t the coal heat rate; the
power sector abates beyond the policy path only for the part of its carbon price above the existing ETS
price P^ref that the sourced path already embodies.)

Sector energy intensity and electrification (each firm, each year, by its sector s):

    d_i <- d_i (1 - x_s)(1 - e_s,t)                direct fuel and process CO2 intensity
    p_i <- p_i (1 - e^el_s) + x_s d_i phi / g_r,12  electricity use (x regional 2012 grid intensity)

e_s,t = e^early_s x pace_t in the observed years 2013-2024 (pace_t = d_t / mean_2013-2020 d: the NBS yearly fall of
national energy use per unit of GDP, relative to its 2012-2020 mean; data file energy_intensity_decline_nbs), then
energy.efficiency_gain_2021_2035 (policy pace); e^early_s = energy.efficiency_gain_2012_2020 sets the level (calibrated
to 2012-2020 CO2; the pace averages 1 over 2013-2020). e^el_s = energy.power_efficiency_gain; x_s =
energy.electrification_rate; phi = energy.electrification_co2_ratio (CO2 at the 2012 grid per unit of
fuel CO2 replaced).

Marginal abatement cost curve on covered direct emissions (sector s, share a of direct CO2 abated):

    MAC_s(a) = c_s a / (A_s - a)                    yuan/t; A_s the technical maximum share
    a*_s(P)  = A_s P / (P + c_s)                    cost-minimising share at marginal price P
    C_s(a)   = c_s (A_s ln(A_s / (A_s - a)) - a)    yuan per tonne of unabated direct CO2 (integral of MAC)

Non-industrial CO2 (region r; N population, y = GDP / N income per head):

    E^b_r,t  = E^b_r,12 (N_t/N_12)(y_t/y_12)^eps_b (1 - eta_b)^(t-12) [(1 - s^b_t) + s^b_t G_r,t]/1
    E^tr_r,t = E^tr_r,12 (N_t/N_12)(y_t/y_12)^eps_tr (1 - eta_tr)^(t-12) [(1 - s^tr_t) + s^tr_t G_r,t]/1
    s^b_t    = min(s^b_12 + k_b (t - 2012), 0.9)                     electricity share, buildings
    s^tr_t   = s^tr_12 + S_ev / (1 + exp(-k_ev (t - t_ev))) - S_ev / (1 + exp(-k_ev (2012 - t_ev)))
    E^o_r,t  = E^o_r,12 (NI_t / NI_12) (1 - eta_o)^(t-12)            agriculture, construction, other

(the electricity part is normalised so that one unit of fuel CO2 electrified emits one unit at the 2012
grid: heat pumps and electric vehicles use 3-4 times less final energy, the 2012 grid emitted about 3 times
as much per unit of final energy as the fuels they replace.)
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from .errors import InputError
from .numeric import gather, lookup, uniform_value
from .yamlio import load_packaged_yaml, load_yaml_file

ENERGY_FILE = "model/data/energy_2012_2035.yaml"
FIRST, LAST = 2012, 2035


def interpolate(points: dict[int, float], years: np.ndarray) -> np.ndarray:
    """Linear between the listed years, flat before the first and after the last."""
    xs = np.array(sorted(points), dtype=float)
    ys = np.array([points[int(x)] for x in xs], dtype=float)
    return np.interp(np.asarray(years, dtype=float), xs, ys)


@dataclass(frozen=True)
class EnergyData:
    years: np.ndarray              # 2012 .. 2100
    nonfossil: np.ndarray          # [year, region] non-fossil share of generation
    nonfossil_national: np.ndarray  # [year]
    gas: np.ndarray                # [year] gas share of generation
    heat_rate: np.ndarray          # [year] gce per kWh
    coal_factor: float             # kg CO2 per gce
    gas_factor: float              # kg CO2 per kWh
    reference_price: dict[int, float]  # yuan/t, the ETS price embodied in the sourced path
    source: str
    efficiency_pace: dict[int, float] = None  # observed year -> pace of efficiency gains (mean 1 over 2013-2020)

    def at(self, year: int) -> int:
        return int(min(max(year, self.years[0]), self.years[-1]) - self.years[0])


def regional_nonfossil(nat: np.ndarray, years: np.ndarray, r12: np.ndarray, r24: np.ndarray) -> np.ndarray:
    """[year, region] non-fossil share: sourced endpoints along the national shape, then fossil shares scaled."""
    n12, n24 = nat[years == 2012][0], nat[years == 2024][0]
    shape = (nat - n12) / (n24 - n12)
    early = r12[None, :] + (r24 - r12)[None, :] * shape[:, None]
    late = 1.0 - (1.0 - r24)[None, :] * ((1.0 - nat) / (1.0 - n24))[:, None]
    out = np.where((years <= 2024)[:, None], early, late)
    return np.clip(out, 0.0, 0.98)


def load_energy_data(regions: tuple[str, ...], path: str | Path | None = None) -> EnergyData:
    if path is None:
        text = resources.files("model").joinpath("data/energy_2012_2035.yaml").read_text(encoding="utf-8")
        doc, file = load_packaged_yaml(text, ENERGY_FILE), ENERGY_FILE
    else:
        doc, file = load_yaml_file(path), str(path)
    years = np.arange(FIRST, 2101)

    def series(key: str, table: object) -> dict[int, float]:
        if not isinstance(table, dict):
            raise InputError(file, key, table, "a mapping of years to numbers")
        out = {int(y): float(v) for y, v in table.items() if str(y).isdigit()}
        if not out:
            raise InputError(file, key, table, "at least one year")
        return out

    try:
        nf = doc["nonfossil_share_of_generation"]
        nat = interpolate(series("nonfossil_share_of_generation.national", nf["national"]), years)
        by = nf["by_region"]
        rows = {}
        for y in (2012, 2024):
            table = by.get(y, by.get(str(y)))
            missing = [r for r in regions if not isinstance(table, dict) or r not in table]
            if missing:
                raise InputError(file, f"nonfossil_share_of_generation.by_region.{y}", missing,
                                 f"a share for every region: {list(regions)}")
            rows[y] = np.array([float(table[r]) for r in regions])
        ef = doc["emission_factors_kg_per_kwh"]
        return EnergyData(
            years=years, nonfossil=regional_nonfossil(nat, years, rows[2012], rows[2024]), nonfossil_national=nat,
            gas=interpolate(series("gas_share_of_generation", doc["gas_share_of_generation"]), years),
            heat_rate=interpolate(series("coal_heat_rate_gce_per_kwh", doc["coal_heat_rate_gce_per_kwh"]), years),
            coal_factor=float(ef["coal_per_gce"]), gas_factor=float(ef["gas"]),
            reference_price=series("ets_reference_price_cny_per_tonne", doc["ets_reference_price_cny_per_tonne"]),
            source=file,
            efficiency_pace=efficiency_pace(series("energy_intensity_decline_nbs", doc["energy_intensity_decline_nbs"])))
    except KeyError as exc:
        raise InputError(file, str(exc.args[0]), None, "a required energy input is missing") from None


def emission_factor(nonfossil: np.ndarray, gas: float, heat_rate: float, coal_factor: float,
                    gas_factor: float) -> np.ndarray:
    """kg CO2 per kWh generated: non-fossil displaces coal first, gas keeps its share of generation."""
    gas_r = np.minimum(gas, 1.0 - nonfossil)
    coal = np.maximum(1.0 - nonfossil - gas_r, 0.0)
    return coal * heat_rate * 1e-3 * coal_factor + gas_r * gas_factor


def grid_factor(data: EnergyData, year: int, power_abatement: float = 0.0) -> np.ndarray:
    """[region] grid emission factor relative to the region's 2012 factor."""
    i, i0 = data.at(year), data.at(FIRST)
    now = emission_factor(data.nonfossil[i], data.gas[i], data.heat_rate[i], data.coal_factor, data.gas_factor)
    base = emission_factor(data.nonfossil[i0], data.gas[i0], data.heat_rate[i0], data.coal_factor, data.gas_factor)
    return now / base * (1.0 - power_abatement)


def reference_price(data: EnergyData, year: int) -> float:
    pts = data.reference_price
    if year < min(pts):
        return 0.0
    return float(interpolate(pts, np.array([year]))[0])


def abatement_share(price: np.ndarray, max_share: np.ndarray, half_cost: np.ndarray) -> np.ndarray:
    """a*(P) = A P / (P + c): where the marginal abatement cost c a / (A - a) equals the price P (yuan/t)."""
    p = np.maximum(price, 0.0)
    return max_share * p / (p + half_cost)


def marginal_cost(a: np.ndarray, max_share: np.ndarray, half_cost: np.ndarray) -> np.ndarray:
    """MAC(a) = c a / (A - a) yuan per tonne."""
    return half_cost * a / np.maximum(max_share - a, 1e-12)


def abatement_cost(a: np.ndarray, max_share: np.ndarray, half_cost: np.ndarray,
                   sector: np.ndarray | None = None) -> np.ndarray:
    """Yuan per tonne of unabated direct CO2: the area under the MAC curve, c (A ln(A/(A - a)) - a).
    ``sector`` given: ``max_share`` and ``half_cost`` are per sector; the terms that depend on the sector only
    are formed per sector and gathered (the same numbers per firm, fewer passes over the firms)."""
    cap, positive = max_share * (1 - 1e-9), max_share > 0
    if sector is not None:
        max_share, half_cost, cap = gather(max_share, sector), gather(half_cost, sector), gather(cap, sector)
        positive = lookup(positive, sector) if not positive.all() else True
    a = np.minimum(a, cap)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = half_cost * (max_share * np.log(max_share / (max_share - a)) - a)
    if positive is True:  # np.where(True, out, 0.0) is out
        return out
    return np.where(positive, out, 0.0)


CALIBRATION_SPAN = (2013, 2020)  # the years whose mean rate energy.efficiency_gain_2012_2020 is


def efficiency_pace(decline: dict[int, float]) -> dict[int, float]:
    """Observed year -> d_t / mean(d over 2013-2020): the year-to-year shape of the national energy-intensity path."""
    a, b = CALIBRATION_SPAN
    span = [d for y, d in decline.items() if a <= y <= b]
    if len(span) != b - a + 1 or sum(span) <= 0:
        raise InputError(ENERGY_FILE, "energy_intensity_decline_nbs", decline,
                         f"a positive-mean yearly decline for every year {a}-{b}")
    mean = sum(span) / len(span)
    return {y: d / mean for y, d in sorted(decline.items())}


def efficiency_rate(year: int, early: np.ndarray, late: np.ndarray, pace: dict[int, float] | None = None) -> np.ndarray:
    """[sector] yearly fall of energy intensity: the 2012-2020 trend, then the 2021-2035 one. With ``pace``
    (observed year -> relative pace, ``efficiency_pace``): the 2012-2020 rates times the observed pace in the
    observed years (2013-2024: fast 2013-2016, stalled 2020 and 2022-2023), then the 2021-2035 policy rates."""
    if pace:
        if year in pace:
            return early * pace[year]
    return early if year <= CALIBRATION_SPAN[1] else late


def intensity_update(direct: np.ndarray, power: np.ndarray, eff: np.ndarray, eff_power: np.ndarray, elec: np.ndarray,
                     phi: float, grid_2012: np.ndarray, sector: np.ndarray | None = None,
                     region: np.ndarray | None = None, firms=None) -> tuple[np.ndarray, np.ndarray]:
    """One year of efficiency gains and electrification for firm rows (arrays already per firm; or, with
    ``sector`` and ``region``, the rates per sector and the grid per region: then 1 - eff and the grid floor are
    formed per sector and region and gathered, the same numbers per firm with fewer passes over the firms;
    ``sector`` and ``region`` are index arrays or gather functions, ``numeric.gather``).
    The products and sums are formed in place (the same operations in the same order). ``firms``: the rows are
    these firms (``agents.Firms``) and the rates per sector, the grid per region: the tables are applied by the
    firms' sorted cell blocks (``Firms.combine_sector`` / ``combine_region``: each block's entry as a scalar, the
    same operation on the same numbers per firm), a table of one value as that scalar."""
    keep, keep_power, grid = 1.0 - eff, 1.0 - eff_power, np.maximum(grid_2012, 1e-12)
    if firms is not None:
        def apply(combine, op, x, table, first=False, out=None):
            one = uniform_value(np.asarray(table, dtype=np.float64))
            if one is not None:
                return op(one, x, out=out) if first else op(x, one, out=out)
            return combine(op, x, table, table_first=first, out=out)

        moved = apply(firms.combine_sector, np.multiply, direct, elec, first=True)  # elec x direct
        new_direct = direct - moved
        apply(firms.combine_sector, np.multiply, new_direct, keep, out=new_direct)
        new_power = apply(firms.combine_sector, np.multiply, power, keep_power)
        moved *= phi
        apply(firms.combine_region, np.divide, moved, grid, out=moved)
        new_power += moved
        return new_direct, new_power
    if sector is not None:
        elec, keep, keep_power = gather(elec, sector), gather(keep, sector), gather(keep_power, sector)
    if region is not None:
        grid = gather(grid, region)
    moved = elec * direct
    new_direct = direct - moved
    new_direct *= keep
    new_power = power * keep_power
    moved *= phi
    moved /= grid
    new_power += moved
    return new_direct, new_power


def logistic(t: float, top: float, mid: float, speed: float) -> float:
    return top / (1.0 + np.exp(-speed * (t - mid)))


def electric_share_buildings(year: int, s0: float, rate: float) -> float:
    return min(s0 + rate * (year - FIRST), 0.9)


def electric_share_transport(year: int, s0: float, top: float, mid: float, speed: float) -> float:
    return s0 + logistic(year, top, mid, speed) - logistic(FIRST, top, mid, speed)


def end_use(base: np.ndarray, pop_ratio: np.ndarray, income_ratio: np.ndarray, elasticity: float,
            efficiency: float, years: int, electric_share: float, grid: np.ndarray) -> np.ndarray:
    """[region] CO2 of one end use (buildings or transport): activity x efficiency x fuel mix."""
    activity = pop_ratio * np.maximum(income_ratio, 1e-9) ** elasticity
    return base * activity * (1.0 - efficiency) ** years * ((1.0 - electric_share) + electric_share * grid)
