"""flying-geese: an agent-based scenario model of regional industrial transfer in China, 2012-2035."""

__version__ = "0.1.0"

SECTORS: tuple[str, ...] = ("energy_intensive", "labour_intensive", "equipment", "high_tech")
SKILLS: tuple[str, ...] = ("high", "general")
