"""The append-only run log: one JSON line per run, inputs hashed, counts only — no data values."""

from __future__ import annotations

import hashlib
import json


def test_each_run_appends_one_line_with_input_hashes_and_counts_but_no_addresses(cli, tmp_path):
    data = tmp_path / "contacts.csv"
    data.write_text("email,first_name,consent_status\nann@firma.pl,Ann,subscribed\nbob@firma.pl,Bob,unsubscribed\n")
    log = tmp_path / "runs.jsonl"
    assert cli(["--log", log, "import", data, "-o", tmp_path / "c.parquet"]).exit_code == 0
    assert cli(["--log", log, "validate", tmp_path / "c.parquet", "-o", tmp_path / "v.parquet"]).exit_code == 0
    assert cli(["--log", log, "export", tmp_path / "v.parquet", "-o", tmp_path / "out.csv"]).exit_code == 0
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["command"] for line in lines] == ["import", "validate", "export"]
    first = lines[0]
    assert first["inputs"] == [{"path": str(data), "sha256": hashlib.sha256(data.read_bytes()).hexdigest(), "bytes": data.stat().st_size}]
    assert first["counts"]["rows_in"] == 2 and lines[2]["counts"]["suppressed"] == 1
    text = log.read_text()
    assert "ann@" not in text and "bob@" not in text and "firma.pl" not in text
