"""Readers: every encoding, delimiter, newline and breakage a real export has."""

from __future__ import annotations

import pytest

from conftest import FIXTURES, load
from listclean.errors import InputError

EXPECTED_CITIES = ["Kraków", "Zürich"]
SAMPLE_ROWS_PLUS_LAST = 256 * 1024 // 20 + 1_000 + 1  # rows _rows_then writes


@pytest.mark.parametrize(
    "name, encoding",
    [
        ("utf8.csv", "utf-8"),
        ("utf8_bom.csv", "utf-8-sig"),
        ("utf16le_bom.csv", "utf-16-le"),
        ("utf16be_bom.csv", "utf-16-be"),
        ("utf16le_nobom.csv", "utf-16-le"),
        ("windows_newlines.csv", "utf-8"),
        ("mac_newlines.csv", "utf-8"),
        ("tab.tsv", "utf-8"),
        ("pipe.txt", "utf-8"),
    ],
)
def test_every_unicode_encoding_and_layout_reads_the_same_rows(name, encoding):
    result = load(FIXTURES / name)
    frame = result.frame
    assert frame["email"].to_list() == ["ann@example.com", "bob@example.com"]
    assert frame["city"].to_list() == EXPECTED_CITIES
    assert frame["_source_row"].to_list() == [1, 2]
    assert result.sources[0].encoding == encoding


def test_cp1252_semicolon_file_is_decoded_with_a_warning():
    result = load(FIXTURES / "cp1252_semicolon.csv")
    assert result.frame["city"].to_list() == ["Besançon", "Zürich"]
    source = result.sources[0]
    assert source.delimiter == ";"
    assert source.encoding == "cp1252"
    assert any("not UTF-8" in notice and "cp1252" in notice for notice in source.notices)


def test_polish_cp1250_and_japanese_shift_jis_are_detected():
    polish = load(FIXTURES / "cp1250_polish.csv").frame
    assert polish["city"].to_list() == ["Łódź", "Gdańsk"]
    assert polish["first_name"].to_list() == ["Łucja", "Żaneta"]
    japanese = load(FIXTURES / "shift_jis.csv").frame
    assert japanese["full_name"].to_list() == ["山田太郎", "佐藤花子"]


def test_explicit_encoding_and_delimiter_win_over_sniffing():
    result = load(FIXTURES / "cp1252_semicolon.csv", encoding="latin-1", delimiter=";")
    assert result.sources[0].encoding == "latin-1"
    assert result.frame["city"].to_list() == ["Besançon", "Zürich"]


def test_quoted_newlines_commas_and_doubled_quotes_survive():
    frame = load(FIXTURES / "quoted_newline.csv").frame
    assert frame["note"].to_list() == ["line one\nline two, with comma", 'say "hi"']


def test_a_one_megabyte_field_is_read_whole():
    frame = load(FIXTURES / "huge_field.csv").frame
    assert len(frame["notes"][0]) == 1_000_000
    assert frame.height == 2


def test_leading_zeros_and_plus_signs_survive():
    frame = load(FIXTURES / "leading_zeros.csv").frame
    assert frame["postal_code"].to_list() == ["00123", "02134"]
    assert frame["phone"].to_list() == ["+48600100200", "+442079460958"]


def test_ragged_row_is_an_error_naming_file_and_line():
    with pytest.raises(InputError) as error:
        load(FIXTURES / "ragged.csv")
    message = str(error.value)
    assert "ragged.csv:3" in message and "2 fields" in message and "--on-bad-rows" in message


def test_ragged_rows_skipped_are_listed_with_line_and_reason():
    result = load(FIXTURES / "ragged.csv", on_bad_rows="skip")
    assert result.frame["email"].to_list() == ["ann@example.com", "dan@example.com"]
    rejects = result.rejects.sort("_source_line")
    assert rejects["_source_line"].to_list() == [3, 4]
    assert rejects["reason"].to_list() == ["ragged_row", "ragged_row"]
    assert rejects["raw"].to_list() == ["bob@example.com,Bob", "cid@example.com,Cid,Oslo,extra"]
    assert result.rows_in == result.rows_out + result.rejected == 4


def test_ragged_rows_kept_are_padded_and_extras_preserved():
    result = load(FIXTURES / "ragged.csv", on_bad_rows="keep")
    frame = result.frame
    assert frame.height == 4
    assert frame["city"].to_list() == ["Krakow", None, "Oslo", "Rome"]
    assert frame["_extra_fields"].to_list() == [None, None, "extra", None]
    assert set(result.rejects["action"]) == {"kept"}
    assert result.rejected == 0


def test_nul_byte_is_an_error_or_is_removed_on_keep():
    with pytest.raises(InputError, match=r"nul_byte.csv:3.*NUL"):
        load(FIXTURES / "nul_byte.csv")
    kept = load(FIXTURES / "nul_byte.csv", on_bad_rows="keep").frame
    assert kept["email"].to_list() == ["ann@example.com", "bob@example.com", "cid@example.com"]
    # The row says what was repaired on it, not only the summary and the rejects file.
    assert kept["_bad_row"].to_list() == [None, "nul_byte", None]


def test_a_quote_inside_a_field_is_a_literal_character_like_every_csv_reader_reads_it(tmp_path):
    # Only a quote that opens a field quotes it; hypothesis found a file where treating the
    # inner quotes as quoting hid a separator and the import crashed.
    literal = tmp_path / "literal.csv"
    literal.write_text('email,note\nann@example.com,O"Brien\nbob@example.com,say "hi"\n')
    assert load(literal).frame["note"].to_list() == ['O"Brien', 'say "hi"']
    hidden = tmp_path / "hidden.csv"
    hidden.write_text('email,note\nann@example.com,say "hi, there"\n')
    with pytest.raises(InputError, match=r"hidden.csv:2.*3 fields"):
        load(hidden)


def test_unclosed_quote_names_the_line_where_it_starts():
    with pytest.raises(InputError, match=r"unclosed_quote.csv:3.*unclosed quote"):
        load(FIXTURES / "unclosed_quote.csv")


def test_empty_file_is_an_error():
    with pytest.raises(InputError, match="empty"):
        load(FIXTURES / "empty.csv")
    with pytest.raises(InputError, match="blank"):
        load(FIXTURES / "blank_space.csv")


def test_header_only_file_gives_zero_rows_not_an_error():
    result = load(FIXTURES / "header_only.csv")
    assert result.frame.height == 0
    assert "email" in result.frame.columns


def test_duplicate_headers_are_renamed_with_a_warning_and_nothing_is_lost():
    result = load(FIXTURES / "duplicate_headers.csv")
    assert result.frame["email"].to_list() == ["ann@example.com"]
    assert result.frame["Email (2)"].to_list() == ["ann@work.example"]
    assert any("duplicate column name 'Email'" in notice for notice in result.sources[0].notices)


def test_a_first_row_holding_an_address_is_data_not_a_header():
    result = load(FIXTURES / "no_header.csv")
    assert result.frame["email"].to_list() == ["ann@example.com", "bob@example.com"]
    assert result.frame["column_2"].to_list() == ["Ann", "Bob"]


def test_blank_and_empty_rows_are_rejected_as_empty_rows():
    result = load(FIXTURES / "blank_lines.csv")
    assert result.frame["email"].to_list() == ["ann@example.com", "bob@example.com"]
    assert result.frame["_source_row"].to_list() == [1, 4]
    assert result.rejects["reason"].to_list() == ["empty_row", "empty_row", "empty_row"]
    assert result.rows_in == 5


def test_malformed_ndjson_names_the_line():
    with pytest.raises(InputError, match=r"not_json.ndjson:2"):
        load(FIXTURES / "not_json.ndjson")


def test_missing_file_and_directory_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="directory"):
        load(tmp_path)


def test_ndjson_nested_values_become_text_and_missing_ones_stay_missing(tmp_path):
    source = tmp_path / "events.ndjson"
    source.write_text(
        '{"email": "ann@example.com", "address": {"city": "Kraków"}, "labels": ["vip", "b2b"]}\n'
        '{"email": "bob@example.com"}\n'
        '{"email": "cy@example.com", "address": null, "labels": []}\n',
        encoding="utf-8",
    )
    frame = load(source).frame
    # ("address" is a name for address_line1)
    assert frame["address_line1"].to_list() == ['{"city":"Kraków"}', None, None]  # not the text "null"
    assert frame["tags"].to_list() == [["vip", "b2b"], None, None]  # "labels" is a name for tags


def test_only_listclean_parquet_is_read_again_instead_of_spooled(tmp_path):
    import polars as pl

    from listclean import schema
    from listclean.importer import ImportOptions, ImportStream
    from listclean.io.read import Workspace, is_listclean_parquet

    contacts = load(FIXTURES / "utf8.csv").frame
    marked, unmarked, plain = tmp_path / "marked.parquet", tmp_path / "unmarked.parquet", tmp_path / "plain.parquet"
    contacts.write_parquet(marked, metadata={schema.CANONICAL_MARK: "test"})
    contacts.write_parquet(unmarked)  # standard columns, but nobody says listclean wrote them
    pl.DataFrame({"email": ["a@b.pl"]}).write_parquet(plain)
    assert is_listclean_parquet(str(marked))
    assert not any(is_listclean_parquet(path) for path in (str(unmarked), str(plain), str(FIXTURES / "utf8.csv"), "-"))
    with Workspace() as workspace:
        assert ImportStream([str(marked)], ImportOptions(), workspace).replayable()
        assert not ImportStream([str(marked), str(FIXTURES / "utf8.csv")], ImportOptions(), workspace).replayable()
        assert not ImportStream([str(marked)], ImportOptions(overrides={"Email": "email"}), workspace).replayable()  # re-standardised


def test_the_registry_lists_every_format_sniffs_each_and_an_unknown_one_names_them(tmp_path):
    from listclean.errors import UsageError
    from listclean.io.read import ReadOptions, Workspace, format_names, read_source, sniff_format

    assert format_names() == ("csv", "tsv", "ndjson", "json", "parquet", "xlsx")
    heads = {
        "csv": (b"email,name\n", "list.csv"),
        "tsv": (b"email\tname\n", "list.TSV"),
        "ndjson": (b'\xef\xbb\xbf {"email": "ann@example.com"}\n', "list.csv"),
        "json": (b'\n[{"email": "ann@example.com"}]', "list"),
        "parquet": (b"PAR1\x15\x04", "list.tsv"),  # content wins over the name
        "xlsx": (b"PK\x03\x04\x14\x00", "list.csv"),
    }
    assert {name: sniff_format(head, path) for name, (head, path) in heads.items()} == {name: name for name in format_names()}
    source = tmp_path / "list.csv"
    source.write_text("email\nann@example.com\n")
    with Workspace() as workspace, pytest.raises(UsageError) as error:
        read_source(str(source), ReadOptions(format="yaml"), workspace)
    assert "unknown input format 'yaml'" in str(error.value)
    assert error.value.hint == "use one of csv, tsv, ndjson, json, parquet, xlsx"


# ------------------------------------------------------------------ issue #16: damaged and short legacy text


def test_a_utf8_file_with_one_bad_byte_stays_utf8_and_the_row_is_a_bad_row():
    with pytest.raises(InputError, match=r"utf8_one_bad_byte.csv:3: row 2 holds bytes that are not UTF-8"):
        load(FIXTURES / "utf8_one_bad_byte.csv")
    kept = load(FIXTURES / "utf8_one_bad_byte.csv", on_bad_rows="keep")
    assert kept.sources[0].encoding == "utf-8"
    assert kept.frame["full_name"].to_list() == ["Zoë", "An\ufffdn", "Bob"]  # never Zoﾃｫ
    assert kept.rejects.select("_source_line", "reason", "action").rows() == [(3, "bad_utf8", "kept")]
    skipped = load(FIXTURES / "utf8_one_bad_byte.csv", on_bad_rows="skip")
    assert skipped.frame["email"].to_list() == ["zoe@example.com", "bob@example.com"]
    assert skipped.rejects["raw"].to_list() == ["ann@example.com,An\ufffdn"]


def _rows_then(tmp_path, last: bytes, letters: str = "Anna") -> str:
    """A file whose first 300 KB (more than the head the encoding is decided from) are UTF-8, then `last`."""
    from listclean.io.sniff import SAMPLE_BYTES

    path = tmp_path / "late.csv"
    rows = [f"a{i}@example.com,{letters}".encode() for i in range(SAMPLE_BYTES // 20 + 1_000)]
    path.write_bytes(b"email,full_name\n" + b"\n".join(rows) + b"\n" + last + b"\n")
    return str(path)


def test_a_legacy_byte_past_the_head_decides_the_encoding_of_the_whole_file(tmp_path):
    path = _rows_then(tmp_path, b"b@example.com,Jos\xe9")  # cp1252 é, after 300 KB of ASCII
    result = load(path, chunk_rows=3_000)
    assert result.sources[0].encoding == "cp1252"
    assert result.frame["full_name"][-1] == "José"
    assert result.frame.height == SAMPLE_ROWS_PLUS_LAST
    assert any("not UTF-8 (first invalid byte on line" in notice for notice in result.sources[0].notices)


def test_a_damaged_utf8_byte_past_the_head_is_a_bad_row_of_a_utf8_file(tmp_path):
    path = _rows_then(tmp_path, b"b@example.com,Jo\xc3", letters="Łukasz")  # a cut character in a UTF-8 file
    with pytest.raises(InputError, match=rf"late.csv:{SAMPLE_ROWS_PLUS_LAST + 1}: row {SAMPLE_ROWS_PLUS_LAST} holds bytes that are not UTF-8"):
        load(path, chunk_rows=3_000)
    kept = load(path, chunk_rows=3_000, on_bad_rows="keep")
    assert kept.sources[0].encoding == "utf-8"
    assert kept.frame["full_name"].to_list()[-2:] == ["Łukasz", "Jo\ufffd"]


@pytest.mark.parametrize(("name", "column", "values"), [("latin1_short.csv", "full_name", ["© Ann"]), ("cp1252_short_letters.csv", "a", ["Ä"])])
def test_short_latin1_and_cp1252_files_are_not_read_as_cp932(name, column, values):
    result = load(FIXTURES / name)
    assert result.sources[0].encoding in ("cp1252", "latin-1")
    assert result.frame[column].to_list() == values


# ------------------------------------------------------------------ issue #16: what the peers' test corpora read


@pytest.mark.parametrize("name", ["blank_lines_before_header.csv", "blank_space_before_header.csv"])
def test_blank_lines_before_the_header_are_skipped(name):
    frame = load(FIXTURES / name).frame
    assert frame["email"].to_list() == ["ann@example.com", "bob@example.com"]
    assert frame["first_name"].to_list() == ["Ann", "Bob"]


@pytest.mark.parametrize("name", ["lone_cr_then_lf.csv", "crlf_with_lone_cr.csv"])
def test_lone_cr_line_ends_mixed_with_lf_split_lines(name):
    assert load(FIXTURES / name).frame["email"].to_list() == ["ann@example.com", "bob@example.com"]


def test_a_cr_inside_quotes_stays_in_the_cell():
    assert load(FIXTURES / "cr_inside_quotes.csv").frame["note"].to_list() == ["one\rtwo", "x"]


def test_an_unclosed_quote_on_the_last_line_is_a_bad_row_for_every_choice():
    with pytest.raises(InputError, match=r"truncated_quote.csv:3: unclosed quote"):
        load(FIXTURES / "truncated_quote.csv")
    skipped = load(FIXTURES / "truncated_quote.csv", on_bad_rows="skip")
    assert skipped.frame["email"].to_list() == ["ann@example.com"]
    assert skipped.rejects.select("_source_line", "reason").rows() == [(3, "unclosed_quote")]
    kept = load(FIXTURES / "truncated_quote.csv", on_bad_rows="keep")
    assert kept.frame["email"].to_list() == ["ann@example.com", "bob@example.com"]
    assert kept.rejects.select("reason", "action").rows() == [("unclosed_quote", "kept")]


@pytest.mark.parametrize(("name", "detail"), [("backslash_quote.csv", "backslash-escaped quote"), ("quote_in_quoted_field.csv", "not doubled")])
def test_malformed_quotes_in_a_quoted_field_are_reported_by_the_careful_reader(name, detail):
    with pytest.raises(InputError, match=rf"{name}:2: row 1 has a .*{detail}"):
        load(FIXTURES / name)
    skipped = load(FIXTURES / name, on_bad_rows="skip")
    assert skipped.frame["email"].to_list() == ["bob@example.com"]
    assert skipped.rejects.select("_source_line", "reason").rows() == [(2, "stray_quote")]


def test_a_vertical_tab_in_the_header_is_not_a_line_end():
    frame = load(FIXTURES / "vertical_tab_header.csv").frame
    assert frame["email"].to_list() == ["ann@example.com"]


def test_a_header_longer_than_the_sample_is_read_whole(tmp_path):
    names = [f"column number {i:06d}" for i in range(14_000)]  # ~300 KiB of header
    source = tmp_path / "wide.csv"
    source.write_text(",".join(["email", *names]) + "\n" + ",".join(["ann@example.com", *["x"] * len(names)]) + "\n")
    result = load(source, on_bad_rows="keep")
    assert result.frame[names[-1]].to_list() == ["x"] and result.rejected == 0 and result.rejects.height == 0


def test_a_row_of_blank_space_is_an_empty_row_not_a_contact():
    result = load(FIXTURES / "whitespace_row.csv")
    assert result.frame["email"].to_list() == ["ann@example.com", "bob@example.com"]
    assert result.rejects.select("_source_row", "reason").rows() == [(2, "empty_row")]


def test_a_do_not_email_column_of_addresses_imports_as_unsubscribed_contacts():
    frame = load(FIXTURES / "do_not_email.csv").frame
    assert frame["email"].to_list() == ["ann@example.com"]
    assert frame["consent_status"].to_list() == ["unsubscribed"]


def test_a_linkedin_notes_preamble_is_skipped_and_skip_lines_says_how_many():
    result = load(FIXTURES / "linkedin_connections.csv")
    assert result.frame["email"].to_list() == ["ann@example.com", None]
    assert result.frame["company"].to_list() == ["Acme", "Acme"]
    assert any("skipped 3 line(s) before the header" in notice for notice in result.sources[0].notices)
    explicit = load(FIXTURES / "linkedin_connections.csv", skip_lines=3)
    assert explicit.frame["email"].to_list() == ["ann@example.com", None]


@pytest.mark.parametrize("name", ["utf8.csv.gz", "utf8.csv.bz2", "utf8.csv.xz"])
def test_compressed_inputs_are_read_transparently(name):
    result = load(FIXTURES / name)
    assert result.frame["email"].to_list() == ["ann@example.com", "bob@example.com"]
    assert result.frame["city"].to_list() == EXPECTED_CITIES


def test_a_dbase_table_is_refused_by_its_first_bytes_not_read_as_text():
    with pytest.raises(InputError, match=r"contacts.dbf: is a dBase/FoxPro table"):
        load(FIXTURES / "contacts.dbf")


def test_a_cut_off_gzip_file_is_an_input_error(tmp_path):
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes((FIXTURES / "utf8.csv.gz").read_bytes()[:20])
    with pytest.raises(InputError, match=r"cut.csv.gz: is gzip-compressed but cannot be decompressed"):
        load(cut)


def test_a_1904_workbook_with_an_x14_workbookpr_keeps_its_dates():
    frame = load(FIXTURES / "date1904_x14.xlsx").frame
    assert [value.date().isoformat() for value in frame["signup_at"].to_list()] == ["2024-05-01"]  # calamine alone: 2020-04-30


def test_a_zstd_file_is_read_or_refused_saying_how(tmp_path):
    source = tmp_path / "list.csv.zst"
    try:
        import zstandard
    except ImportError:
        source.write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 20)
        with pytest.raises(InputError, match=r"list.csv.zst: is compressed with zstd.*zstd -dc"):
            load(source)
        return
    source.write_bytes(zstandard.ZstdCompressor().compress((FIXTURES / "utf8.csv").read_bytes()))
    assert load(source).frame["email"].to_list() == ["ann@example.com", "bob@example.com"]


def test_quoted_fields_that_span_lines_read_alike_in_chunks_and_whole(tmp_path):
    """Chunks are first cut at line ends, unread; a quoted field spanning lines across a cut sends
    the file back to cutting where records end, so each record is still read whole."""
    path = tmp_path / "notes.csv"
    rows = [f'u{i}@example.com,"line one\nline two of {i}"' if i % 3 == 0 else f"u{i}@example.com,plain {i}" for i in range(40)]
    path.write_text("email,notes\n" + "\n".join(rows) + "\n", encoding="utf-8")
    whole = load(path)
    for chunk_rows in (2, 3, 5):
        chunked = load(path, chunk_rows=chunk_rows)
        assert chunked.frame.equals(whole.frame)
        assert not chunked.rejects.height
    assert whole.frame["notes"][0] == "line one\nline two of 0"
    assert whole.frame.height == 40
