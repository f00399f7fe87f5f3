"""Digital adoption: an investment decision with a sunk cost, an uncertain payoff and a talent need.

Each year a share digital.review_rate of the firms that are not yet digital consider going digital
(attention is scarce: Hall and Khan 2003 on technology adoption as a decision under uncertainty).
Firm i in region r, sector s weighs the expected present value of the gain against the cost, both net of
the digitalization lever's subsidy sub_r:

    readiness_ir = (digital.readiness_r + infra_r) (q_r,t / q_r,2012)^xi,  q_r = h_r / h_nat
                                                   digital map x the change in relative talent since 2012
    p^succ_i   = 1 - exp(-digital.success_rate x readiness_ir)              the project works
    S_i        = P_s VA_i                    sales at the sector's current price (P_s: production.py)
    dPi_i      = (1 - beta_s) lambda_i S_i ((1 + g)^(rho_s/(1 - beta_s)) - 1) exp(sigma_g z_i - sigma_g^2/2)
                 extra operating profit of a TFP gain g with capital fixed and labour flexible, under the
                 monopolistic competition of production.py (rho_s = (sigma_s - 1)/sigma_s, beta_s =
                 (1 - alpha_s) rho_s, lambda_i the firm's revenue wedge); z_i = digital_affinity,
                 sigma_g = digital.gain_dispersion (firms differ in what digital tools do for them)
    NPV_i      = p^succ_i H (dPi_i - (1 - sub_r) c VA_i) - (1 - sub_r) C_i,    H = 1 / (r + exit hazard)
    C_i        = digital.adoption_cost S_i exp(-digital.diffusion_rate (t - 2012)) (1 - peer a_rs) / readiness_ir

c = digital.annual_cost (running cost per yuan of real value added, paid every year once digital, as
production.py charges it), g =
digital.productivity_gain, a_rs the digital share of the firm's cell last year and peer =
digital.peer_effect (peers' adoption lowers the cost: shared suppliers, skills and know-how; Comin and
Hobijn 2010 on diffusion). The firm adopts if NPV_i > 0. It pays (1 - sub_r) C_i now (an intangible
expense: it lowers this year's net profit and retained earnings); the government pays sub_r C_i. With
probability p^succ_i it becomes digital and A_i <- A_i (1 + g); otherwise the cost is sunk and it may try
again. Low local talent and weak digital infrastructure raise the cost and lower the success rate: this
is why the Northeast lags (seed 000). digital.readiness_r is the regional industrial-digitalisation map
(seed 000), an outcome index that already reflects each region's talent in 2012, so talent enters only
through its change since 2012 (a region that loses talent falls further behind). With the talent level as
well the east's lead was counted twice (session 4: readiness east 1.33 vs central 0.62, east/central
adoption 4.5x in 2021, 83% of digital firms in the east against 53% of digital workshops and smart
factories in seed 004; now 61-63%, the Northeast still last). Because firms adopt only when it pays, a subsidy cannot lower a
firm's own output. All money is at current prices (services the numeraire): the gain and the one-off cost
scale with current sales P_s VA_i, not real value added, so a sector whose price falls with its productivity
(high tech) does not overvalue the gain; the decision, the firm's expense and the subsidy are then in the
same units as profit and R&D (innovation.py).
"""

from __future__ import annotations

import numpy as np

from .. import SECTORS, YI
from .. import streams
from .innovation import current_sales  # S_i = P_s VA_i, the one definition
from ..scenario import FIRST_YEAR
from ..world import Sim

PARAMETERS = ("digital.readiness", "digital.talent_elasticity", "digital.productivity_gain", "digital.annual_cost",
              "digital.adoption_cost", "digital.diffusion_rate", "digital.review_rate", "digital.success_rate",
              "digital.peer_effect", "digital.gain_dispersion", "capital.interest_rate", "entry_exit.exit_hazard")


def init(model: Sim) -> None:
    """2012: no firm is digital yet; each carries a persistent taste for it, N(0, 1)."""
    f = model.firms
    f.data["digital_affinity"] = model.rng.normal(0.0, 1.0, len(f))
    model.world.digital_talent_2012 = model.world.h_share / model.world.h_nat


def step(model: Sim) -> None:
    """Firms not yet digital that review the question adopt when the expected PV pays; some projects fail."""
    P, f, pol, w = model.params, model.firms, model.policy, model.world
    R, S = model.data.n, len(SECTORS)
    ready_r = readiness(P.by("digital.readiness", model.regions), pol.digital_infrastructure, talent_change(w),
                        P["digital.talent_elasticity"])
    cell = f.cell  # flat (region, sector) index for per-cell tables (cached while region and sector stay)
    peers_rs = (f.sum_by_cell(f.weighted(f.digital))  # weight x digital, the same bits (agents.py)
                / np.maximum(f.weight_by_cell(R), 1e-12))  # bincount of weight by cell, cached (agents.py)
    # only firms that review the question and are not digital yet need the numbers
    # keyed per-firm draws (streams.py): the same luck in every scenario, drawn for those who need them
    # a keyed draw is a function of the uid alone: drawn for every firm (no gather of the candidates' uids and no
    # selection of the candidates first), the same reviewers as drawing for the candidates only
    # ``uniform < rate`` decided as integers against the rate's threshold (streams.below: the same decisions)
    review = streams.below(model.stream_key, model.year, "digital.review", f.uid,
                           streams.thresholds(P["digital.review_rate"]))
    review &= ~f.digital
    review &= f.value_added > 0
    i = np.flatnonzero(review)
    region = f.region[i]
    # per-region and per-sector terms are formed on their tables and gathered (the same operations on the same
    # values: a gather only copies), not per reviewer
    sub = pol.digital_subsidy[region]
    own = (1.0 - np.asarray(pol.digital_subsidy, dtype=float))[region]  # 1 - sub, the firm's share
    sig = P["digital.gain_dispersion"]
    taste = np.exp(sig * f.digital_affinity[i] - 0.5 * sig**2)
    real_va = f.value_added[i]
    sec = f.sector[i]
    sales = current_sales(w.price, sec, real_va)  # current prices, as profit, R&D and the cost are
    gain = P["digital.productivity_gain"]
    extra = profit_gain(np.exp(f.wedge[i]) * sales, w.beta, w.rho, gain, taste, sector=sec)
    cost = adoption_cost(P["digital.adoption_cost"], sales, P["digital.diffusion_rate"], model.year - FIRST_YEAR,
                         P["digital.peer_effect"], peers_rs, ready_r, cell=cell[i], region=region)
    p_ok_r = success_probability(P["digital.success_rate"], ready_r)  # [region]
    p_ok = p_ok_r[region]
    horizon = 1.0 / (P["capital.interest_rate"] + P["entry_exit.exit_hazard"])
    # the running cost is c per yuan of real value added (production.py charges c VA_i), not per yuan of sales
    npv = net_present_value(p_ok, horizon, extra, running_cost(P["digital.annual_cost"], real_va), cost, sub, own=own)
    tries = np.flatnonzero(npv > 0)  # by index: one selection pass, then small gathers
    i, cost, sub, own, region = i.take(tries), cost.take(tries), sub.take(tries), own.take(tries), region.take(tries)
    # ``uniform < p_ok`` with p_ok per region: decided against the region table's thresholds (streams.below)
    adopt = i[streams.below(model.stream_key, model.year, "digital.works", f.uid[i], streams.thresholds(p_ok_r),
                            index=region)]
    # the columns are written in place through ``data`` (as agents.py asks: it drops what was cached from them);
    # each is an array of the firms' own (innovation.step formed intangible and tfp this year; digital is never
    # shared), so no other holder sees the writes: the same values as writing into copies
    f.data["intangible"][i] += own * cost  # (1 - sub) cost
    model.year_stats["policy_cost"] += np.bincount(region, weights=f.weight[i] * sub * cost, minlength=R) / YI
    f.data["digital"][adopt] = True
    f.data["tfp"][adopt] *= 1.0 + gain

def talent_change(w) -> np.ndarray:
    """[region] q_r,t / q_r,2012, q_r = h_r / h_nat: the change of the region's relative talent since 2012 (1 in 2012).
    The 2012 level is already in digital.readiness (the industrial-digitalisation map, an outcome index)."""
    return (w.h_share / w.h_nat) / w.digital_talent_2012


def running_cost(annual_cost: float, real_va: np.ndarray) -> np.ndarray:
    """Yearly running cost of being digital: c per yuan of real value added, as production.py charges it."""
    return annual_cost * real_va


def readiness(base: np.ndarray, infrastructure: np.ndarray, rel_talent: np.ndarray,
              talent_elasticity: float) -> np.ndarray:
    return np.maximum(base + infrastructure, 1e-6) * np.maximum(rel_talent, 1e-9) ** talent_elasticity


def success_probability(rate: float, ready: np.ndarray) -> np.ndarray:
    return 1.0 - np.exp(-rate * ready)


def profit_gain(net_sales: np.ndarray, beta: np.ndarray, rho: np.ndarray, gain: float, taste: np.ndarray,
                sector: np.ndarray | None = None) -> np.ndarray:
    """Extra operating profit per year from a TFP gain ``gain`` with capital fixed and labour flexible, under the
    monopolistic competition of production.py: net revenue N = M L^beta with M ~ A^rho, labour chosen, so
    N ~ A^(rho/(1-beta)) and the operating surplus before capital costs is (1 - beta) N:

        dPi = (1 - beta_s) N_i ((1 + g)^(rho_s/(1 - beta_s)) - 1) x taste,   N_i = lambda_i P_s VA_i

    (beta_s = (1 - alpha_s) rho_s; with rho = 1, perfect competition, this is alpha S ((1 + g)^(1/alpha) - 1)).
    ``sector`` given: ``beta`` and ``rho`` are per sector; the sector terms are formed per sector and gathered (the
    same numbers, no power per firm)."""
    if sector is not None:
        beta, rho = np.asarray(beta, dtype=float), np.asarray(rho, dtype=float)
        lift = (1.0 + gain) ** (rho / (1.0 - beta)) - 1.0
        return (1.0 - beta)[sector] * net_sales * lift[sector] * taste
    return (1.0 - beta) * net_sales * ((1.0 + gain) ** (rho / (1.0 - beta)) - 1.0) * taste


def adoption_cost(base: float, sales: np.ndarray, decline: float, years: int, peer_effect: float,
                  peer_share: np.ndarray, ready: np.ndarray, cell: np.ndarray | None = None,
                  region: np.ndarray | None = None) -> np.ndarray:
    """One-off cost of a digital project (million yuan) before any subsidy. ``cell`` given: ``peer_share`` is per
    cell; ``region`` given: ``ready`` is per region; their factors are formed on the tables and gathered (the same
    numbers)."""
    peer = 1.0 - peer_effect * np.clip(peer_share, 0.0, 1.0)
    floor = np.maximum(ready, 1e-6)
    if cell is not None:
        peer = peer[cell]
    if region is not None:
        floor = floor[region]
    return base * sales * np.exp(-decline * years) * peer / floor


def net_present_value(p_success: np.ndarray, horizon: float, profit_gain: np.ndarray, running_cost: np.ndarray,
                      cost: np.ndarray, subsidy: np.ndarray, own: np.ndarray | None = None) -> np.ndarray:
    """Expected PV of going digital, net of the firm's share of the costs. ``own``: 1 - ``subsidy``, if the caller
    has it (the same values)."""
    own = 1.0 - subsidy if own is None else own
    return p_success * horizon * (profit_gain - own * running_cost) - own * cost
