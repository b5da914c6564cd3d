"""The validate step: every row gets an email verdict, its reasons and, where useful, a suggestion.

Adds `email_normalized`, `email_status` (suppressed · invalid · risky · unknown · valid),
`email_reasons` (stable codes, see reasons.py), `email_suggestion`, and `email_alternates`
when a cell held several addresses. Rows are never removed here.

The work is organised so per-row Python never happens: the cell is repaired with Polars
expressions; syntax is judged once per distinct address (mostly vectorised, see syntax.py);
domain facts (lists, TLD, typos, look-alikes, DNS) once per distinct domain; role
mailboxes, consent and suppression are vectorised look-ups. Results are joined back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from listclean import schema
from listclean.email import reasons as R
from listclean.email.lists import (
    RESERVED_DOMAINS,
    ROLE_GENERIC,
    ROLE_NO_REPLY,
    ROLE_REGION_SUFFIX,
    ROLE_STANDARD,
    disposable_domains,
    in_list,
    known_domains,
    providers,
    public_suffixes,
)

if TYPE_CHECKING:
    import polars as pl

    from listclean.email.dns import DnsChecker
    from listclean.suppression import SuppressionList

OUTPUT_COLUMNS = ("email_normalized", "email_status", "email_reasons", "email_suggestion")


@dataclass
class ValidateOptions:
    fix_typos: bool = False
    suppression: SuppressionList | None = None
    dns: DnsChecker | None = None


@dataclass
class ValidationReport:
    rows: int
    by_status: dict[str, int]
    by_reason: dict[str, int]
    domain_counts: pl.DataFrame  # ascii_domain, len: every domain (the top ten are shown)
    typo_counts: pl.DataFrame  # typed_domain, suggested_domain, len
    distinct_addresses: int  # judged once each (per chunk when streamed, per half of a chunk judged in two halves)
    decided_fast: int
    typos_fixed: int
    dns: dict[str, Any] = field(default_factory=dict)

    @property
    def top_domains(self) -> list[tuple[str, int]]:
        top = self.domain_counts.sort(["len", "ascii_domain"], descending=[True, False]).head(10)
        return [(domain, count) for domain, count in top.rows()]

    @property
    def top_typos(self) -> list[tuple[str, str, int]]:
        top = self.typo_counts.sort(["len", "typed_domain"], descending=[True, False]).head(10)
        return [(typed, suggested, count) for typed, suggested, count in top.rows()]

    @classmethod
    def combined(cls, reports: list[ValidationReport]) -> ValidationReport:
        """The report of a file validated a chunk at a time: the chunks' reports summed."""
        import polars as pl

        if len(reports) == 1:
            return reports[0]
        by_reason: Counter[str] = Counter()
        for report in reports:
            by_reason.update(report.by_reason)

        def summed(frames: list[pl.DataFrame], keys: list[str]) -> pl.DataFrame:
            return pl.concat(frames).group_by(keys, maintain_order=True).agg(pl.col("len").sum())

        return cls(
            rows=sum(r.rows for r in reports),
            by_status={status: sum(r.by_status.get(status, 0) for r in reports) for status in R.STATUS_ORDER},
            by_reason=dict(sorted(by_reason.items(), key=lambda item: (-item[1], item[0]))),
            domain_counts=summed([r.domain_counts for r in reports], ["ascii_domain"]),
            typo_counts=summed([r.typo_counts for r in reports], ["typed_domain", "suggested_domain"]),
            distinct_addresses=sum(r.distinct_addresses for r in reports),
            decided_fast=sum(r.decided_fast for r in reports),
            typos_fixed=sum(r.typos_fixed for r in reports),
            dns=reports[-1].dns,  # the checker's running totals
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "by_status": self.by_status,
            "by_reason": self.by_reason,
            "top_domains": [{"domain": d, "rows": n} for d, n in self.top_domains],
            "top_typos": [{"typed": t, "suggested": s, "rows": n} for t, s, n in self.top_typos],
            "distinct_addresses": self.distinct_addresses,
            "decided_without_email_validator": self.decided_fast,
            "typos_fixed": self.typos_fixed,
            **({"dns": self.dns} if self.dns else {}),
        }


# --------------------------------------------------------------------------- per distinct domain


def _domain_facts(domain: str, unicode_domain: str | None, imitable: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Reason codes that follow from the (valid, lower-case ASCII) domain alone; `imitable` holds
    the domains a look-alike may imitate (providers, known real domains, the list's own domains)."""
    from listclean.email.scripts import imitated, is_mixed

    found: list[str] = []
    tld = domain.rsplit(".", 1)[-1]
    if domain in RESERVED_DOMAINS or any(domain.endswith("." + name) for name in RESERVED_DOMAINS) or tld == "example":
        found.append("reserved_domain")
    elif tld not in public_suffixes().tlds:
        found.append("unknown_tld")
    known = providers()
    if unicode_domain and unicode_domain != domain:
        if imitated(unicode_domain, imitable or _imitable()):
            found.append("lookalike_domain")
        elif any(is_mixed(label) for label in unicode_domain.split(".")):
            found.append("mixed_script")
    if in_list(domain, disposable_domains()):
        found.append("disposable")
    if in_list(domain, known.relay):
        found.append("privacy_relay")
    elif domain in known.free:
        found.append("free_mail")
    return found


def _imitable() -> frozenset[str]:
    return providers().known | known_domains()


def _domain_table(domains: pl.DataFrame, dns: DnsChecker | None) -> pl.DataFrame:
    import polars as pl

    rows = domains.rows()
    # A look-alike imitates a provider, a known real domain, or a plain domain of the list itself.
    imitable = _imitable() | {domain for domain, unicode_domain in rows if domain == unicode_domain}
    facts = [_domain_facts(domain, unicode_domain, imitable) for domain, unicode_domain in rows]
    if dns is not None:
        lookups = dns.check([domain for (domain, _), found in zip(rows, facts) if "reserved_domain" not in found and "unknown_tld" not in found])
        facts = [found + ([lookups[domain]] if lookups.get(domain) else []) for (domain, _), found in zip(rows, facts)]
    rank = R.severity_rank()
    return pl.DataFrame(
        {
            "ascii_domain": [domain for domain, _ in rows],
            "domain_reasons": facts,
            "__domain_text": [",".join(found) if found else None for found in facts],
            "domain_rank": [min((rank[code] for code in found), default=None) for found in facts],
        },
        schema={"ascii_domain": pl.String, "domain_reasons": pl.List(pl.String), "__domain_text": pl.String, "domain_rank": pl.Int8},
    )


def _typo_table(domains: list[str]) -> pl.DataFrame:
    import polars as pl

    from listclean.email.scripts import imitated
    from listclean.email.typos import Suggestion, suggest

    imitable = _imitable() | {domain for domain in domains if domain.isascii()}
    typed, suggested, confident = [], [], []
    for domain in domains:
        if domain.isascii():
            suggestion = suggest(domain)
        else:
            # A look-alike of a known domain may be a spoof rather than a slip: suggested, never fixed.
            plain = imitated(domain, imitable)
            suggestion = Suggestion(plain, confident=False) if plain else None
        if suggestion is not None:
            typed.append(domain)
            suggested.append(suggestion.domain)
            confident.append(suggestion.confident)
    return pl.DataFrame(
        {"typed_domain": typed, "suggested_domain": suggested, "confident": confident},
        schema={"typed_domain": pl.String, "suggested_domain": pl.String, "confident": pl.Boolean},
    )


def _mixed_script_locals(locals_: pl.Series) -> pl.DataFrame:
    """The distinct local parts that mix scripts (scripts.is_mixed), found without a Python call
    per local part: each distinct non-ASCII character's script is asked once, the parts holding
    letters of two or more scripts are found with one regex per script, and only those few are
    put to is_mixed (which allows some mixes, such as Han with kana)."""
    import polars as pl

    from listclean.email.scripts import _script, is_mixed

    parts = locals_.cast(pl.String).drop_nulls().unique()
    by_script: dict[str, list[str]] = {"LATIN": []}
    for char in parts.str.extract_all(r"[^\x00-\x7F]").explode().drop_nulls().unique().to_list():
        if script := _script(char):
            by_script.setdefault(script, []).append(char)
    letters = {script: "".join(f"\\x{{{ord(c):X}}}" for c in sorted(chars)) for script, chars in by_script.items()}
    letters["LATIN"] += "A-Za-z"
    count = pl.sum_horizontal([pl.col("part").str.contains(f"[{chars}]").cast(pl.Int8) for chars in letters.values()])
    several = pl.DataFrame({"part": parts}).filter(count > 1)["part"]
    flagged = [local for local in several.to_list() if is_mixed(local)]
    return pl.DataFrame({"local_part": flagged, "mixed_local": [True] * len(flagged)}, schema={"local_part": pl.String, "mixed_local": pl.Boolean})


# --------------------------------------------------------------------------- the step


def _email_cell(frame: pl.DataFrame) -> pl.Expr:
    """What was typed: the import step keeps it in email_raw when it had to clean the cell."""
    import polars as pl

    if "email" not in frame.columns:
        return pl.lit(None, dtype=pl.String)
    email = pl.col("email").cast(pl.String)
    return pl.coalesce(pl.col("email_raw").cast(pl.String), email) if "email_raw" in frame.columns else email


def _split_reasons(text: pl.Expr) -> pl.Expr:
    import polars as pl

    return pl.when(text.str.len_bytes() > 0).then(text.str.split(",")).otherwise(pl.lit([], dtype=pl.List(pl.String)))


def _status_of_reasons(text: pl.Expr) -> pl.Expr:
    """The status of a row from its reasons text: the most severe of its codes' severities (a code
    listclean does not know counts as a syntax error), valid when there is none."""
    import polars as pl

    rank = R.severity_rank()
    ranks = text.str.split(",").list.eval(
        pl.when(pl.element().str.len_bytes() > 0).then(pl.element().replace_strict(rank, default=rank["syntax"], return_dtype=pl.Int8))
    )
    worst = ranks.list.min().fill_null(len(R.STATUS_ORDER) - 1)
    return worst.replace_strict(list(range(len(R.STATUS_ORDER))), list(R.STATUS_ORDER), return_dtype=pl.String)


def _role_reasons(local: pl.Expr) -> pl.Expr:
    import polars as pl

    mailbox = _mailbox(local)
    key = mailbox.str.replace_all(r"[._\-]", "")
    # info-de, sales_uk: the role without its country or region.
    base = mailbox.str.replace(ROLE_REGION_SUFFIX, "").str.replace_all(r"[._\-]", "")
    # Initials (h.r, i.t, j-p) are a person's, even when they spell a role.
    initials = mailbox.str.contains(r"^[a-z0-9](?:[._\-][a-z0-9])+$")
    # One look-up each (the keys are evaluated once; eager frames do not share repeated sub-expressions).
    found = pl.coalesce(key.replace_strict(_ROLE_CODES, default=None, return_dtype=pl.String), base.replace_strict(_ROLE_CODES, default=None, return_dtype=pl.String))
    return pl.when(~initials).then(found)


def _mailbox(local: pl.Expr) -> pl.Expr:
    return local.str.to_lowercase().str.replace(r"\+.*$", "")


_ROLE_CODES = {name: "role_generic" for name in ROLE_GENERIC} | {name: "role_standard" for name in ROLE_STANDARD} | {name: "role_no_reply" for name in ROLE_NO_REPLY}


def _role_table(local_parts: pl.Series) -> pl.DataFrame:
    """(local_part, __role), once per local part, for the local parts that are role mailboxes. A role's key,
    or its key without a region suffix, is a prefix of the part's key (lower-cased, +tag and
    separators removed), so only the parts whose key starts with a role name are looked at closely."""
    import polars as pl

    parts = pl.DataFrame({"local_part": local_parts.cast(pl.String)}).drop_nulls()
    starts = "^(?:" + "|".join(sorted(_ROLE_CODES, key=lambda name: (-len(name), name))) + ")"
    candidates = parts.filter(_mailbox(pl.col("local_part")).str.replace_all(r"[._\-]", "").str.contains(starts))
    found = candidates.select("local_part", _role_reasons(pl.col("local_part")).alias("__role")).drop_nulls("__role")
    return found.unique("local_part", keep="first")


# Above this many rows a frame is judged as two halves in two threads: Polars works a column
# on one core, and the halves' work (all in Polars, without the GIL) runs side by side.
_HALVES_FROM = 200_000


def with_alternates(frame: pl.DataFrame) -> pl.DataFrame:
    """`email_alternates` as empty lists where validate left it out (no multi-address cell), in
    the place validate puts it: for a chunk or half written beside others that have some."""
    import polars as pl

    if "email_alternates" in frame.columns:
        return frame
    added = frame.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("email_alternates"))
    return added.select(schema.column_order(added.columns))


def validate(
    frame: pl.DataFrame,
    options: ValidateOptions | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[pl.DataFrame, ValidationReport]:
    """Judge every row's address; return the frame with the email_* columns and a report.

    A large frame is judged as two halves at once (not with a DNS checker: its resolver and
    cache are shared); an address in both halves is then judged, and counted, twice.
    """
    from concurrent.futures import ThreadPoolExecutor

    import polars as pl

    options = options or ValidateOptions()
    if options.dns is not None or frame.height < _HALVES_FROM:
        return _judge(frame, options, progress)
    if progress is not None:
        progress("judging two halves side by side")
    half = frame.height // 2
    with ThreadPoolExecutor(2, thread_name_prefix="listclean-validate") as pool:
        parts = list(pool.map(lambda rows: _judge(rows, options, None), [frame.slice(0, half), frame.slice(half)]))
    frames = [judged for judged, _ in parts]
    if any("email_alternates" in judged.columns for judged in frames):  # kept when either half has some
        frames = [with_alternates(judged) for judged in frames]
    return pl.concat(frames, how="vertical_relaxed"), ValidationReport.combined([report for _, report in parts])


def _judge(frame: pl.DataFrame, options: ValidateOptions, progress: Callable[[str], None] | None) -> tuple[pl.DataFrame, ValidationReport]:
    import polars as pl

    from listclean.email.repair import repair
    from listclean.email.syntax import judge_syntax, local_and_domain

    say = progress or (lambda message: None)
    previous = [c for c in (*OUTPUT_COLUMNS, "email_alternates") if c in frame.columns]
    kept = frame.drop(previous)
    # The judging works on the few columns it reads: every join below copies the whole frame,
    # and a contact list is thirty columns wide. The answers are put beside the rows at the end.
    work = frame.select(c for c in ("email", "email_raw", "consent_status") if c in frame.columns)

    cells = repair(frame, _email_cell(frame)).select(
        pl.col("address").alias("__addr"), pl.col("repairs").alias("__repairs"), pl.col("alternates").alias("email_alternates")
    )
    # The domain as typed (after the last @, as local_and_domain reads it); its local part is
    # only needed where a typo is suggested, so it is split off there alone.
    typed_domain = cells["__addr"].str.extract(r"@([^@]*)$", 1).str.to_lowercase().alias("__typed_domain")
    work = pl.concat([work, cells, typed_domain.to_frame()], how="horizontal")

    # Typos are looked for in what was typed, valid or not ("gmailcom" is invalid and obviously gmail.com).
    say("looking for domain typos")
    typed_domains = work.select(pl.col("__typed_domain").drop_nulls().unique()).to_series().sort().to_list()
    typos = _typo_table(typed_domains)
    # Every join keeps the rows' order (no re-sort of a million rows at the end).
    work = work.join(typos, left_on="__typed_domain", right_on="typed_domain", how="left", maintain_order="left")
    # A suggestion is only made when it is itself a valid address (judged once per distinct suggestion).
    offered_at = work["suggested_domain"].is_not_null().arg_true()
    typed_local = pl.repeat(None, work.height, dtype=pl.String, eager=True).scatter(
        offered_at, local_and_domain(work["__addr"].gather(offered_at))["local"]
    )
    work = work.with_columns(pl.concat_str(typed_local, pl.lit("@"), pl.col("suggested_domain")).alias("__suggested"))
    offered = work["__suggested"].drop_nulls().unique()
    valid_offers = judge_syntax(offered).filter(pl.col("syntax_ok"))["address"] if offered.len() else offered
    suggestion = pl.when(pl.col("__suggested").is_in(valid_offers.implode())).then(pl.col("__suggested"))
    fixed = pl.col("confident").fill_null(False) & pl.lit(options.fix_typos) & suggestion.is_not_null()
    work = work.with_columns(
        pl.when(fixed).then(suggestion).otherwise(pl.col("__addr")).alias("__judged"),
        fixed.alias("__fixed"),
        pl.when(~fixed).then(suggestion).alias("email_suggestion"),
    )

    say("checking syntax")
    syntax = judge_syntax(work["__judged"])
    decided_fast = int(syntax["fast"].sum())
    work = _with_verdicts(work, syntax)

    say("checking domains")
    domains = (
        syntax.filter(pl.col("syntax_ok"))
        .unique(subset="ascii_domain", keep="first")
        .select(pl.col("ascii_domain"), pl.col("normalized").str.extract(r"@([^@]*)$", 1).alias("unicode_domain"))
        .sort("ascii_domain")
    )
    work = work.join(_domain_table(domains, options.dns), on="ascii_domain", how="left", maintain_order="left")

    non_ascii_locals = work.select(pl.col("local_part").filter(~pl.col("local_part").str.contains(r"^[\x00-\x7f]*$")).unique()).to_series()
    mixed = _mixed_script_locals(non_ascii_locals.drop_nulls())
    if mixed.height:
        work = work.join(mixed, on="local_part", how="left", maintain_order="left")
    else:
        work = work.with_columns(pl.lit(None, dtype=pl.Boolean).alias("mixed_local"))

    consent = pl.col("consent_status").cast(pl.String) if "consent_status" in work.columns else pl.lit(None, dtype=pl.String)
    suppressed = pl.lit(False)
    if options.suppression is not None:
        # Either form matching suppresses: what was typed (repaired) and what was judged (normalised, maybe typo-fixed).
        suppressed = options.suppression.matches(work, pl.col("__addr"), pl.coalesce(pl.col("normalized"), pl.col("__judged")))
    roles = _role_table(syntax.filter(pl.col("syntax_ok"))["local_part"])
    work = work.join(roles, on="local_part", how="left", maintain_order="left").with_columns(
        pl.when(pl.col("syntax_ok").fill_null(False)).then(pl.col("__role")).alias("__role"),
        pl.when(consent.is_in(sorted(schema.SUPPRESSING_STATUSES)))
        .then(consent)
        .when(consent == "pending")
        .then(pl.lit("consent_pending"))
        .alias("__consent"),
        suppressed.alias("__suppressed"),
    )

    # Each reason is a nullable text column, in a fixed order, joined into one text per row; the
    # reasons list and the status (the worst severity among the codes) are read from that text once
    # per distinct text (a few hundred), not per row.
    def when(condition: pl.Expr, code: str) -> pl.Expr:
        return pl.when(condition).then(pl.lit(code))

    codes = [
        pl.when(pl.col("__repairs").list.len() > 0).then(pl.col("__repairs").list.join(",")),
        when(pl.col("__addr").is_null(), "missing"),
        when(pl.col("__fixed"), "typo_fixed"),
        pl.col("syntax_reason"),
        pl.when(pl.col("__domain_text").str.len_bytes() > 0).then(pl.col("__domain_text")),
        when(pl.col("email_suggestion").is_not_null(), "domain_typo"),
        when(pl.col("mixed_local").fill_null(False) & ~pl.col("__domain_text").fill_null("").str.contains("mixed_script"), "mixed_script"),
        pl.col("__role"),
        pl.col("__consent"),
        when(pl.col("__suppressed"), "suppression_list"),
    ]
    from listclean.standardize import on_distinct, series_function

    work = work.with_columns(pl.concat_str(codes, separator=",", ignore_nulls=True).alias("__reasons_text"))
    work = work.with_columns(
        on_distinct(pl.col("__reasons_text"), series_function(_split_reasons), pl.List(pl.String)).alias("email_reasons"),
        on_distinct(pl.col("__reasons_text"), series_function(_status_of_reasons), pl.String).alias("email_status"),
        pl.col("normalized").alias("email_normalized"),
    )

    report = _report(work, typos, decided_fast, syntax.height, options)
    keep_alternates = bool(work["email_alternates"].list.len().sum())
    added = [*OUTPUT_COLUMNS, *(["email_alternates"] if keep_alternates else [])]
    out = _beside(kept, work.select(added))
    return out.select(schema.column_order(out.columns)), report


def _with_verdicts(work: pl.DataFrame, syntax: pl.DataFrame) -> pl.DataFrame:
    """Each row's syntax verdict (judge_syntax's row for its `__judged` address) beside it. When
    every address occurs once — a deduplicated list, most exports — the verdicts, in the order
    the addresses first occur, are the rows' own: put beside them (scattered past empty cells)
    instead of joined, which cost more than judging the plain addresses."""
    import polars as pl

    judged = work["__judged"]
    present = judged.is_not_null()
    verdicts = syntax.drop("address")
    if syntax.height != judged.len() - judged.null_count():
        return work.join(syntax, left_on="__judged", right_on="address", how="left", maintain_order="left")
    if judged.null_count():
        at = present.arg_true()
        verdicts = pl.DataFrame(
            [pl.repeat(None, work.height, dtype=column.dtype, eager=True).scatter(at, column).alias(column.name) for column in verdicts.iter_columns()]
        )
    return pl.concat([work, verdicts], how="horizontal")


def _beside(frame: pl.DataFrame, added: pl.DataFrame) -> pl.DataFrame:
    """`added`'s columns beside `frame`'s, cut into `frame`'s pieces. A chunk read from Parquet
    comes in pieces (its row groups); columns in other pieces beside them make Polars copy every
    column into one piece at the next operation (60 ms for a 250,000-row chunk of a contact list),
    where cutting the few new columns (views, no copy) costs nothing."""
    import polars as pl

    lengths = frame.to_series(0).chunk_lengths() if frame.width else []
    if len(lengths) > 1:
        whole = added.rechunk()
        starts = [sum(lengths[:index]) for index in range(len(lengths))]
        added = pl.concat([whole.slice(start, length) for start, length in zip(starts, lengths)], rechunk=False)
    return pl.concat([frame, added], how="horizontal")


def _report(work: pl.DataFrame, typos: pl.DataFrame, decided_fast: int, distinct: int, options: ValidateOptions) -> ValidationReport:
    import polars as pl

    by_status = dict(work.group_by("email_status").len().sort(["len", "email_status"], descending=[True, False]).iter_rows())
    by_status = {status: by_status.get(status, 0) for status in R.STATUS_ORDER}
    # Count the few distinct combinations of reasons, then spread them: exploding a million lists is slow.
    combinations = work.group_by(pl.col("__reasons_text").fill_null("").alias("combination")).len()
    counter: Counter[str] = Counter()
    for combination, count in combinations.iter_rows():
        for code in filter(None, combination.split(",")):
            counter[code] += count
    by_reason = dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))
    domain_counts = work.select("ascii_domain").filter(pl.col("ascii_domain").is_not_null()).group_by("ascii_domain").len()
    typo_counts = (
        work.select(pl.col("__typed_domain").alias("typed_domain"), "suggested_domain")
        .filter(pl.col("suggested_domain").is_not_null())
        .group_by("typed_domain", "suggested_domain")
        .len()
    )
    return ValidationReport(
        rows=work.height,
        by_status=by_status,
        by_reason=by_reason,
        domain_counts=domain_counts.with_columns(pl.col("len").cast(pl.Int64)),
        typo_counts=typo_counts.with_columns(pl.col("len").cast(pl.Int64)),
        distinct_addresses=distinct,
        decided_fast=decided_fast,
        typos_fixed=int(work["__fixed"].sum()),
        dns=options.dns.stats() if options.dns is not None else {},
    )
