"""listclean: keep subscriber and contact lists clean, offline and auditably.

The library does the work; ``listclean.cli`` is a thin Typer layer over it.
Heavy modules (Polars, email-validator, rapidfuzz) are imported lazily by the
functions that need them so that ``listclean --help`` starts fast.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
