"""`listclean dedupe`: golden records out, every row accounted for, every merge explained."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import polars as pl

from conftest import FIXTURES

PEOPLE = FIXTURES / "dedupe_people.csv"


def test_duplicates_merge_into_golden_records_and_the_summary_accounts_for_every_row(cli, tmp_path):
    out = tmp_path / "golden.csv"
    result = cli(["dedupe", PEOPLE, "-o", out, "--json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["rows_in"], summary["rows_out"], summary["merged"], summary["rejected"]) == (10, 7, 3, 0)
    golden = pl.read_csv(out, infer_schema=False)
    anna = golden.filter(pl.col("last_name") == "Nowak", pl.col("first_name") == "Anna").row(0, named=True)
    assert anna["consent_status"] == "unsubscribed"  # an unsubscribe anywhere stays
    assert anna["merged_rows"] == "2" and "same address once normalised" in anna["merge_reason"]
    assert golden.filter(pl.col("email").str.starts_with("nowakowie")).height == 2  # a shared inbox, two people
    assert golden.filter(pl.col("first_name") == "Susan").height == 2
    assert "3 merged into 3 golden records" in result.stderr


def test_clusters_map_every_input_row_and_explain_gives_scores_and_reasons(cli, tmp_path):
    clusters, explain = tmp_path / "clusters.csv", tmp_path / "explain.csv"
    result = cli(["dedupe", PEOPLE, "-o", tmp_path / "out.parquet", "--clusters", clusters, "--explain", explain])
    assert result.exit_code == 0, result.stderr
    mapping = pl.read_csv(clusters)
    assert mapping.columns == ["_source_file", "_source_row", "cluster_id", "is_survivor"]
    assert sorted(mapping["_source_row"].to_list()) == list(range(1, 11))
    assert mapping["is_survivor"].sum() == 7
    pairs = pl.read_csv(explain)
    matched = pairs.filter(pl.col("matched"))
    assert set(matched["rule"]) == {"same_address", "probabilistic"}
    assert matched["cluster_id"].null_count() == 0
    learned = matched.filter(pl.col("rule") == "probabilistic")
    # A probabilistic match names each field's agreement and weight, and its probability.
    assert learned["probability"].min() >= 0.9 and (learned["match_weight"] > 0).all()
    assert learned["first_agreement"].drop_nulls().len() and "match probability" in learned["reason"][0] and "(+" in learned["reason"][0]
    shared = pairs.filter(pl.col("rule") == "shared_address").row(0, named=True)
    assert "shared inbox" in shared["reason"] and not shared["matched"]


def test_dry_run_writes_no_output_but_the_review_files(cli, tmp_path):
    out, clusters = tmp_path / "out.csv", tmp_path / "clusters.csv"
    result = cli(["dedupe", PEOPLE, "-o", out, "--dry-run", "--clusters", clusters])
    assert result.exit_code == 0, result.stderr
    assert not out.exists() and clusters.exists()
    assert "dry run" in result.stderr


def test_against_a_master_keeps_its_cluster_ids_and_adds_only_what_is_new(cli, tmp_path):
    master = tmp_path / "master.parquet"
    assert cli(["dedupe", PEOPLE, "-o", master]).exit_code == 0
    before = pl.read_parquet(master)
    incoming = tmp_path / "new.csv"
    incoming.write_text(
        "Email,First Name,Last Name,Status\n"
        "anna.nowak+x@gmail.com,Anna,Nowak,subscribed\n"
        "new.person@firma.pl,Nowa,Osoba,subscribed\n"
    )
    out = tmp_path / "master2.parquet"
    result = cli(["dedupe", incoming, "--against", master, "-o", out, "--json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["matched_existing"], summary["new_clusters"], summary["rows_out"]) == (1, 1, 8)
    after = pl.read_parquet(out)
    assert set(before["cluster_id"]) < set(after["cluster_id"])
    anna = after.filter(pl.col("cluster_id") == before.filter(pl.col("first_name") == "Anna")["cluster_id"][0]).row(0, named=True)
    assert anna["merged_rows"] == 3 and len(anna["merged_from"]) == 3
    untouched = before.filter(pl.col("first_name") == "Susan").sort("email")
    assert after.filter(pl.col("first_name") == "Susan").sort("email").select(untouched.columns).equals(untouched)


def test_rows_never_validated_still_match_a_validated_list_by_address(cli, tmp_path):
    # A validated master (email_normalized on every row) and tonight's raw export (none):
    # the raw rows are judged on the spot, not treated as having no address.
    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    old.write_text("email,first_name,last_name\nanna.nowak@gmail.com,Anna,Nowak\nbob@firma.pl,Bob,Smith\n")
    new.write_text("email,first_name,last_name\nAnna.Nowak@gmail.com,Anna,Nowak\ncarl@firma.pl,Carl,Jones\n")
    assert cli(["validate", old, "-o", tmp_path / "old.parquet"]).exit_code == 0
    assert cli(["dedupe", tmp_path / "old.parquet", "-o", tmp_path / "golden.parquet"]).exit_code == 0
    against = cli(["dedupe", new, "--against", tmp_path / "golden.parquet", "-o", tmp_path / "next.parquet", "--json"])
    assert against.exit_code == 0, against.stderr
    assert (json.loads(against.stdout)["matched_existing"], json.loads(against.stdout)["rows_out"]) == (1, 3)
    together = cli(["dedupe", tmp_path / "old.parquet", new, "--match", "exact", "-o", tmp_path / "both.csv", "--json"])
    assert together.exit_code == 0, together.stderr
    assert json.loads(together.stdout)["rows_out"] == 3  # Anna once, Bob, Carl


def test_the_masters_unreadable_rows_are_rejected_and_counted_too(cli, tmp_path):
    master = tmp_path / "master.csv"
    assert cli(["dedupe", PEOPLE, "-o", master]).exit_code == 0
    with master.open("a") as handle:
        handle.write("," * (pl.read_csv(master).width - 1) + "\n")  # an empty row
    rejects = tmp_path / "rejects.csv"
    result = cli(["dedupe", PEOPLE, "--against", master, "-o", tmp_path / "out.csv", "--rejects", rejects, "--json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rejected"] == 1 and summary["rows_in"] == summary["rows_out"] + summary["rejected"] + summary["merged"]
    assert pl.read_csv(rejects).select("_source_file", "reason").rows() == [(str(master), "empty_row")]


def test_a_master_without_cluster_ids_is_refused(cli, tmp_path):
    result = cli(["dedupe", PEOPLE, "--against", PEOPLE, "-o", tmp_path / "out.csv"])
    assert result.exit_code == 2
    assert "cluster_id" in result.stderr and "listclean dedupe" in result.stderr


def test_bad_thresholds_are_usage_errors(cli, tmp_path):
    result = cli(["dedupe", PEOPLE, "-o", tmp_path / "out.csv", "--name-threshold", "1.5"])
    assert result.exit_code == 2 and "--name-threshold" in result.stderr


def test_exact_matching_only_merges_the_same_address(cli, tmp_path):
    out = tmp_path / "out.csv"
    result = cli(["dedupe", PEOPLE, "-o", out, "--match", "exact", "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["rows_out"] == 10  # nothing here is the same address twice, except the shared inbox


def test_reads_stdin_and_writes_stdout_in_a_pipeline(cli):
    result = cli(["dedupe", "-", "-o", "-"], input=PEOPLE.read_bytes())
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("\n") == 8  # header + 7 golden records


def test_thresholds_and_rules_come_from_listclean_toml(tmp_path):
    (tmp_path / "listclean.toml").write_text('[dedupe]\nmatch = "canonical"\ntrust = ["crm"]\n')
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LISTCLEAN_")}
    result = subprocess.run(
        [sys.executable, "-m", "listclean", "dedupe", str(PEOPLE), "-o", "out.csv", "--json"],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rows_out"] == 8 and "address_typo_and_name" not in summary["matches_by_rule"]


def _review_list(tmp_path):
    """Two Maria Webers at one city with different mailboxes, among other people: uncertain."""
    sys.path.insert(0, str(FIXTURES.parents[1] / "bench"))
    from people import generate_people

    others = generate_people(300, seed=2).select("email", "first_name", "last_name", "city")
    rows = pl.DataFrame(
        {"email": ["m.weber@firma.de", "maria.w@web.de"], "first_name": ["Maria", "Maria"], "last_name": ["Weber", "Weber"], "city": ["Köln", "Köln"]}
    )
    path = tmp_path / "list.csv"
    pl.concat([rows, others]).write_csv(path)
    return path


def test_a_review_file_labelled_and_passed_back_decides_its_pairs(cli, tmp_path):
    source, review = _review_list(tmp_path), tmp_path / "review.csv"
    flags = ["--threshold", "0.999", "--review-threshold", "0.001"]
    result = cli(["dedupe", source, "-o", tmp_path / "first.csv", "--review", review, "--json", *flags])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["review"] == str(review) and summary["review_pairs"] >= 1 and summary["labelled_pairs"] == 0
    pairs = pl.read_csv(review, infer_schema=False)
    assert pairs.columns[:6] == ["left_file", "left_row", "right_file", "right_row", "probability", "label"]
    weber = pairs.filter((pl.col("left_row") == "1") & (pl.col("right_row") == "2"))
    assert weber["left_email"].to_list() == ["m.weber@firma.de"] and weber["right_email"].to_list() == ["maria.w@web.de"]
    assert "uncertain pair(s) to review" in result.stderr
    assert pl.read_csv(tmp_path / "first.csv").height == summary["rows_out"]

    # A person says: one person. Passed back, the pair is merged and the run says so.
    labelled = tmp_path / "labelled.csv"
    pairs.with_columns(pl.when((pl.col("left_row") == "1") & (pl.col("right_row") == "2")).then(pl.lit("match")).alias("label")).write_csv(labelled)
    second = cli(["dedupe", source, "-o", tmp_path / "second.csv", "--labels", labelled, "--json", *flags])
    assert second.exit_code == 0, second.stderr
    assert json.loads(second.stdout)["labelled_pairs"] == 1 and json.loads(second.stdout)["rows_out"] == summary["rows_out"] - 1
    assert json.loads(second.stdout)["matches_by_rule"].get("labelled_match") == 1
    assert json.loads(second.stdout)["labels_unmatched"] == 0 and "not used" not in second.stderr
    golden = pl.read_csv(tmp_path / "second.csv", infer_schema=False)
    assert "marked as one person in --labels" in golden.filter(pl.col("merged_rows") == "2")["merge_reason"][0]


def test_a_label_that_is_neither_yes_nor_no_is_an_error_naming_file_line_and_column(cli, tmp_path):
    source, labels = _review_list(tmp_path), tmp_path / "labels.csv"
    labels.write_text("left_file,left_row,right_file,right_row,label\nlist.csv,1,list.csv,2,match\nlist.csv,1,list.csv,3,perhaps\n")
    result = cli(["dedupe", source, "-o", tmp_path / "out.csv", "--labels", labels])
    assert result.exit_code == 2
    assert f"{labels}:3 (column 'label'): label 'perhaps' is neither a match nor a no match" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out.csv").exists()
    labels.write_text("a,b\n1,2\n")
    missing = cli(["dedupe", source, "-o", tmp_path / "out.csv", "--labels", labels])
    assert missing.exit_code == 2 and "has no left_file, left_row, right_file, right_row, label columns" in missing.stderr


def test_review_and_labels_need_the_probabilistic_match(cli, tmp_path):
    result = cli(["dedupe", PEOPLE, "-o", tmp_path / "out.csv", "--match", "exact", "--review", tmp_path / "review.csv"])
    assert result.exit_code == 2 and "--review needs --match fuzzy" in result.stderr
    bad = cli(["dedupe", PEOPLE, "-o", tmp_path / "out.csv", "--review-threshold", "0.95", "--threshold", "0.9"])
    assert bad.exit_code == 2 and "--review-threshold (0.95) must not be above --threshold (0.9)" in bad.stderr


def test_labels_naming_rows_this_input_does_not_have_are_reported(cli, tmp_path):
    source, labels = _review_list(tmp_path), tmp_path / "labels.csv"
    labels.write_text(f"left_file,left_row,right_file,right_row,label\n{source},1,{source},2,match\nold/list.csv,1,old/list.csv,2,no\n")
    result = cli(["dedupe", source, "-o", tmp_path / "out.csv", "--labels", labels, "--json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["labelled_pairs"], summary["labels_unmatched"]) == (2, 1)
    assert "1 labelled pair(s) name a row this input does not have" in result.stderr


def test_against_a_parquet_master_with_birth_dates_read_with_an_import_option(cli, tmp_path):
    # The master's birth_date is a typed date column: read again with --default-country (which
    # re-standardises), its dates must not be sent to the text date-order inference.
    master_csv, new = tmp_path / "master.csv", tmp_path / "new.csv"
    master_csv.write_text("Email,First Name,Last Name,Date of Birth\nanna@firma.pl,Anna,Nowak,19800102\njan@firma.pl,Jan,Kowal,19750304\n")
    new.write_text("Email,First Name,Last Name,Date of Birth\nanna@firma.pl,Anna,Nowak,19800102\nola@firma.pl,Ola,Lis,19900506\n")
    assert cli(["dedupe", master_csv, "-o", tmp_path / "master.parquet", "--default-country", "AU"]).exit_code == 0
    result = cli(["dedupe", new, "--against", tmp_path / "master.parquet", "-o", tmp_path / "next.parquet", "--default-country", "AU", "--json"])
    assert result.exit_code == 0, result.stderr
    assert (json.loads(result.stdout)["matched_existing"], json.loads(result.stdout)["new_clusters"]) == (1, 1)
    updated = pl.read_parquet(tmp_path / "next.parquet")
    assert updated.schema["birth_date"] == pl.Date and sorted(updated["birth_date"].cast(pl.String).to_list()) == ["1975-03-04", "1980-01-02", "1990-05-06"]


def test_labels_with_a_missing_row_or_two_answers_for_one_pair_are_refused_clearly(cli, tmp_path):
    source, labels = _review_list(tmp_path), tmp_path / "labels.csv"
    labels.write_text(f"left_file,left_row,right_file,right_row,label\n{source},,{source},2,match\n")
    result = cli(["dedupe", source, "-o", tmp_path / "out.csv", "--labels", labels])
    assert result.exit_code == 2 and f"{labels}:2 (column 'left_row'): a labelled pair has no valid left_row" in result.stderr
    labels.write_text(f"left_file,left_row,right_file,right_row,label\n{source},1,{source},2,match\n{source},2,{source},1.0,no\n")
    torn = cli(["dedupe", source, "-o", tmp_path / "out.csv", "--labels", labels])
    assert torn.exit_code == 2 and "is labelled both match and no match" in torn.stderr and "Traceback" not in torn.stderr
    # A spreadsheet's guard on a file name (' before =) and a row number written 2.0 still name the rows.
    labels.write_text(f"left_file,left_row,right_file,right_row,label\n'{source},1.0,{source},2,match\n")
    ok = cli(["dedupe", source, "-o", tmp_path / "out.csv", "--labels", labels, "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["labels_unmatched"] == 1  # ' before a letter is part of the name


def test_a_saved_model_is_reused_by_the_nightly_run_and_scores_alike(cli, tmp_path):
    source, model = _review_list(tmp_path), tmp_path / "model.json"
    first = cli(["dedupe", source, "-o", tmp_path / "master.parquet", "--save-model", model, "--explain", tmp_path / "a.csv", "--json"])
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["saved_model"] == str(model) and json.loads(model.read_text())["format"] == "listclean.linkage-model/1"
    again = cli(["dedupe", source, "-o", tmp_path / "again.parquet", "--model", model, "--explain", tmp_path / "b.csv", "--json"])
    assert again.exit_code == 0, again.stderr
    # The same weights, read back: the same pairs, probabilities and golden records.
    assert json.loads(again.stdout)["model"] == json.loads(first.stdout)["model"]
    assert pl.read_csv(tmp_path / "a.csv").equals(pl.read_csv(tmp_path / "b.csv"))
    assert pl.read_parquet(tmp_path / "master.parquet").equals(pl.read_parquet(tmp_path / "again.parquet"))
    # Written again only with --force; a file that is not a model is refused by name.
    refused = cli(["dedupe", source, "-o", tmp_path / "x.parquet", "--save-model", model])
    assert refused.exit_code == 3 and "model.json" in refused.stderr
    (tmp_path / "bad.json").write_text('{"format": "something else"}')
    bad = cli(["dedupe", source, "-o", tmp_path / "y.parquet", "--model", tmp_path / "bad.json"])
    assert bad.exit_code == 2 and "bad.json: is not a model listclean can use" in bad.stderr and "Traceback" not in bad.stderr


def test_a_saved_model_is_the_same_file_for_the_same_list(cli, tmp_path):
    # Same input, same output, byte for byte: the weights' term-frequency tables are written in
    # value order (they came in hash-table order, different on every run).
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
    from people import generate_people

    source = tmp_path / "people.csv"
    generate_people(600, seed=8).drop("person_id").write_csv(source)
    models = [tmp_path / f"model-{run}.json" for run in range(3)]
    for run, model in enumerate(models):
        result = cli(["dedupe", source, "-o", tmp_path / f"golden-{run}.parquet", "--save-model", model])
        assert result.exit_code == 0, result.stderr
    assert models[0].read_bytes() == models[1].read_bytes() == models[2].read_bytes()
    assert json.loads(models[0].read_text())["frequencies"]["first"]["values"] == sorted(json.loads(models[0].read_text())["frequencies"]["first"]["values"])
