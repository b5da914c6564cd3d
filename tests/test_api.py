"""The Python API: the steps on Polars frames, eager or lazy, or paths — no subprocess, no CLI."""

from __future__ import annotations

import subprocess
import sys

import polars as pl
import pytest

import listclean
from conftest import EXAMPLES, FIXTURES
from listclean.errors import UsageError
from listclean.runtime import Runtime


def raw() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "E-Mail": [" Anna.Nowak@Example.PL ", "bob@gmial.com", "", "info@mailinator.com"],
            "Vorname": ["Anna", "Bob", "", "Info"],
            "Telefon": ["+48 600 100 200", "", "", "0048 600 100 201"],
        }
    )


def test_read_maps_a_raw_frame_and_gives_each_row_provenance_and_counts():
    contacts, report = listclean.read(raw())
    assert contacts["email"].to_list() == ["Anna.Nowak@Example.PL", "bob@gmial.com", "info@mailinator.com"]
    assert contacts["phone"].to_list()[0] == "+48600100200"
    assert contacts["_source_file"].unique().to_list() == ["<frame>"] and contacts["_source_row"].to_list() == [1, 2, 4]
    assert report.counts == {"rows_in": 4, "rows_out": 3, "rejected": 1, "merged": 0, "quarantined": 0}
    assert report.rejects.select("_source_row", "reason").rows() == [(3, "empty_row")]  # nothing lost silently


def test_a_lazy_frame_is_read_like_an_eager_one():
    eager, _ = listclean.read(raw())
    lazy, _ = listclean.read(raw().lazy())
    assert lazy.equals(eager)


def test_read_takes_paths_and_the_commands_reading_options(tmp_path):
    contacts, report = listclean.read(FIXTURES / "cp1252_semicolon.csv")
    assert report.sources[0].delimiter == ";" and contacts.height == report.counts["rows_out"] > 0
    mapped, _ = listclean.read(raw(), mapping={"Vorname": None})
    assert "Vorname" in mapped.columns and mapped["first_name"].null_count() == mapped.height
    with pytest.raises(UsageError, match="not a country"):
        listclean.read(raw(), default_country="Atlantis")


def test_validate_chains_on_reads_output_and_drops_to_the_reports_rejects():
    contacts, _ = listclean.read(raw())
    checked, report = listclean.validate(contacts, fix_typos=True, fail_on=["invalid>10%"], drop=["risky"])
    by_row = dict(zip(checked["_source_row"], checked["email_status"]))
    assert checked.filter(pl.col("_source_row") == 2)["email_normalized"].item() == "bob@gmail.com"
    assert "risky" not in by_row.values() and report.rejects.filter(pl.col("reason") == "email_risky").height == 1  # a disposable address
    assert report.counts["rows_in"] == 3 and report.counts["rows_out"] + report.counts["rejected"] == 3
    assert report.validation.typos_fixed == 1 and report.failures == []


def test_validate_of_a_raw_frame_is_the_same_as_validate_of_its_import():
    direct, _ = listclean.validate(raw())
    contacts, _ = listclean.read(raw())
    chained, _ = listclean.validate(contacts)
    assert direct.equals(chained)


def test_a_caller_runtime_is_used_and_left_open(tmp_path):
    with Runtime(chunk_rows=2) as runtime:
        checked, report = listclean.validate(EXAMPLES / "hubspot_contacts.csv", runtime=runtime)
        assert report.counts["rows_in"] == checked.height + report.counts["rejected"]
        again, _ = listclean.validate(EXAMPLES / "hubspot_contacts.csv", runtime=runtime)  # still usable
    assert again.equals(checked)


def test_importing_listclean_does_not_load_polars_until_the_api_is_used():
    code = "import sys, listclean; assert 'polars' not in sys.modules; listclean.read; assert 'polars' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_segment_labels_a_frame_against_a_given_date_and_counts_the_labels():
    contacts = pl.DataFrame(
        {
            "email": ["a@firma.pl", "b@firma.pl", "c@firma.pl"],
            "country": ["PL", "DE", "PL"],
            "last_click_at": ["2026-11-20", "2025-01-01", None],
            "consent_status": ["subscribed", "subscribed", "unsubscribed"],
        }
    )
    labelled, report = listclean.segment(contacts, where="country = 'PL'", name="poland", lifecycle=True, as_of="2026-11-24")
    assert labelled["segment"].to_list() == ["poland", None, None]  # the unsubscribed contact is not segmented
    assert labelled["lifecycle_stage"].to_list()[:2] == ["active", "lost"]
    assert report.labels.tables["segment counts"]["poland"] == 1 and report.as_of.isoformat().startswith("2026-11-24")


def test_decay_report_measures_a_frame_and_returns_the_sunset_candidates():
    contacts = pl.DataFrame(
        {
            "email": ["a@firma.pl", "b@firma.pl", "c@firma.pl"],
            "signup_at": ["2024-01-01", "2024-01-01", "2026-11-01"],
            "last_click_at": ["2026-11-20", None, None],
            "consent_status": ["subscribed", "subscribed", "subscribed"],
        }
    )
    report = listclean.decay_report(contacts, as_of="2026-11-24", fail_on=["sunset>0"])
    summary = report.as_dict()
    assert summary["rows"] == 3 and summary["sunset"]["candidates"] == 1
    assert report.sunset_candidates["email"].to_list() == ["b@firma.pl"] and report.failures


def _mixed_consent() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "email": ["Jane.Doe@Example.org", "jane.doe@example.org", "max@firma.de", "ola@firma.pl"],
            "first_name": ["Jane", "Jane", "Max", "Ola"],
            "consent_status": ["subscribed", "unsubscribed", "subscribed", "bounced"],
        }
    )


def test_export_to_a_platform_as_a_frame_never_holds_a_suppressed_person():
    exported, report = listclean.export(_mixed_consent(), to="mailchimp")
    assert exported["Email Address"].to_list() == ["max@firma.de"]  # Jane unsubscribed in another row
    assert report.suppressed == 3 and report.counts["rows_out"] == 1
    assert sorted(report.rejects["reason"].to_list()) == ["suppressed", "suppressed", "suppressed"]


def test_export_to_a_file_writes_and_checks_it_like_the_command(tmp_path):
    path = tmp_path / "out.csv"
    nothing, report = listclean.export(_mixed_consent(), output=path)
    assert nothing is None and report.files == [str(path)]
    assert pl.read_csv(path)["email"].to_list() == ["max@firma.de"]
    with pytest.raises(Exception, match="exists"):
        listclean.export(_mixed_consent(), output=path)  # never replaced without force
    listclean.export(_mixed_consent(), output=path, force=True)


def _people() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "email": ["anna.nowak@gmail.com", "Anna.Nowak+shop@googlemail.com", "jan@firma.pl", "ola@firma.pl"],
            "first_name": ["Anna", "Anna", "Jan", "Ola"],
            "last_name": ["Nowak", "Nowak", "Kowalski", "Wiśniewska"],
        }
    )


def test_dedupe_merges_a_frame_and_explains_every_merge():
    golden, report = listclean.dedupe(_people(), match="canonical", explain=True)
    assert golden.height == 3 and report.counts == {"rows_in": 4, "rows_out": 3, "rejected": 0, "merged": 1, "quarantined": 0}
    assert report.clusters.height == 4 and report.clusters["cluster_id"].n_unique() == 3
    assert report.pairs is not None and report.pairs.height >= 1


def test_dedupe_against_a_master_frame_keeps_its_cluster_ids():
    master, _ = listclean.dedupe(_people(), match="canonical")
    tonight = pl.DataFrame({"email": ["ANNA.NOWAK@gmail.com", "new@firma.pl"], "first_name": ["Anna", "Nowy"]})
    updated, report = listclean.dedupe(tonight, against=master, match="canonical")
    anna = master.filter(pl.col("email") == "anna.nowak@gmail.com")["cluster_id"].item()
    assert report.dedupe.matched_existing == 1 and report.dedupe.new_clusters == 1
    assert anna in updated["cluster_id"].to_list() and updated.height == master.height + 1


def test_every_api_function_has_a_docstring_and_typed_keywords():
    import inspect

    for name in ("read", "validate", "dedupe", "segment", "decay_report", "export"):
        function = getattr(listclean, name)
        assert callable(function) and function.__doc__ and "listclean " in function.__doc__
        parameters = inspect.signature(function).parameters
        assert list(parameters)[0] == "data" and "runtime" in parameters


@pytest.mark.parametrize(
    ("function", "command", "options"),
    [
        ("validate", "validate", "listclean.steps.validate:ValidateStepOptions"),
        ("dedupe", "dedupe", "listclean.steps.dedupe:DedupeStepOptions"),
        ("segment", "segment", "listclean.steps.segment:SegmentStepOptions"),
        ("decay_report", "decay-report", None),
        ("export", "export", "listclean.steps.export:ExportStepOptions"),
    ],
)
def test_the_api_the_command_line_and_the_step_options_share_their_defaults(function, command, options):
    """One option, one default: the API's keyword, the command's flag and the options field agree."""
    import dataclasses
    import importlib
    import inspect

    from listclean.cli.app import app
    from typer.main import get_command

    api = {name: p.default for name, p in inspect.signature(getattr(listclean, function)).parameters.items() if p.default is not inspect.Parameter.empty}
    cli = {param.name: param.default for param in get_command(app).commands[command].params}
    shared = {name for name in api if name in cli and name not in ("runtime", "explain", "review")}  # explain, review: a bool here, a path there
    assert shared, "no shared options found"
    for name in shared:
        flag = cli[name].value if hasattr(cli[name], "value") else cli[name]
        expected = api[name] if not isinstance(api[name], tuple) else (list(api[name]) or None)
        if api[name] is None or (isinstance(api[name], tuple) and not api[name]):
            assert flag in (None, [], ()), f"{function}({name}=…) vs --{name}: {api[name]!r} != {flag!r}"
        else:
            assert flag == expected, f"{function}({name}=…) vs --{name}: {api[name]!r} != {flag!r}"
    if options:
        module, _, cls = options.partition(":")
        fields = {f.name: f for f in dataclasses.fields(getattr(importlib.import_module(module), cls))}
        for name in shared & set(fields):
            field = fields[name]
            default = field.default_factory() if field.default is dataclasses.MISSING else field.default
            if default in (None, [], ()) or api[name] in (None, ()):
                continue
            assert default == api[name], f"{cls}.{name} = {default!r} but {function}({name}={api[name]!r})"


def test_a_single_value_is_one_value_not_a_list_of_characters(tmp_path):
    listed = tmp_path / "list.txt"
    listed.write_text("bob@gmial.com\n")
    checked, report = listclean.validate(raw(), suppress=str(listed), fail_on="invalid>90%", drop="risky")
    assert report.thresholds[0].name == "invalid" and report.dropped == 1  # the disposable address
    assert checked.filter(pl.col("email") == "bob@gmial.com")["email_status"].item() == "suppressed"
    exported, _ = listclean.export(_mixed_consent(), columns="email,first_name")
    assert exported.columns == ["email", "first_name"]
    with pytest.raises(UsageError, match="'invalids' is not a status"):
        listclean.validate(raw(), drop="invalids")


@pytest.mark.parametrize("data", [42, [{"email": "a@b.com"}], {"email": ["a@b.com"]}])
def test_data_of_the_wrong_kind_is_a_listclean_error(data):
    with pytest.raises(UsageError, match="cannot read"):
        listclean.read(data)


def test_a_failed_step_gives_back_its_memory_and_work_files_to_a_callers_runtime(tmp_path):
    from listclean.stream.budget import MemoryBudget

    with Runtime(chunk_rows=2, budget=MemoryBudget(1)) as runtime:
        with pytest.raises(UsageError):
            listclean.export(_mixed_consent(), columns=["nope"], runtime=runtime)
        with pytest.raises(Exception):
            listclean.segment(_mixed_consent(), where="nope = 1", runtime=runtime)
        listclean.validate(raw(), runtime=runtime)
        assert runtime.budget.held == 0
        work = runtime.workspace.path(".probe").parent
        assert sorted(p.name for p in work.iterdir()) == []  # no spilled parts, no copies of the frames


def test_the_api_is_listed_on_the_package():
    assert {"read", "validate", "dedupe", "segment", "decay_report", "export", "Runtime", "MemoryBudget"} <= set(dir(listclean))


def test_export_keeps_consent_nobody_understood_out_of_a_platform_unless_told():
    contacts = pl.DataFrame({"email": ["a@firma.pl", "b@firma.pl"], "consent_status": ["subscribed", "status 7b (see CRM)"]})
    exported, report = listclean.export(contacts, to="mailchimp")
    assert exported["Email Address"].to_list() == ["a@firma.pl"] and report.rejects["reason"].to_list() == ["consent_unknown"]
    included, _ = listclean.export(contacts, to="mailchimp", unknown_consent="include")
    assert included.height == 2
