"""Geography: market potential and market access (Harris 1954; Head and Mayer 2004).

Each region's market access follows its market potential, i.e. the demand it can reach: GDP of
every province (its own included, at its internal distance) and of the foreign market (reached
through the main container ports), discounted by trade costs.

    phi_pq,t  = (1 + tau_t d_pq / 1000)^(-eps)                     freeness of trade, p -> q
    MP_p,t    = sum_q GDP_q,t phi_pq,t + F_t phi_p,port(p),t          province market potential
    MP_r,t    = sum_{p in r} GDP_p,2012 MP_p,t / sum_{p in r} GDP_p,2012
    m_r,t     = MP_r,t / sum_r' s_r' MP_r',t                          relative to the 2012-GDP-weighted mean
    a_r,t     = a_r,2012 (m_r,t / m_r,2012)^mu                        market-access index (east = 1 in 2012)

d_pq great-circle distance between provincial capitals; d_pp = (2/3) sqrt(area_p / pi), the average
distance inside a disc of the province's area (Head and Mayer 2002); d_p,port the distance to the
nearest of the eight main container ports (at least d_pp). GDP_q,t = GDP_r(q),t x q's 2012 share of
its region (the model has regions, not provinces); F_t = exports_2012 x national GDP_t / GDP_2012.
eps = geography.trade_elasticity (4: Simonovska and Waugh 2014), tau_t = geography.trade_cost_2012 x
L_t / L_2012 with L_t the whole-society logistics cost as a share of GDP (CFLP/NDRC 2012-2024, the
2027 target of the 2024 State Council action plan, then an assumption; model/data/geography.yaml).
tau_2012 = 0.3 per 1000 km makes the implied distance elasticity of trade at 1000 km,
eps tau d / (1 + tau d) = 0.92, the meta-analytic mean of Disdier and Head (2008).
mu = geography.access_elasticity links the market-potential gradient to the 2012 access index
(least-squares fit of ln a_r,2012 on ln m_r,2012 through the origin: 0.37).

The 2012 access index stays the sourced starting point (place TFP is backed out against it); after
2012 access moves only with market potential: as trade costs fall, interior regions gain relative
to the coast (west about +4%, northeast +3.5% by 2035 at the logistics path), and a region whose
GDP grows gains access from its own and its neighbours' markets. There is no exogenous convergence.
``step`` runs before the location choice; GDP is last year's.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np

from ..regions import RegionData
from ..world import Sim
from ..yamlio import load_packaged_yaml

PARAMETERS = ("geography.market_access_2012", "geography.exports_2012", "geography.trade_cost_2012",
              "geography.trade_elasticity", "geography.access_elasticity")

GEO_FILE = "model/data/geography.yaml"
EARTH_RADIUS_KM = 6371.0


def init(model: Sim) -> None:
    """2012: the access index (sourced), the province geography and the 2012 market-potential reference."""
    P, w, d = model.params, model.world, model.data
    w.access_2012 = P.by("geography.market_access_2012", model.regions)
    w.access = w.access_2012.copy()
    w.geo = Geography.load(d, P["geography.exports_2012"])
    reference(w.geo, d.gdp_2012, P["geography.trade_cost_2012"], P["geography.trade_elasticity"])


def step(model: Sim) -> None:
    """This year's market access from last year's regional GDP and this year's trade costs."""
    P, w = model.params, model.world
    w.access = access_for_year(w.geo, w.access_2012, w.gdp, model.year, P["geography.trade_cost_2012"],
                               P["geography.trade_elasticity"], P["geography.access_elasticity"])


def great_circle_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Haversine distance in km between points given in degrees (broadcasts)."""
    la1, lo1, la2, lo2 = (np.radians(x) for x in (lat1, lon1, lat2, lon2))
    a = np.sin((la1 - la2) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo1 - lo2) / 2) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def internal_distance_km(area_km2: np.ndarray) -> np.ndarray:
    """Average distance inside a disc of the given area: (2/3) sqrt(area / pi) (Head and Mayer 2002)."""
    return (2.0 / 3.0) * np.sqrt(np.asarray(area_km2, dtype=float) / np.pi)


def freeness(distance_km: np.ndarray, trade_cost_per_1000km: float, trade_elasticity: float) -> np.ndarray:
    """phi = (1 + tau d / 1000)^(-eps): the share of a market's demand that reaches a supplier d km away."""
    return (1.0 + trade_cost_per_1000km * np.asarray(distance_km) / 1000.0) ** (-trade_elasticity)


def market_potential(gdp: np.ndarray, foreign: float, dist: np.ndarray, dist_port: np.ndarray,
                     trade_cost: float, trade_elasticity: float) -> np.ndarray:
    """[province] Harris market potential: sum_q GDP_q phi_pq + F phi_p,port."""
    return (freeness(dist, trade_cost, trade_elasticity) @ gdp
            + foreign * freeness(dist_port, trade_cost, trade_elasticity))


def relative_potential(mp_province: np.ndarray, province_region: np.ndarray, weight_province: np.ndarray,
                       region_weight: np.ndarray, n_regions: int) -> np.ndarray:
    """[region] GDP-weighted mean of province potentials, relative to the region-weighted national mean."""
    mp_r = (np.bincount(province_region, weights=weight_province * mp_province, minlength=n_regions)
            / np.bincount(province_region, weights=weight_province, minlength=n_regions))
    return mp_r / np.sum(region_weight * mp_r)


def access_index(access_2012: np.ndarray, rel_2012: np.ndarray, rel_t: np.ndarray, elasticity: float) -> np.ndarray:
    """a_r,t = a_r,2012 (m_r,t / m_r,2012)^mu."""
    return access_2012 * (rel_t / rel_2012) ** elasticity


def logistics_path(points: dict[int, float], year: int) -> float:
    """Logistics cost share of GDP in ``year``: data points, linear in between, flat outside."""
    years = sorted(points)
    return float(np.interp(year, years, [points[y] for y in years]))


@dataclass
class Geography:
    """Province geometry and the market-potential state of one model run."""

    province_region: np.ndarray   # [province] region index
    gdp_share: np.ndarray         # [province] share of its region's 2012 GDP
    gdp_2012: np.ndarray          # [province] yi yuan
    dist: np.ndarray              # [province, province] km (internal distance on the diagonal)
    dist_port: np.ndarray         # [province] km to the nearest main port
    logistics: dict[int, float]   # logistics cost share of GDP by year
    exports_2012: float           # yi yuan
    region_weight: np.ndarray     # [region] 2012 GDP shares (normaliser)
    rel_2012: np.ndarray | None = None

    @classmethod
    def load(cls, data: RegionData, exports_2012: float) -> "Geography | None":
        """Province geography for the regions of ``data`` (their provinces and 2012 provincial GDP); None when the
        data have no provincial GDP or name a province the geography table (coordinates, area) does not know."""
        geo = load_packaged_yaml(resources.files("model").joinpath("data/geography.yaml").read_text(encoding="utf-8"),
                                 GEO_FILE)
        region_names = data.names
        if data.provinces is None or data.gdp_2012_by_province is None:
            return None
        prov = [(p, r) for r, ps in data.provinces.items() for p in ps]
        names = [p for p, _ in prov]
        if any(p not in geo["provinces"] for p in names):
            return None
        ridx = np.array([region_names.index(r) for _, r in prov], dtype=np.intp)
        lat, lon, area = (np.array([geo["provinces"][p][i] for p in names], dtype=float) for i in range(3))
        gdp = np.array([data.gdp_2012_by_province[p] for p in names], dtype=float)
        dist = great_circle_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
        d_in = internal_distance_km(area * 1e4)
        np.fill_diagonal(dist, d_in)
        ports = np.array(list(geo["ports"].values()), dtype=float)
        d_port = great_circle_km(lat[:, None], lon[:, None], ports[None, :, 0], ports[None, :, 1]).min(axis=1)
        d_port = np.maximum(d_port, d_in)
        n_r = len(region_names)
        gdp_r = np.bincount(ridx, weights=gdp, minlength=n_r)
        return cls(province_region=ridx, gdp_share=gdp / gdp_r[ridx], gdp_2012=gdp, dist=dist, dist_port=d_port,
                   logistics={int(y): float(v) for y, v in geo["logistics_cost_share_of_gdp"].items()},
                   exports_2012=float(exports_2012), region_weight=gdp_r / gdp_r.sum())

    def trade_cost(self, year: int, tau_2012: float) -> float:
        """Ad valorem trade cost per 1000 km in ``year`` (falls with the logistics cost share)."""
        return tau_2012 * logistics_path(self.logistics, year) / logistics_path(self.logistics, 2012)

    def region_freeness(self, year: int, tau_2012: float, eps: float) -> np.ndarray:
        """[from region j, to region r] GDP-weighted mean freeness of trade between their provinces."""
        n_r = len(self.region_weight)
        phi = freeness(self.dist, self.trade_cost(year, tau_2012), eps)
        member = np.zeros((len(self.gdp_share), n_r))
        member[np.arange(len(self.gdp_share)), self.province_region] = self.gdp_share
        return member.T @ phi @ member

    def relative(self, gdp_region: np.ndarray, year: int, tau_2012: float, eps: float) -> np.ndarray:
        """[region] relative market potential m_r,t given this year's regional GDP."""
        n_r = len(self.region_weight)
        gdp_p = gdp_region[self.province_region] * self.gdp_share
        foreign = self.exports_2012 * gdp_region.sum() / self.gdp_2012.sum()
        mp = market_potential(gdp_p, foreign, self.dist, self.dist_port, self.trade_cost(year, tau_2012), eps)
        return relative_potential(mp, self.province_region, self.gdp_2012, self.region_weight, n_r)


def reference(geo: Geography | None, gdp_2012_region: np.ndarray, tau_2012: float, eps: float) -> None:
    """Fix the 2012 relative potentials (the reference the access index moves from)."""
    if geo is not None:
        geo.rel_2012 = geo.relative(gdp_2012_region, 2012, tau_2012, eps)


def access_for_year(geo: Geography | None, access_2012: np.ndarray, gdp_region: np.ndarray, year: int,
                    tau_2012: float, eps: float, elasticity: float) -> np.ndarray:
    """This year's market-access index from last year's regional GDP and this year's trade costs."""
    if geo is None or geo.rel_2012 is None:
        return access_2012.copy()
    return access_index(access_2012, geo.rel_2012, geo.relative(gdp_region, year, tau_2012, eps), elasticity)


def fitted_elasticity(access_2012: np.ndarray, rel_2012: np.ndarray) -> float:
    """Least-squares slope of ln a_2012 on ln(m_2012 / m_best) through the origin (best = highest access)."""
    b = int(np.argmax(access_2012))
    x = np.log(rel_2012 / rel_2012[b])
    y = np.log(access_2012 / access_2012[b])
    return float((x @ y) / max(x @ x, 1e-12))
