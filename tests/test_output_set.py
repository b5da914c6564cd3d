"""io.write's OutputSet and formula guard; the Runtime's commit (issue #16, points 7 and 13)."""

from __future__ import annotations

import os
import signal

import polars as pl
import pytest

from listclean.errors import OutputError
from listclean.io.write import OutputSet, check_distinct, excel_safe, guard_header, prepare_target, write_frame
from listclean.runtime import Runtime


def frame() -> pl.DataFrame:
    return pl.DataFrame({"email": ["ann@firma.pl"], "first_name": ["Ann"]})


def test_nothing_is_in_place_until_the_set_is_committed(tmp_path):
    outputs = OutputSet()
    main, side = prepare_target(str(tmp_path / "out.csv"), fmt=None, force=False, inputs=[], primary=True), prepare_target(str(tmp_path / "side.csv"), fmt=None, force=False, inputs=[])
    write_frame(frame(), main, outputs)
    write_frame(frame(), side, outputs)
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "side.csv").exists()
    assert os.path.exists(main.written) and main.written != main.path
    committed = outputs.commit()
    assert committed == [side.path, main.path]  # the main output last
    assert (tmp_path / "out.csv").read_text().startswith("email,") and (tmp_path / "side.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "side.csv"]


def test_a_discarded_set_leaves_the_old_files_and_no_temporary_file(tmp_path):
    (tmp_path / "out.csv").write_text("old")
    outputs = OutputSet()
    write_frame(frame(), prepare_target(str(tmp_path / "out.csv"), fmt=None, force=True, inputs=[]), outputs)
    outputs.discard()
    assert (tmp_path / "out.csv").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_signal_during_the_commit_waits_until_every_file_is_in_place(tmp_path, monkeypatch):
    outputs = OutputSet()
    targets = [prepare_target(str(tmp_path / f"{name}.csv"), fmt=None, force=False, inputs=[]) for name in ("a", "b", "c")]
    for target in targets:
        write_frame(frame(), target, outputs)
    real = os.replace
    calls = []

    def replace(source, destination):
        calls.append(destination)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C between the first and the second rename
        real(source, destination)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        outputs.commit()
    assert all(os.path.exists(target.path) for target in targets)  # all new, none old


def test_a_runtime_commits_its_outputs_when_its_block_ends_well_and_discards_them_otherwise(tmp_path):
    target = prepare_target(str(tmp_path / "out.csv"), fmt=None, force=False, inputs=[])
    with pytest.raises(RuntimeError), Runtime() as runtime:
        sink = runtime.file_sink(target)
        sink.add(frame())
        sink.finish()
        raise RuntimeError("a step failed after writing")
    assert list(tmp_path.iterdir()) == []
    with Runtime() as runtime:
        sink = runtime.file_sink(prepare_target(str(tmp_path / "out.csv"), fmt=None, force=False, inputs=[]))
        sink.add(frame())
        sink.finish()
        assert not (tmp_path / "out.csv").exists()
    assert (tmp_path / "out.csv").exists()


def test_two_outputs_on_one_file_are_refused_even_through_a_link(tmp_path):
    (tmp_path / "a.csv").write_text("x")
    os.link(tmp_path / "a.csv", tmp_path / "b.csv")
    os.symlink(tmp_path / "a.csv", tmp_path / "c.csv")
    with pytest.raises(OutputError, match="same file"):
        check_distinct([("-o", str(tmp_path / "b.csv")), ("--rejects", str(tmp_path / "a.csv"))])
    with pytest.raises(OutputError, match="input file"):
        check_distinct([("-o", str(tmp_path / "c.csv"))], [str(tmp_path / "b.csv")])
    with pytest.raises(OutputError, match="same file"):
        check_distinct([("-o", str(tmp_path / "new.csv")), ("--report", str(tmp_path / "." / "new.csv"))])
    check_distinct([("-o", os.devnull), ("--rejects", os.devnull)])  # the null device takes any number


def test_excel_safe_guards_full_width_forms_and_keeps_what_it_is_told_to():
    values = pl.DataFrame({"v": ["＝1+1", "＋cmd", "－2", "＠SUM(A1)", "\tx", "\rx", "+48600100200", "-12.5", "plain"], "email": ["-bob@x.pl"] * 9})
    guarded = excel_safe(values, keep=("email",))
    assert guarded["v"].to_list() == ["'＝1+1", "'＋cmd", "'－2", "'＠SUM(A1)", "'\tx", "'\rx", "+48600100200", "-12.5", "plain"]
    assert guarded["email"].to_list() == ["-bob@x.pl"] * 9


def test_header_cells_are_guarded():
    assert guard_header(pl.DataFrame({"=cmd": [1], "＠x": [2], "-3": [3], "email": [4]})).columns == ["'=cmd", "'＠x", "-3", "email"]
