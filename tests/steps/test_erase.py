"""The erase step as a library call: only a keyed hash is kept, and the person never comes back."""

from __future__ import annotations

import hashlib
import polars as pl
import pytest

from listclean.errors import UsageError
from listclean.runtime import Runtime, SilentReporter
from listclean.steps.erase import erase_step


class Recorder(SilentReporter):
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)


def test_erased_people_are_kept_as_keyed_hashes_only_and_counted_once(tmp_path):
    store = tmp_path / "store.tsv"
    with Runtime() as runtime:
        report = erase_step(["Eve@Firma.pl", " eve@firma.pl ", "max@firma.pl"], [], str(store), runtime)
    assert (report.erased, report.entries, report.added) == (2, 2, 2)
    assert report.summary() == {"command": "erase", "store": str(store), "erased": 2, "entries": 2}
    text = store.read_text().lower()
    assert "eve@" not in text and "max@" not in text and text.count("hmac-sha256:") == 2


def test_a_plain_entry_is_replaced_by_the_hash_not_added(tmp_path):
    store = tmp_path / "store.tsv"
    store.write_text("# store\nmia@firma.pl\tunsubscribed\t2026-01-01\n")
    with Runtime() as runtime:
        report = erase_step(["mia@firma.pl"], [], str(store), runtime)
    assert (report.erased, report.entries, report.added) == (1, 1, 0)
    assert "mia@" not in store.read_text()


def test_from_lists_are_read_and_their_hashes_skipped_with_a_warning(tmp_path):
    listed = tmp_path / "from.csv"
    listed.write_text(f"email\nann@firma.pl\n{hashlib.sha256(b'bob@firma.pl').hexdigest()}\n")
    recorder = Recorder()
    with Runtime(reporter=recorder) as runtime:
        report = erase_step([], [str(listed)], str(tmp_path / "store.tsv"), runtime)
    assert (report.erased, report.hashes_skipped) == (1, 1)
    assert recorder.warnings == ["1 hash(es) in --from skipped: a person is erased by their address"]


@pytest.mark.parametrize(("addresses", "message"), [(["not an address"], "is not an email address"), ([], "no one to erase"), (["  "], "no one to erase")])
def test_nobody_or_a_non_address_is_a_usage_error_and_the_store_is_untouched(tmp_path, addresses, message):
    store = tmp_path / "store.tsv"
    with Runtime() as runtime, pytest.raises(UsageError, match=message):
        erase_step(addresses, [], str(store), runtime)
    assert not store.exists()


def test_an_erased_person_is_dropped_by_a_later_export(tmp_path):
    from listclean.api import source_of
    from listclean.importer import reading_options
    from listclean.steps.export import ExportStepOptions, export_step
    from listclean.stream.sink import FrameSink

    store = tmp_path / "store.tsv"
    with Runtime() as runtime:
        erase_step(["eve@firma.pl"], [], str(store), runtime)
        contacts = pl.DataFrame({"email": ["EVE@firma.pl", "ann@firma.pl"], "consent_status": ["subscribed", "subscribed"]})
        sink, rejects = FrameSink(), FrameSink()
        report = export_step(source_of(contacts, reading_options(), runtime), ExportStepOptions(store=str(store)), sink, runtime, rejects=rejects)
    assert sink.frame["email"].to_list() == ["ann@firma.pl"]
    assert rejects.frame.select("_source_row", "reason", "raw").rows() == [(1, "erased", "")]  # no data about her
    assert report.suppressed == 1
