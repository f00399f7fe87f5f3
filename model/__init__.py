"""flying-geese: an agent-based scenario model of regional industrial transfer in China, 2012-2035.

The package's constants live here, once: sectors, skills and the money units. Regions come from the
data file (``regions.load_region_data``), never from code.
"""

from importlib import metadata as _metadata

try:  # one version source: pyproject.toml's [project] version, as installed
    __version__ = _metadata.version("flying-geese")
except _metadata.PackageNotFoundError:  # a bare source tree on sys.path, never installed
    __version__ = "0+unknown"

SECTORS: tuple[str, ...] = ("energy_intensive", "labour_intensive", "equipment", "high_tech")
SKILLS: tuple[str, ...] = ("high", "general")
HIGH, GENERAL = SKILLS.index("high"), SKILLS.index("general")  # skill codes in agent columns and [.., skill] arrays

# Units: money is real 2012 yuan; value added and GDP in yi yuan, firm accounts in million yuan.
YI = 100.0          # million yuan per yi yuan (1 yi = 1e8 yuan)
MILLION = 1e6       # yuan per million yuan; also persons per million persons
KT_PER_MT = 1000.0  # kilotonnes CO2 per megatonne
# carbon cost per yuan of value added = price (yuan/t) x intensity (kt per million yuan) x this (t per kt / yuan per million)
CARBON_COST_UNIT = 1e-3

# The Python API (model/api.py), imported on first use so `import model` stays light:
#   import model as geese; geese.run("baseline", seeds=4, scale="tiny")
_API = ("run", "scenario", "compare", "load", "Results", "build_model", "paired_summary")


def __getattr__(name: str):
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'model' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
