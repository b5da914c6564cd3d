"""listclean: keep subscriber and contact lists clean, offline and auditably.

The Python API (see `listclean.api` and the README's "Python API" section)::

    import listclean

    contacts, report = listclean.read("crm_export.csv")
    checked, report = listclean.validate(contacts, fix_typos=True)
    golden, report = listclean.dedupe(checked)

Each function takes Polars frames (eager or lazy) or paths and returns a DataFrame and the
step's report. ``listclean.cli`` is a thin Typer layer over the same library steps. The API is
loaded on first use, so ``import listclean`` (and ``listclean --help``) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_API = ("read", "validate", "dedupe", "segment", "decay_report", "export")
__all__ = ["__version__", "Runtime", "MemoryBudget", *_API]

if TYPE_CHECKING:
    from listclean.api import decay_report, dedupe, export, read, segment, validate
    from listclean.runtime import Runtime
    from listclean.stream.budget import MemoryBudget


def __getattr__(name: str) -> Any:
    if name in _API:
        from listclean import api

        return getattr(api, name)
    if name == "Runtime":
        from listclean.runtime import Runtime

        return Runtime
    if name == "MemoryBudget":
        from listclean.stream.budget import MemoryBudget

        return MemoryBudget
    raise AttributeError(f"module 'listclean' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
