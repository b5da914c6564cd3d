"""The export step as a library call: every row accounted for, suppressed addresses never written,
consent measured to as_of, files split within limits and read back."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import polars as pl
import pytest

from listclean.api import source_of
from listclean.errors import UsageError
from listclean.importer import reading_options
from listclean.io.write import prepare_target
from listclean.platforms import PROFILES
from listclean.runtime import Runtime
from listclean.steps.export import ExportStepOptions, export_step
from listclean.stream.sink import FrameSink

AS_OF = datetime(2026, 11, 24, tzinfo=timezone.utc)
CONTACTS = pl.DataFrame(
    {
        "email": ["ann@firma.pl", "carl@firma.pl", "bob@firma.pl", "Carl@Firma.PL", "erin@firma.pl", None, "dan@firma.pl"],
        "first_name": ["Ann", "Carl", "Bob", "Carl", "Erin", "Nomail", "Dan"],
        "consent_status": ["subscribed", "unsubscribed", "subscribed", "subscribed", "bounced", "subscribed", "subscribed"],
    }
)


def run(data, options: ExportStepOptions, output=None, runtime: Runtime | None = None):
    """(written frame or None, rejects frame, report): into a FrameSink unless `output` is a target."""
    with runtime or Runtime() as made:
        sink = FrameSink() if output is None else output
        rejects = FrameSink()
        report = export_step(source_of(data, reading_options(), made), options, sink, made, rejects=rejects)
    return (sink.frame if output is None else None), rejects.frame, report


def day(days: int) -> str:
    return (AS_OF - timedelta(days=days)).strftime("%Y-%m-%d")


def test_every_row_is_accounted_for_and_a_suppressed_address_is_never_written():
    frame, rejects, report = run(CONTACTS, ExportStepOptions())
    assert frame["email"].to_list() == ["ann@firma.pl", "bob@firma.pl", None, "dan@firma.pl"]
    # Carl unsubscribed in one row: his "subscribed" row (another case) is suppressed too.
    assert rejects.select("_source_row", "reason").rows() == [(2, "suppressed"), (5, "suppressed"), (4, "suppressed")]
    assert report.counts == {"rows_in": 7, "rows_out": 4, "rejected": 3, "merged": 0, "quarantined": 0}
    assert (report.suppressed, report.consent_expired, report.unusable_address) == (3, 0, 0)
    assert report.files == [] and report.columns == frame.columns


def test_an_address_suppressed_in_a_later_chunk_is_kept_out_of_earlier_ones(monkeypatch):
    monkeypatch.setenv("LISTCLEAN_CHUNK_ROWS", "2")
    monkeypatch.setattr("listclean.stream.budget.DEFAULT_SPOOL_BYTES", 1_000)  # the spools spill to disk
    late = pl.DataFrame({"email": [f"p{i}@firma.pl" for i in range(9)] + ["P3@firma.pl"], "consent_status": ["subscribed"] * 9 + ["complained"]})
    frame, rejects, report = run(late, ExportStepOptions(), runtime=Runtime(chunk_rows=2))
    assert "p3@firma.pl" not in frame["email"].str.to_lowercase().to_list() and frame.height == 8
    assert sorted(rejects["_source_row"].to_list()) == [4, 10]
    assert report.counts["rows_in"] == report.counts["rows_out"] + report.counts["rejected"] == 10


def test_implied_consent_expires_relative_to_as_of_not_the_clock():
    data = pl.DataFrame(
        {
            "email": ["old@firma.pl", "soon@firma.pl", "asked@firma.pl", "fresh@firma.pl"],
            "consent_status": ["subscribed"] * 4,
            "consent_source": ["purchase", "purchase", "web inquiry", "double opt-in form"],
            "consent_at": [day(800), day(700), day(200), day(3)],
        }
    )
    far_future = Runtime(clock=lambda: AS_OF + timedelta(days=3650))  # the clock would expire every implied consent
    frame, rejects, report = run(data, ExportStepOptions(as_of=AS_OF), runtime=far_future)
    assert frame["email"].to_list() == ["soon@firma.pl", "fresh@firma.pl"]
    assert rejects.select("_source_row", "reason").rows() == [(1, "consent_expired"), (3, "consent_expired")]
    assert (report.consent_expired, report.consent_expiring) == (2, 1)
    # A year earlier, none had expired; without as_of the runtime's clock decides.
    frame, _, _ = run(data, ExportStepOptions(as_of=AS_OF - timedelta(days=365)))
    assert frame.height == 4
    frame, _, report = run(data, ExportStepOptions(), runtime=Runtime(clock=lambda: AS_OF))
    assert frame["email"].to_list() == ["soon@firma.pl", "fresh@firma.pl"] and report.consent_expired == 2


def test_a_platform_gets_its_columns_and_only_usable_addresses():
    frame, rejects, report = run(CONTACTS, ExportStepOptions(to="sendgrid"))
    assert frame.columns == ["email", "first_name"] and frame["email"].to_list() == ["ann@firma.pl", "bob@firma.pl", "dan@firma.pl"]
    assert rejects.filter(pl.col("reason") == "no_address")["_source_row"].to_list() == [6]
    assert (report.unusable_address, report.counts["rejected"], report.to) == (1, 4, "sendgrid")


def test_a_hashed_audience_holds_only_hashes_of_mailable_addresses():
    frame, _, report = run(CONTACTS, ExportStepOptions(hash="sha256"))
    assert frame.columns == ["email_sha256"] and report.hash == "sha256"
    assert frame["email_sha256"].to_list() == [hashlib.sha256(f"{name}@firma.pl".encode()).hexdigest() for name in ("ann", "bob", "dan")]


def test_a_file_too_large_for_the_platform_is_split_into_numbered_parts_and_read_back(tmp_path):
    target = prepare_target(str(tmp_path / "out.csv"), fmt="csv", force=False, inputs=[])
    _, _, report = run(CONTACTS, ExportStepOptions(to="brevo", max_rows=2), output=target)
    assert report.files == [str(tmp_path / "out-001.csv"), str(tmp_path / "out-002.csv")] and not (tmp_path / "out.csv").exists()
    written = [pl.read_csv(path, infer_schema=False) for path in report.files]
    assert [part.height for part in written] == [2, 1] and written[0].columns == ["EMAIL", "FIRSTNAME"]
    assert report.format == "csv" and report.summary(output=target.display)["files"] == report.files


def test_parts_cannot_go_to_stdout():
    with pytest.raises(UsageError, match="stdout"):
        run(CONTACTS, ExportStepOptions(max_rows=1), output=prepare_target("-", fmt="csv", force=False, inputs=[]))


def test_the_store_is_honoured_and_learns_this_runs_unsubscribes_and_lists(tmp_path):
    store, listed = tmp_path / "store.tsv", tmp_path / "dnm.txt"
    listed.write_text("Zed@Firma.pl\n")
    _, _, report = run(CONTACTS, ExportStepOptions(store=str(store), suppress=[str(listed)]))
    assert (report.store, report.store_added, report.store_entries) == (str(store), 3, 3)
    entries = [line.split("\t")[:2] for line in store.read_text().splitlines() if not line.startswith("#")]
    assert sorted(entries) == [["carl@firma.pl", "unsubscribed"], ["erin@firma.pl", "bounced"], ["zed@firma.pl", "suppression_list"]]
    later = pl.DataFrame({"email": ["erin@firma.pl", "zed@firma.pl", "cy@firma.pl"], "consent_status": ["subscribed"] * 3})
    frame, _, report = run(later, ExportStepOptions(store=str(store)))
    assert frame["email"].to_list() == ["cy@firma.pl"] and report.suppressed == 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"to": "mailchimp", "columns": "email"}, "--columns cannot be combined"),
        ({"hash": "sha256", "columns": ["email"]}, "--columns cannot be combined"),
        ({"to": "klaviyo", "format": "parquet"}, "write CSV, not parquet"),
        ({"max_rows": 0}, "--max-rows must be at least 1"),
        ({"implied_days": 0}, "--implied-days must be at least 1"),
        ({"to": "myspace"}, "cannot export to 'myspace'"),
        ({"hash": "md5"}, "unknown hash"),
    ],
)
def test_option_combinations_are_checked_when_the_options_are_made(options, message):
    with pytest.raises(UsageError, match=message):
        ExportStepOptions(**options)


def test_options_take_columns_as_the_flag_writes_them_and_every_profile_as_a_target():
    assert ExportStepOptions(columns=" email, first_name ,").columns == ["email", "first_name"]
    assert ExportStepOptions(format="tsv").output_format == "tsv"
    for name in PROFILES:  # a platform writes CSV whatever the output's name says
        assert ExportStepOptions(to=name).output_format == "csv"
