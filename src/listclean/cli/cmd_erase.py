"""listclean erase: forget people for good, keeping only a keyed hash so they never come back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from listclean.cli.common import check_paths, cli_runtime, emit_summary, guarded
from listclean.cli.console import Reporter
from listclean.cli.helptext import Example

if TYPE_CHECKING:
    from listclean.steps.erase import EraseReport

Addresses = Annotated[Optional[list[str]], typer.Argument(metavar="ADDRESS", help="Addresses of the people to erase.", show_default=False)]
StorePath = Annotated[str, typer.Option("--store", metavar="PATH", help="The suppression store to record the erasure in (created if missing).")]
FromFiles = Annotated[Optional[list[str]], typer.Option("--from", metavar="PATH", help="Also erase every address listed in this file (one a line, or a CSV with an email column); repeatable.", show_default=False)]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object on stdout.")]

EXAMPLES = [
    Example("forget one person for good (only a keyed hash stays)", "listclean erase jan.kowalski@firma.pl --store /srv/lists/suppression.tsv"),
    Example("erase everyone listed in a file", "listclean erase --from erasure-requests.csv --store /srv/lists/suppression.tsv --json"),
]


def render_step(reporter: Reporter, report: EraseReport, summary: dict[str, Any]) -> None:
    """What erase says about a finished run."""
    reporter.info(f"{report.erased:,} people erased; the store {report.store} holds {report.entries:,} entries ({report.added:+,})")


@guarded
def command(addresses: Addresses = None, store: StorePath = ..., from_files: FromFiles = None, json: JsonFlag = False) -> None:
    """Record people as erased: the store keeps an HMAC of each address, never the address.

    Later imports and exports with --store drop these people (import lists only their row numbers in --rejects); an address they had in the store as plain text is replaced by the hash. Erase them from your existing files by re-running import/export with --store.
    """
    from listclean.steps.erase import erase_step

    reporter = Reporter()
    check_paths(from_files or [], [("--store", store)])
    with cli_runtime(reporter) as runtime:
        report = erase_step(addresses or [], from_files or [], store, runtime)
    summary = report.summary()
    render_step(reporter, report, summary)
    emit_summary(summary, json_summary=json, report=None, inputs=from_files or [])
