"""Demand: national sector demand, firms' idiosyncratic demand, and the non-industrial economy.

Sector demand. National real demand for sector s at a sector price of one follows the national growth
path g_t (data file to 2023, then linear to demand.gdp_growth_2035) with an income elasticity that
declines with income, an intensity-of-use curve (Malenbaum 1978; log-quadratic Engel curve):

    Dtrend_s,t = Dtrend_s,t-1 (1 + e_s(x_t) g_t),    D_s,t = Dtrend_s,t (1 + shock_s,t)
    e_s(x) = e_s,2012 (1 - x / ln S_s),              x_t = ln(Y_t / Y_2012) on the national path (mid-year)

e_s,2012 = demand.income_elasticity (high-tech above one; energy-intensive below one) and
S_s = demand.saturation_income, the national real GDP relative to 2012 at which the sector's demand
peaks (energy-intensive: 1.76 = 2021, when steel and cement output peaked; others 1e6, no peak).
The sector market clears with Q_s = D_s P_s^(-eta) (eta = demand.price_elasticity) against the CES
supply of its firms (production.py): real output grows with demand and with falling relative prices.

Firm demand. Each firm's variety has a taste/quality shifter phi_i (Foster, Haltiwanger & Syverson 2008):

    ln phi_i,t = r ln phi_i,t-1 + s_i e_i,   s_i = s0 clip((R_i / median_s R)^(-zeta), 1/4, 4),   e_i ~ N(0, 1)

(r = demand.firm_shock_persistence, s0 = demand.firm_shock_sd, zeta = demand.firm_shock_size_elasticity):
large firms, many products and markets, have steadier demand (Stanley et al. 1996).

Nominal and real. Real value added is at 2012 prices (sector deflators); nominal value added is at this
year's sector price indices, with non-industrial output as the numeraire (its price is one), so the
nominal manufacturing share of GDP falls faster than the real one when industrial prices fall
(metrics *_nominal; seed 002/004 shares are nominal).

Market access a_r follows each region's market potential (geography.py, set in location.step).

The non-industrial part of GDP (services, agriculture, construction) is aggregate. Nationally it
grows so that GDP follows g_t: N_t = N_t-1 (1 + (g_t - i g_ind)/(1 - i)) with i the industrial share of
GDP and g_ind industry's expected real growth, sum_s IVA_s [(1 + e_s g_t)(P_s,t-1/P_s,t-2)^(-eta_s) - 1] / IVA
(demand growth plus last year's relative-price effect). Regionally it is shared by

    Omega_r = base_r * Pop_r * (IVA_r / Pop_r)^eta_inc * h_r^eta_h,    N_r = N_t Omega_r / sum Omega

with base_r set so the 2012 split matches the data (eta_inc = demand.services_income_elasticity,
eta_h = demand.services_talent_elasticity): a local multiplier from industry and talent.

Non-industrial productivity converges across regions (beta-convergence: Barro & Sala-i-Martin 1992; Chinese
provinces: Chen & Fleisher 1996, Demurger 2001). The non-industrial economy has no agents, so the
reallocation of labour out of farming and the catch-up of local services, strongest where output per
head was lowest (central and west China in 2012), enter as a shrinking 2012 gap: with q_r the region's
2012 non-industrial output per head relative to the national figure,

    Omega_r,t = base_r C_r,t Pop_r (IVA_r / Pop_r)^eta_inc h_r^eta_h,   C_r,t = q_r^((1 - beta)^(t - 2012) - 1)

so region r's pull per head moves from q_r toward one as the gap closes at the rate beta =
demand.services_convergence a year (C = 1 in 2012; beta = 0 switches it off). National non-industrial
output is unchanged (it follows g_t): convergence moves its regional split and, through GDP, market
potential. It is a gain in output per worker (Brandt, Hsieh & Zhu 2008: most of China's non-industrial
productivity growth came from moving labour out of farming), so it does not raise the other sectors'
demand for labour: labour_market.other_demand divides their output by C_r,t.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from .. import HIGH, MILLION, SECTORS, YI
from .. import streams
from ..errors import InputError
from ..scenario import FIRST_YEAR
from ..numeric import median  # np.median, bit for bit, faster
from ..world import Sim

PARAMETERS = ("demand.gdp_growth_2035", "demand.income_elasticity", "demand.saturation_income", "demand.price_elasticity",
              "demand.firm_shock_sd", "demand.firm_shock_persistence", "demand.firm_shock_size_elasticity",
              "demand.services_income_elasticity", "demand.services_talent_elasticity",
              "demand.services_convergence", "innovation.public_rd_growth_elasticity")


def init(model: Sim) -> None:
    """2012: sector demand, industrial value added, the non-industrial economy (GDP less industry) and
    the base of its regional pull."""
    P, d, w, f = model.params, model.data, model.world, model.firms
    R, S = d.n, len(SECTORS)
    w.sector_demand_trend = f.sum_by_sector(w.firm_weight * f.value_added)
    w.iva_r = f.sum_by_region(w.firm_weight * f.value_added) / YI
    w.services = d.gdp_2012 - w.iva_r
    if np.any(w.services <= 0):
        raise InputError("<parameters>", "demand.industrial_va_share_2012", w.iva_r.round(1).tolist(),
                         "industrial value added must stay below each region's GDP")
    w.gdp = d.gdp_2012.copy()
    w.gdp_prev = w.gdp.copy()
    w.population = d.population_2012 * MILLION
    attraction = services_attraction(w.population, w.iva_r, w.h_share, P["demand.services_income_elasticity"],
                                     P["demand.services_talent_elasticity"])
    w.services_base = (w.services / w.services.sum()) / (attraction / attraction.sum())
    w.services_gap_2012 = relative_per_head(w.services, w.population)
    w.services_productivity = np.ones(R)
    w.income_index = 1.0
    w.income_elasticity = P.by("demand.income_elasticity", SECTORS)


def step(model: Sim) -> None:
    """This year's growth, sector demand (with shocks), non-industrial output by region, public R&D."""
    P, w = model.params, model.world
    g = growth_path(model.data.gdp_growth, P["demand.gdp_growth_2035"], model.year)
    w.growth = g
    x_mid = np.log(w.income_index) + 0.5 * np.log1p(g)
    w.income_index *= 1.0 + g
    w.income_elasticity = income_elasticity(P.by("demand.income_elasticity", SECTORS), x_mid,
                                            P.by("demand.saturation_income", SECTORS))
    w.sector_demand_trend = w.sector_demand_trend * (1.0 + w.income_elasticity * g)
    w.sector_demand = w.sector_demand_trend * (1.0 + model.policy.demand_shock)
    f = model.firms
    # [sector] tables applied by the firms' sorted cell blocks (Firms.combine_sector: VA x P_s with each block's price
    # as a scalar, the same products)
    revenue = f.combine_sector(np.multiply, f.value_added, w.price)
    f.data["quality"] = firm_demand_shock(streams.keyed(model, "demand.shock", f.uid), f.quality, f.sector,
                                          revenue, P["demand.firm_shock_sd"], P["demand.firm_shock_persistence"],
                                          P["demand.firm_shock_size_elasticity"],
                                          revenue_by_sector=f.values_by_sector(revenue),
                                          combine_sector=f.combine_sector)
    w.services = services(model, g)
    # public research (institutes, universities) grows with GDP and is shared by high-skill talent
    supply = w.labour_supply
    growth_pub = 1.0 + P["innovation.public_rd_growth_elasticity"] * g
    w.public_rd = w.public_rd.sum() * growth_pub * supply[:, HIGH] / supply[:, HIGH].sum()


def services(model: Sim, g: float) -> np.ndarray:
    """[region] non-industrial output this year (yi yuan), from last year's industry and services.

    Nationally, non-industrial output grows so that GDP grows at g: industry is expected to grow at
    (1 + e_s g)(P_s,t-1 / P_s,t-2)^(-eta_s) - 1 (demand growth plus last year's relative-price effect).
    """
    P, w = model.params, model.world
    iva_s = w.va_rs_prev.sum(axis=0)
    ind_share = w.iva_r.sum() / (w.iva_r.sum() + w.services.sum())
    price_prev = w.price_prev if len(w.price_prev) else w.price
    expected = (1.0 + w.income_elasticity * g) * (w.price / price_prev) ** (
        -P.by("demand.price_elasticity", SECTORS)) - 1.0
    g_ind = (iva_s * expected).sum() / max(iva_s.sum(), 1e-9)
    national = w.services.sum() * (1.0 + services_growth(g, ind_share, g_ind))
    pull = w.services_base * services_attraction(
        w.population, w.iva_r, w.h_share, P["demand.services_income_elasticity"],
        P["demand.services_talent_elasticity"])
    w.services_productivity = convergence(w.services_gap_2012, P["demand.services_convergence"],
                                          model.year - FIRST_YEAR)
    pull = pull * w.services_productivity
    return national * pull / pull.sum()


def relative_per_head(output: np.ndarray, population: np.ndarray) -> np.ndarray:
    """[region] output per head relative to the national output per head, q_r."""
    return (output / population) / (output.sum() / population.sum())


def convergence(gap_2012: np.ndarray, rate: float, years: int) -> np.ndarray:
    """[region] C_r,t = q_r^((1 - beta)^t - 1): the multiplier that leaves the share (1 - beta)^t of the 2012
    log gap ln q_r of non-industrial output per head (beta-convergence, Barro & Sala-i-Martin 1992)."""
    return gap_2012 ** ((1.0 - rate) ** years - 1.0)


def growth_path(data_growth: dict[int, float], growth_2035: float, year: int) -> float:
    """National real GDP growth in ``year``: data where known, then linear to the 2035 value, flat after."""
    if year in data_growth:
        return data_growth[year]
    last = max(data_growth)
    if year < min(data_growth):
        return data_growth[min(data_growth)]
    g0 = data_growth[last]
    if year >= 2035:
        return growth_2035
    return g0 + (growth_2035 - g0) * (year - last) / (2035 - last)


def services_growth(g: float, industrial_share: float, industry_growth: float) -> float:
    """Growth of non-industrial output that keeps GDP growing at g: (g - i g_ind) / (1 - i)."""
    return (g - industrial_share * industry_growth) / (1.0 - industrial_share)


def services_attraction(population: np.ndarray, industrial_va: np.ndarray, high_share: np.ndarray,
                        eta_income: float, eta_talent: float) -> np.ndarray:
    """Unnormalised regional pull of non-industrial activity (multiply by the calibrated base)."""
    per_head = np.maximum(industrial_va, 1e-9) / np.maximum(population, 1e-9)
    return population * per_head ** eta_income * np.maximum(high_share, 1e-9) ** eta_talent


def income_elasticity(e_2012: np.ndarray, log_income: float, saturation: np.ndarray) -> np.ndarray:
    """[sector] income elasticity of real demand at national log real income x = ln(Y_t / Y_2012).

    Intensity-of-use (Malenbaum 1978) / log-quadratic Engel curve: ln D_s = e_s x - e_s x^2 / (2 x*_s), so
    e_s(x) = e_s,2012 (1 - x / x*_s); demand peaks at x = x*_s = ln(saturation_s) and falls after.
    ``saturation`` is national real GDP relative to 2012 at the peak (very large: no peak).
    """
    return np.asarray(e_2012, dtype=float) * (1.0 - log_income / np.log(np.asarray(saturation, dtype=float)))


def firm_demand_shock(rng: np.random.Generator, quality: np.ndarray, sector: np.ndarray, revenue: np.ndarray,
                      sd: float, persistence: float, size_elasticity: float,
                      revenue_by_sector: list[np.ndarray] | None = None, combine_sector=None) -> np.ndarray:
    """Next year's log demand shifter of every firm (Foster, Haltiwanger & Syverson 2008 demand shocks):

    ln phi_i,t = r ln phi_i,t-1 + s_i e_i,    e_i ~ N(0, 1),
    s_i = sd x clip((R_i / median_s R)^(-zeta), 1/4, 4)

    The shock's spread falls with size (Stanley et al. 1996: zeta ~ 0.15-0.2; a large firm is many
    products and markets). Revenue moves with phi^(rho/(1-beta)) in the short run (production.py).

    ``revenue_by_sector``: optional [sector] ``revenue`` of each sector's firms in any order
    (``Firms.values_by_sector``, slices of the sorted rows): a median does not depend on the order, so the
    same bits as the per-sector selections over every firm, without them. ``combine_sector``: applies a [sector]
    table per firm (``Firms.combine_sector(op, x, table)`` = ``op(x, table[sector])``, the same numbers, faster).

    The same bits as ``np.where(R > 0, R / med[sector], 1.0)``, ``sd * clip(rel^-zeta)`` and ``r q + s e``, formed
    in place; with a keyed stream (``streams.Keyed``) e is ``ndtri(u)`` of its uniforms, which is
    ``0.0 + 1.0 * ndtri(u)`` (``Keyed.normal``) bit for bit: keyed uniforms are odd multiples of 2^-53, never
    1/2, so ndtri(u) is never a (signed) zero.
    """
    n_s = int(sector.max()) + 1 if len(sector) else 0
    med = np.ones(max(n_s, 1))
    for s in range(n_s):  # one median per sector (four sectors), not a loop over agents
        if revenue_by_sector is None:
            pos = revenue[(sector == s) & (revenue > 0)]
        else:
            pos = revenue_by_sector[s][revenue_by_sector[s] > 0]
        med[s] = median(pos, overwrite=True) if len(pos) else 1.0  # pos is a fresh copy: partition it in place
    if combine_sector is None:
        rel = med[sector]  # a fresh array
        np.divide(revenue, rel, out=rel)
    else:
        rel = combine_sector(np.divide, revenue, med)  # R / med_s, a fresh array
    pos = revenue > 0
    if not pos.all():
        np.copyto(rel, 1.0, where=~pos)
    rel **= -size_elasticity  # the same scalar-power path as ``rel ** x``
    np.clip(rel, 0.25, 4.0, out=rel)
    rel *= sd  # the shock's scale s_i
    n = len(quality)
    if isinstance(rng, streams.Keyed):
        e = rng.random(n)
        ndtri(e, out=e)  # in the uniforms' own (fresh) array
    else:
        e = rng.normal(0.0, 1.0, n)
    e *= rel
    out = persistence * quality
    out += e
    return out
