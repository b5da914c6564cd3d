"""The segment step as a library call: labels, counts folded over chunks, split sinks, accounting."""

from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
import pytest

from listclean.api import source_of
from listclean.errors import OutputError, UsageError
from listclean.importer import reading_options
from listclean.io.write import prepare_target
from listclean.runtime import Runtime
from listclean.segmentation import Rules, Segment
from listclean.steps.segment import SegmentCounts, SegmentStepOptions, segment_step, split_paths
from listclean.stream.sink import FrameSink

AS_OF = datetime(2026, 11, 24, tzinfo=timezone.utc)
CONTACTS = pl.DataFrame(
    {
        "email": ["us-new@firma.com", "pl-b2b@firma.pl", "pl-quiet@firma.pl", "gone@firma.com", "pl-vip@firma.pl"],
        "country": ["US", "PL", "PL", "US", "PL"],
        "signup_at": ["2026-10-01", "2025-01-01", "2025-01-01", "2026-10-01", "2024-05-01"],
        "last_click_at": ["", "2026-11-20", "2025-03-01", "", "2026-11-01"],
        "last_purchase_at": ["", "2026-11-01", "2025-03-01", "", "2026-10-01"],
        "purchase_count": ["", "4", "1", "", "9"],
        "total_spend": ["", "400", "20", "", "900"],
        "consent_status": ["subscribed", "subscribed", "subscribed", "unsubscribed", "subscribed"],
    }
)
RULES = """
[[segment]]
name = "Poland"
all = [ { field = "country", equals = "PL" } ]

[[segment]]
name = "+Big spenders"
where = "total_spend > 100"
"""


def run(data, options: SegmentStepOptions, *, splits: dict[str, FrameSink] | None = None, runtime: Runtime | None = None):
    with runtime or Runtime() as made:
        sink, rejects = FrameSink(), FrameSink()
        report = segment_step(source_of(data, reading_options(), made), options, sink, made, rejects=rejects, splits=splits)
    return sink.frame, rejects.frame, report


@pytest.fixture
def rules(tmp_path) -> str:
    path = tmp_path / "segments.toml"
    path.write_text(RULES)
    return str(path)


def test_every_row_is_labelled_and_kept_and_the_counts_add_up(rules):
    frame, rejects, report = run(CONTACTS, SegmentStepOptions(rules=rules, rfm=True, lifecycle=True, as_of=AS_OF))
    assert frame["email"].to_list() == CONTACTS["email"].to_list()
    assert frame["segment"].to_list() == ["Poland" if c == "PL" else None for c in CONTACTS["country"]]
    assert report.counts == {"rows_in": 5, "rows_out": 5, "rejected": 0, "merged": 0, "quarantined": 0} and rejects.height == 0
    tables = report.labels.tables
    assert tables["segment counts"] == {"Poland": 3, "+Big spenders": 0, "(no segment)": 2}  # first match wins
    assert sum(tables["rfm_segment counts"].values()) == sum(tables["lifecycle_stage counts"].values()) == 5
    assert report.summary(output="out.csv", split_files={})["as_of"] == "2026-11-24T00:00:00+00:00"


def test_unmailable_contacts_get_no_segment_unless_asked(rules):
    frame, _, _ = run(CONTACTS, SegmentStepOptions(where="country = 'US'", name="US", as_of=AS_OF))
    assert frame.filter(pl.col("email") == "gone@firma.com")["segment"][0] is None
    frame, _, _ = run(CONTACTS, SegmentStepOptions(where="country = 'US'", name="US", as_of=AS_OF, include_unmailable=True))
    assert frame.filter(pl.col("email") == "gone@firma.com")["segment"][0] == "US"


def test_counts_over_several_inputs_are_the_counts_of_the_whole_list(rules, tmp_path):
    halves = [tmp_path / "a.csv", tmp_path / "b.csv"]
    CONTACTS.head(2).write_csv(halves[0])
    CONTACTS.tail(3).write_csv(halves[1])
    options = SegmentStepOptions(rules=rules, multi=True, rfm=True, lifecycle=True, as_of=AS_OF)
    whole, _, one = run(CONTACTS, options)
    parts, _, two = run([str(path) for path in halves], options)
    assert two.labels == one.labels and two.counts == one.counts
    assert parts.drop("_source_file", "_source_row").equals(whole.drop("_source_file", "_source_row"))  # RFM ranks the whole list


def test_folding_counts_adds_label_by_label_in_order():
    first = SegmentCounts({"segment counts": {"A": 1, "B": 0, "(no segment)": 2}})
    second = SegmentCounts({"segment counts": {"A": 3, "B": 1, "(no segment)": 0}})
    assert SegmentCounts.combined([first, second]).tables == {"segment counts": {"A": 4, "B": 1, "(no segment)": 2}}
    assert SegmentCounts.combined([]).tables == {}


def test_split_sinks_get_exactly_their_segments_rows(rules):
    splits = {"Poland": FrameSink(), "+Big spenders": FrameSink()}
    frame, _, _ = run(CONTACTS, SegmentStepOptions(rules=rules, multi=True, as_of=AS_OF), splits=splits)
    assert splits["Poland"].frame["email"].to_list() == ["pl-b2b@firma.pl", "pl-quiet@firma.pl", "pl-vip@firma.pl"]
    assert splits["+Big spenders"].frame["email"].to_list() == ["pl-b2b@firma.pl", "pl-vip@firma.pl"]  # in two segments: in both
    assert splits["Poland"].frame.columns == frame.columns


def test_an_excel_safe_split_file_still_holds_a_segment_whose_name_looks_like_a_formula(tmp_path):
    options = SegmentStepOptions(where="total_spend > 100", name="+VIP", as_of=AS_OF)
    ((name, path),) = split_paths(options.definitions(), str(tmp_path), "csv")
    assert (name, path) == ("+VIP", str(tmp_path / "vip.csv"))
    with Runtime() as runtime:
        split = runtime.file_sink(prepare_target(path, fmt="csv", force=False, inputs=[]), excel_safe=True)
        segment_step(source_of(CONTACTS, reading_options(), runtime), options, FrameSink(), runtime, splits={name: split})
    written = pl.read_csv(path, infer_schema=False)
    assert written["email"].to_list() == ["pl-b2b@firma.pl", "pl-vip@firma.pl"]  # chosen by name, made safe when written
    assert written["segment"].to_list() == ["'+VIP", "'+VIP"]


def test_unreadable_rows_are_rejected_and_accounted_for(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("email,country\na@firma.pl,PL\n,\nb@firma.pl,PL\n")
    frame, rejects, report = run(str(path), SegmentStepOptions(where="country = 'PL'", name="PL", as_of=AS_OF))
    assert report.counts == {"rows_in": 3, "rows_out": 2, "rejected": 1, "merged": 0, "quarantined": 0}
    assert frame["segment"].to_list() == ["PL", "PL"] and rejects["_source_row"].to_list() == [2]


def test_listclean_parquet_is_read_again_instead_of_kept(rules, tmp_path):
    from listclean.steps.importing import ImportStepOptions, import_step

    own = tmp_path / "own.parquet"
    with Runtime() as runtime:
        sink = runtime.file_sink(prepare_target(str(own), fmt=None, force=False, inputs=[]))
        import_step(source_of(CONTACTS, reading_options(), runtime), ImportStepOptions(), sink, runtime)
    options = SegmentStepOptions(rules=rules, rfm=True, lifecycle=True, as_of=AS_OF)
    again, _, replayed = run(str(own), options)
    kept, _, spooled = run(CONTACTS, options)
    assert replayed.replayed and not spooled.replayed
    assert again.drop("_source_file").equals(kept.drop("_source_file")) and replayed.labels == spooled.labels


def test_today_is_the_runtimes_clock_to_the_second_unless_as_of_is_given(rules):
    clock = lambda: datetime(2026, 11, 24, 15, 30, 5, 123456, tzinfo=timezone.utc)  # noqa: E731
    _, _, report = run(CONTACTS, SegmentStepOptions(lifecycle=True), runtime=Runtime(clock=clock))
    assert report.as_of == datetime(2026, 11, 24, 15, 30, 5, tzinfo=timezone.utc)
    _, _, report = run(CONTACTS, SegmentStepOptions(lifecycle=True, as_of=AS_OF), runtime=Runtime(clock=clock))
    assert report.as_of == AS_OF


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "nothing to do"),
        ({"lifecycle": True, "active_days": 200}, "lifecycle thresholds must grow"),
        ({"lifecycle": True, "new_days": -1}, "lifecycle thresholds must grow"),
    ],
)
def test_options_that_cannot_work_are_usage_errors(options, message):
    with pytest.raises(UsageError, match=message):
        SegmentStepOptions(**options)


def test_split_files_are_named_and_checked_before_any_work(tmp_path):
    two = Rules([Segment(name="VIP!"), Segment(name="vip")])
    with pytest.raises(UsageError, match="both be written to"):
        dict(split_paths(two, str(tmp_path), "csv"))
    with pytest.raises(UsageError, match="--split-dir needs segments"):
        dict(split_paths(None, str(tmp_path), "csv"))
    with pytest.raises(OutputError, match="not a directory"):
        dict(split_paths(two, str(tmp_path / "missing"), "csv"))
    one = Rules([Segment(name="Engaged B2B in Poland")])
    assert dict(split_paths(one, str(tmp_path), "parquet")) == {"Engaged B2B in Poland": str(tmp_path / "engaged-b2b-in-poland.parquet")}
