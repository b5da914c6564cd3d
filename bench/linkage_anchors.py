"""The record-linkage anchors of bench/bench_linkage.py, each run as its own child process:

    python bench/linkage_anchors.py splink|recordlinkage febrl3|febrl4|names CLUSTERS.csv INPUT.parquet [INPUT_B.parquet]
    python bench/linkage_anchors.py splink people CLUSTERS.csv EXPORT.csv

writes `rec_id,cluster_id` for every input record to CLUSTERS.csv.

Splink 4 (DuckDB) uses the settings of its documented examples (docs/demos/examples/duckdb/
febrl3.ipynb and febrl4.ipynb, the "detailed" model of the latter), with these changes only:
  - no soc_sec_id anywhere (a subscriber list has no such column): its comparison, its blocking
    rule and its deterministic rule are dropped;
  - when the data has emails: `cl.EmailComparison("email")` is added, and `block_on("email")`
    to the prediction blocking rules (else an email could never bring two records together);
  - the u sampling gets a fixed seed (the run is reproducible);
  - FEBRL 3's example predicts at 0.2 and does not cluster: its records are clustered at 0.9.
    FEBRL 4's example clusters at 0.99, as here.
The "common names" list (names and emails only) has no documented example: the same recipe on
the columns it has (NameComparison on both names, EmailComparison; blocking on the full name and
on the email; names and emails lowercased first, as its documentation advises to clean inputs).

The people file (bench/people.py's generator; the speed comparison, Splink only) is read from the
very contact-export CSV listclean reads (First Name, Last Name, Email, Phone, Postcode, City). It has
no documented example either; the setup follows the documentation's usual recipe for names + email
+ phone + postcode + city: names and emails lowercased; NameComparison on both names and ExactMatch
on postcode and city, all with term-frequency adjustments; EmailComparison; ExactMatch on phone;
prediction blocking on the email, the surname with the given name's initial, the postcode with the
given name, and the phone; the prior from an exact email match (recall 0.7); u from
estimate_u_using_random_sampling(max_pairs=1e6); EM sessions blocked on the full name and on the
email; predict at 0.9 and cluster at 0.9.

recordlinkage follows its FEBRL 3 example (examples/dedup_deterministic.py: blocks on given name
and on surname, its seven comparisons) minus soc_sec_id, with an email comparison added when there
are emails, classified by its unsupervised `ECMClassifier` (the examples' ECM), links joined
transitively into clusters. FEBRL 4 is linked 4a to 4b with the same index and comparisons.
"""

from __future__ import annotations

import json
import sys
import time

import pandas as pd


PEOPLE_COLUMNS = {"rec_id": "rec_id", "First Name": "given_name", "Last Name": "surname", "Email": "email", "Phone": "phone", "Postcode": "postcode", "City": "city"}


def _read(path: str) -> pd.DataFrame:
    import polars as pl

    if path.endswith(".csv"):  # the people export, as listclean reads it
        frame = pl.read_csv(path, infer_schema=False).select([pl.col(k).alias(v) for k, v in PEOPLE_COLUMNS.items()])
    else:
        frame = pl.read_parquet(path)
    return pd.DataFrame({c: frame[c].to_list() for c in frame.columns}).astype(object).where(lambda f: f.notna(), None)


def _prepare_names(frame: pd.DataFrame) -> pd.DataFrame:
    for column in ("given_name", "surname", "email"):
        frame[column] = frame[column].map(lambda v: v.lower() if isinstance(v, str) else v)
    return frame


def splink(kind: str, tables: list[pd.DataFrame]) -> pd.DataFrame:
    import logging

    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.WARNING)
    has_email = "email" in tables[0].columns
    email = [cl.EmailComparison("email")] if has_email else []
    email_block = [block_on("email")] if has_email else []

    if kind == "febrl3":
        settings = SettingsCreator(
            unique_id_column_name="rec_id",
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=[
                block_on("given_name"), block_on("surname"), block_on("date_of_birth"), block_on("postcode"), *email_block
            ],
            comparisons=[
                cl.NameComparison("given_name"),
                cl.NameComparison("surname"),
                cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
                cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
                cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
                *email,
            ],
            retain_intermediate_calculation_columns=True,
        )  # fmt: skip
        linker = Linker(tables[0], settings, db_api=DuckDBAPI())
        linker.training.estimate_probability_two_random_records_match(
            [
                block_on("given_name", "surname", "date_of_birth"),
                "l.given_name = r.surname and l.surname = r.given_name and l.date_of_birth = r.date_of_birth",
            ],
            recall=0.9,
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
        predictions = linker.inference.predict(threshold_match_probability=0.2)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold_match_probability=0.9)
    elif kind == "febrl4":
        settings = SettingsCreator(
            unique_id_column_name="rec_id",
            link_type="link_only",
            blocking_rules_to_generate_predictions=[
                block_on("given_name", "surname"),
                "l.given_name = r.surname and l.surname = r.given_name",
                block_on("date_of_birth"),
                block_on("state", "address_1"),
                block_on("street_number", "address_1"),
                block_on("postcode"),
                *email_block,
            ],
            comparisons=[
                cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
                cl.NameComparison("surname").configure(term_frequency_adjustments=True),
                cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d", invalid_dates_as_null=True),
                cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
                cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
                *email,
            ],
            retain_intermediate_calculation_columns=True,
        )
        linker = Linker(tables, settings, db_api=DuckDBAPI(), input_table_aliases=["a", "b"])
        linker.training.estimate_probability_two_random_records_match([block_on("given_name", "surname", "date_of_birth")], recall=0.8)
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"), estimate_without_term_frequencies=True)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"), estimate_without_term_frequencies=True)
        predictions = linker.inference.predict(threshold_match_probability=0.2)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold_match_probability=0.99)
    elif kind == "people":  # the speed comparison (see the module docstring)
        table = _prepare_names(tables[0].copy())
        settings = SettingsCreator(
            unique_id_column_name="rec_id",
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=[
                block_on("email"),
                block_on("surname", "substr(given_name, 1, 1)"),
                block_on("postcode", "given_name"),
                block_on("phone"),
            ],
            comparisons=[
                cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
                cl.NameComparison("surname").configure(term_frequency_adjustments=True),
                cl.EmailComparison("email"),
                cl.ExactMatch("phone"),
                cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
                cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            ],
            retain_intermediate_calculation_columns=True,
        )
        linker = Linker(table, settings, db_api=DuckDBAPI())
        linker.training.estimate_probability_two_random_records_match([block_on("email")], recall=0.7)
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("email"))
        predictions = linker.inference.predict(threshold_match_probability=0.9)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold_match_probability=0.9)
    else:  # names: names and emails only (no documented example; the same recipe)
        table = _prepare_names(tables[0][["rec_id", "given_name", "surname", "email"]].copy())
        settings = SettingsCreator(
            unique_id_column_name="rec_id",
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=[block_on("given_name", "surname"), block_on("email")],
            comparisons=[cl.NameComparison("given_name"), cl.NameComparison("surname"), cl.EmailComparison("email")],
            retain_intermediate_calculation_columns=True,
        )
        linker = Linker(table, settings, db_api=DuckDBAPI())
        linker.training.estimate_probability_two_random_records_match([block_on("email")], recall=0.9)
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("email"))
        predictions = linker.inference.predict(threshold_match_probability=0.2)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold_match_probability=0.9)
    return clusters.as_pandas_dataframe()[["rec_id", "cluster_id"]]


def recordlinkage(kind: str, tables: list[pd.DataFrame]) -> pd.DataFrame:
    import recordlinkage as rl
    from recordlinkage.compare import Exact, String
    from recordlinkage.index import Block

    tables = [t.set_index("rec_id") for t in tables]
    has_email = "email" in tables[0].columns
    indexer = rl.Index()
    comparer = rl.Compare()
    if kind == "names":
        tables = [_prepare_names(t.copy()) for t in tables]
        indexer.add(Block(["given_name", "surname"]))
        indexer.add(Block("email"))
        comparer.add(Exact("given_name", "given_name", label="given_name"))
        comparer.add(Exact("surname", "surname", label="surname"))
        comparer.add(Exact("email", "email", label="email"))
        comparer.add(String("email", "email", method="jarowinkler", threshold=0.85, label="email_similar"))
    else:
        indexer.add(Block("given_name"))
        indexer.add(Block("surname"))
        comparer.add(Exact("given_name", "given_name", label="given_name"))
        comparer.add(String("surname", "surname", method="jarowinkler", threshold=0.85, label="surname"))
        comparer.add(Exact("date_of_birth", "date_of_birth", label="date_of_birth"))
        comparer.add(Exact("suburb", "suburb", label="suburb"))
        comparer.add(Exact("state", "state", label="state"))
        comparer.add(String("address_1", "address_1", threshold=0.85, label="address_1"))
        comparer.add(String("address_2", "address_2", threshold=0.85, label="address_2"))
        if has_email:
            comparer.add(String("email", "email", method="jarowinkler", threshold=0.85, label="email"))
    candidates = indexer.index(*tables)
    features = comparer.compute(candidates, *tables)
    links = rl.ECMClassifier().fit_predict(features)

    # Links joined transitively (union-find) into clusters.
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    for left, right in links:
        a, b = find(left), find(right)
        if a != b:
            parent[a] = b
    ids = [rid for t in tables for rid in t.index]
    return pd.DataFrame({"rec_id": ids, "cluster_id": [find(r) for r in ids]})


def main() -> None:
    tool, kind, out, *inputs = sys.argv[1:]
    start = time.perf_counter()
    tables = [_read(path) for path in inputs]
    clusters = (splink if tool == "splink" else recordlinkage)(kind, tables)
    clusters.to_csv(out, index=False)
    print(json.dumps({"seconds_in_process": time.perf_counter() - start}))


if __name__ == "__main__":
    main()
