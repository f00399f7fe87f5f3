"""One module per mechanism; each docstring states its equations and parameters."""
