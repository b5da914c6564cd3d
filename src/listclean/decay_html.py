"""The decay report as one self-contained HTML file: inline CSS and SVG, no script, no CDN.

Every chart is drawn from the report's JSON (`DecayReport.as_dict()`), so the HTML and the
JSON can never disagree. Works offline, prints on A4, and reads in light or dark mode.
"""

from __future__ import annotations

from html import escape
from typing import Any

COLOURS = {
    "mailable": "#2e7d32", "pending": "#7cb342", "risky": "#f9a825", "invalid": "#ef6c00",
    "bounced_or_cleaned": "#c62828", "unsubscribed": "#6a1b9a", "complained": "#ad1457", "suppressed_or_erased": "#37474f",
}  # fmt: skip
LABELS = {
    "mailable": "mailable", "pending": "pending", "risky": "risky", "invalid": "invalid",
    "bounced_or_cleaned": "bounced / cleaned", "unsubscribed": "unsubscribed", "complained": "complained",
    "suppressed_or_erased": "suppressed / erased",
}  # fmt: skip

CSS = """
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #5f6b76; --card: #f5f7f9; --line: #d0d7de; --accent: #1565c0; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9aa7b3; --card: #161b22; --line: #30363d; --accent: #58a6ff; } body { background: #0d1117; } }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); max-width: 1080px; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0; } h2 { font-size: 1.15rem; margin-top: 2.2rem; border-bottom: 1px solid var(--line); padding-bottom: .3rem; }
.sub { color: var(--muted); margin-top: .2rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: .8rem; margin-top: 1.2rem; }
.card { background: var(--card); border-radius: 8px; padding: .8rem 1rem; }
.card .value { font-size: 1.6rem; font-weight: 650; } .card .label { color: var(--muted); font-size: .85rem; }
.bad { color: #c62828; } .good { color: #2e7d32; } .unsure { color: #b26a00; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; } th, td { padding: .3rem .5rem; text-align: right; border-bottom: 1px solid var(--line); }
th:first-child, td:first-child { text-align: left; } th { color: var(--muted); font-weight: 600; }
svg text { fill: var(--fg); font-size: 11px; } svg .axis { stroke: var(--line); } svg .muted { fill: var(--muted); }
.legend span { display: inline-block; margin-right: 1rem; font-size: .85rem; } .legend i { display: inline-block; width: .8rem; height: .8rem; border-radius: 2px; margin-right: .3rem; vertical-align: -1px; }
.note { color: var(--muted); font-size: .85rem; }
@media print { body { margin: 0; } h2 { break-after: avoid; } svg, table { break-inside: avoid; } }
"""


def _pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f} %"


def _num(value: int | float | None) -> str:
    return "–" if value is None else f"{value:,}"


def _card(value: str, label: str, tone: str = "") -> str:
    return f'<div class="card"><div class="value {tone}">{escape(value)}</div><div class="label">{escape(label)}</div></div>'


def _status_bar(status: dict[str, int]) -> str:
    total = sum(status.values()) or 1
    x, parts, legend = 0.0, [], []
    for name, count in status.items():
        width = 1000 * count / total
        if count:
            parts.append(
                f'<rect x="{x:.1f}" y="0" width="{width:.1f}" height="34" fill="{COLOURS[name]}">'
                f"<title>{escape(LABELS[name])}: {count:,} ({100 * count / total:.1f} %)</title></rect>"
            )
        x += width
        legend.append(f'<span><i style="background:{COLOURS[name]}"></i>{escape(LABELS[name])} {count:,} ({100 * count / total:.1f} %)</span>')
    svg = f'<svg viewBox="0 0 1000 34" width="100%" role="img" aria-label="status mix">{"".join(parts)}</svg>'
    return svg + f'<div class="legend">{"".join(legend)}</div>'


def _bars(labels: list[str], values: list[int], colour: str, label: str) -> str:
    """Vertical bars with value labels."""
    height, width = 180, 1000
    top = max(values) or 1
    slot = width / max(len(values), 1)
    items = []
    for i, (name, value) in enumerate(zip(labels, values)):
        bar = (height - 40) * value / top
        x = i * slot + slot * 0.15
        y = height - 22 - bar
        items.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bar:.1f}" fill="{colour}" rx="2"><title>{escape(name)}: {value:,}</title></rect>'
            f'<text x="{x + slot * 0.35:.1f}" y="{y - 4:.1f}" text-anchor="middle">{value:,}</text>'
            f'<text x="{x + slot * 0.35:.1f}" y="{height - 6}" text-anchor="middle" class="muted">{escape(name)}</text>'
        )
    return f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{escape(label)}">{"".join(items)}</svg>'


def _growth(monthly: list[dict[str, Any]]) -> str:
    """Added above the axis, churned below, net as a dot per month."""
    height, width = 240, 1000
    churn = [row["unsubscribed"] + row["bounced"] + row["complained"] for row in monthly]
    added = [row["added"] for row in monthly]
    top = max([*added, *churn, 1])
    mid = height / 2
    scale = (mid - 24) / top
    slot = width / max(len(monthly), 1)
    items = [f'<line x1="0" x2="{width}" y1="{mid}" y2="{mid}" class="axis"/>']
    for i, row in enumerate(monthly):
        x = i * slot + slot * 0.2
        up, down = added[i] * scale, churn[i] * scale
        items.append(f'<rect x="{x:.1f}" y="{mid - up:.1f}" width="{slot * 0.6:.1f}" height="{up:.1f}" fill="#2e7d32" rx="2"><title>{row["month"]}: +{added[i]:,} added</title></rect>')
        items.append(f'<rect x="{x:.1f}" y="{mid:.1f}" width="{slot * 0.6:.1f}" height="{down:.1f}" fill="#c62828" rx="2"><title>{row["month"]}: -{churn[i]:,} unsubscribed, bounced or complained</title></rect>')
        net = row["net"]
        items.append(f'<text x="{x + slot * 0.3:.1f}" y="14" text-anchor="middle">{"+" if net > 0 else ""}{net:,}</text>')
        items.append(f'<text x="{x + slot * 0.3:.1f}" y="{height - 4}" text-anchor="middle" class="muted">{escape(row["month"])}</text>')
    legend = '<div class="legend"><span><i style="background:#2e7d32"></i>added</span><span><i style="background:#c62828"></i>unsubscribed + bounced + complained</span><span>numbers on top: net</span></div>'
    return f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="growth and churn by month">{"".join(items)}</svg>{legend}'


def _survival_curve(survival: dict[str, Any]) -> str:
    points = survival.get("curve") or []
    if not points:
        return '<p class="note">No signup dates: survival cannot be measured.</p>'
    height, width, left, bottom = 270, 1000, 40, 34
    horizon = max(points[-1][0], 1)
    sx = lambda day: left + (width - left - 10) * day / horizon  # noqa: E731
    sy = lambda s: 10 + (height - bottom - 10) * (1 - s)  # noqa: E731
    path = " ".join(f"{'M' if i == 0 else 'L'}{sx(day):.1f},{sy(s):.1f}" for i, (day, s) in enumerate(points))
    items = [
        f'<line x1="{left}" x2="{width}" y1="{sy(0):.1f}" y2="{sy(0):.1f}" class="axis"/>',
        f'<line x1="{left}" x2="{left}" y1="10" y2="{sy(0):.1f}" class="axis"/>',
        f'<line x1="{left}" x2="{width}" y1="{sy(0.5):.1f}" y2="{sy(0.5):.1f}" class="axis" stroke-dasharray="4 4"/>',
        f'<text x="{left - 6}" y="{sy(1) + 4:.1f}" text-anchor="end" class="muted">100%</text>',
        f'<text x="{left - 6}" y="{sy(0.5) + 4:.1f}" text-anchor="end" class="muted">50%</text>',
        f'<text x="{left - 6}" y="{sy(0) + 4:.1f}" text-anchor="end" class="muted">0%</text>',
        f'<path d="{path}" fill="none" stroke="var(--accent)" stroke-width="2.5"/>',
    ]
    # Ticks along the x axis at a round step (a year apart on long lists), labelled.
    tick = next(step for step in (30, 90, 180, 365, 730, 1825, 3650, 10**9) if horizon / step <= 10)
    for day in range(0, horizon + 1, tick):
        items.append(f'<line x1="{sx(day):.1f}" x2="{sx(day):.1f}" y1="{sy(0):.1f}" y2="{sy(0) + 4:.1f}" class="axis"/>')
        items.append(f'<text x="{sx(day):.1f}" y="{sy(0) + 15:.1f}" text-anchor="middle" class="muted">{day:,}</text>')
    # The 90/180/365-day markers, their labels stacked so they never overlap on a long horizon.
    for row, day in enumerate(day for day in (90, 180, 365) if day <= horizon):
        items.append(f'<line x1="{sx(day):.1f}" x2="{sx(day):.1f}" y1="10" y2="{sy(0):.1f}" class="axis" stroke-dasharray="2 4"/>')
        items.append(f'<text x="{sx(day) + 4:.1f}" y="{22 + 14 * row}" class="muted">day {day}: {_pct(survival.get(f"s{day}"))}</text>')
    items.append(f'<text x="{width - 10}" y="{height - 1}" text-anchor="end" class="muted">days since signup →</text>')
    return f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="Kaplan-Meier survival">{"".join(items)}</svg>'


# Per cohort measure, the value that is plainly good and the one that is plainly bad: the colour
# says how bad the value is for that measure (15 % unsubscribed in a year is bad, not "85 % good").
HEAT = {"mailable": (0.9, 0.6), "engaged_90d": (0.3, 0.05), "unsubscribed": (0.02, 0.1), "bounced_or_cleaned": (0.01, 0.05)}


def _heat(value: float | None, measure: str) -> str:
    if value is None:
        return "<td>–</td>"
    good, bad = HEAT[measure]
    strength = min(1.0, max(0.0, (value - bad) / (good - bad)))  # 1 at good or better, 0 at bad or worse
    hue = 120 * strength  # red (0) to green (120)
    return f'<td style="background:hsla({hue:.0f},70%,45%,.22)">{100 * value:.1f} %</td>'


def _decay_card(decay: dict[str, Any]) -> str:
    """The observed decay: a range when some churn has no date, and a verdict only where the data supports one."""
    rate, high, benchmark = decay["observed_monthly_rate"], decay.get("monthly_rate_with_undated_churn"), decay["benchmark_monthly_rate"]
    undated = decay.get("undated_churn", 0)
    tone = {"above": "bad", "at or below": "good", "uncertain": "unsure"}.get(decay["versus_benchmark"] or "", "")
    value = _pct(rate, 2) if not undated or high is None or high == rate else f"{_pct(rate, 2)} – {_pct(high, 2)}"
    label = f"observed decay a month (benchmark {_pct(benchmark, 1)})"
    if undated:
        label += f"; {undated:,} unsubscribes/bounces have no date: the range is without them and with them all in these months"
    if decay["versus_benchmark"] == "uncertain":
        label += " — cannot tell whether it is above the benchmark"
    return _card(value, label, tone)


def _breakdown(rows: list[dict[str, Any]], key: str, title: str) -> str:
    if not rows:
        return ""
    body = "".join(
        f"<tr><td>{escape(str(row[key]))}</td><td>{row['contacts']:,}</td><td>{row['signups_in_window']:,}</td>{_heat(row['mailable_share'], 'mailable')}"
        f"{_heat(row['unsubscribed_share'], 'unsubscribed')}{_heat(row['bounced_or_cleaned_share'], 'bounced_or_cleaned')}<td>{_pct(row['complained_share'], 2)}</td></tr>"
        for row in rows
    )
    return (
        f"<table><tr><th>{escape(title)}</th><th>contacts</th><th>signed up in the window</th><th>mailable</th><th>unsubscribed</th>"
        f"<th>bounced / cleaned</th><th>complained</th></tr>{body}</table>"
    )


def render_html(report: dict[str, Any]) -> str:
    status, decay, delivery, consent = report["status"], report["decay"], report["deliverability"], report["consent"]
    total = report["rows"] or 1
    rate, benchmark = decay["observed_monthly_rate"], decay["benchmark_monthly_rate"]
    cards = "".join(
        [
            _card(f"{report['rows']:,}", "contacts"),
            _card(_pct(status["mailable"] / total), "mailable now"),
            _decay_card(decay),
            _card(_num(decay["projected_lost_in_12_months"]), "mailable contacts lost in 12 months at this rate"),
            _card(f"{report['sunset']['candidates']:,}", "sunset candidates"),
            _card(_pct(delivery["bounce_rate_30d"], 2), f"bounces, last 30 days, per contact — a proxy: ESPs count per message (limit {_pct(delivery['bounce_limit'], 0)})", "good" if delivery["bounce_ok"] else "bad"),
            _card(_pct(delivery["complaint_rate_30d"], 2), f"complaints, last 30 days, per contact — a proxy (limit {_pct(delivery['complaint_limit'], 1)})", "good" if delivery["complaint_ok"] else "bad"),
        ]
    )
    buckets = report["engagement"]["buckets"]
    monthly_rows = "".join(
        f"<tr><td>{escape(row['month'])}{'' if row['complete'] else ' (so far)'}</td><td>{row['size_at_start']:,}</td><td>{row['added']:,}</td><td>{row.get('added_mailable', 0):,}</td>"
        f"<td>{row['unsubscribed']:,}</td><td>{row['bounced']:,}</td><td>{row['complained']:,}</td><td>{row['net']:+,}</td><td>{_pct(row['decay_rate'], 2)}</td></tr>"
        for row in report["monthly"]
    )
    cohort_rows = "".join(
        f"<tr><td>{escape(row['cohort'])}</td><td>{row['size']:,}</td>{_heat(row['mailable'], 'mailable')}{_heat(row['engaged_90d'], 'engaged_90d')}"
        f"{_heat(row['unsubscribed'], 'unsubscribed')}{_heat(row['bounced_or_cleaned'], 'bounced_or_cleaned')}</tr>"
        for row in report["cohorts"]
    )
    survival = report["survival"]
    median = survival.get("median_days")
    notes = "".join(f"<li>{escape(note)}</li>" for note in report.get("notes", []))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>List decay report — {escape(report['as_of'][:10])}</title><style>{CSS}</style></head>
<body>
<h1>List decay report</h1>
<p class="sub">As of {escape(report['as_of'][:10])} · {report['rows']:,} contacts · made by listclean, offline</p>
<div class="cards">{cards}</div>
{f'<ul class="note">{notes}</ul>' if notes else ''}
<h2>Status mix</h2>
{_status_bar(status)}
<h2>Engagement recency</h2>
<p class="note">Days since the latest click, purchase, activity or open. {report['engagement']['opens_only_90d']:,} contacts look engaged in the last 90 days only through opens, which Apple Mail Privacy Protection inflates.</p>
{_bars(list(buckets), list(buckets.values()), "var(--accent)", "engagement recency")}
<h2>Growth and churn by month</h2>
{_growth(report['monthly'])}
<table><tr><th>month</th><th>size at start</th><th>added</th><th>added, mailable now</th><th>unsubscribed</th><th>bounced</th><th>complained</th><th>net</th><th>decay</th></tr>{monthly_rows}</table>
<p class="note">Observed decay: {_pct(rate, 2)} a month over {decay['months_measured']} complete months ({escape(decay['versus_benchmark'] or 'not comparable to')} the {_pct(benchmark, 1)} benchmark); projected {_pct(decay['projected_annual_rate'])} in a year. {decay['undated_churn']:,} unsubscribes/bounces without a date are not in the monthly figures{'' if not decay['undated_churn'] else f" (with them all in these months: {_pct(decay.get('monthly_rate_with_undated_churn'), 2)} a month)"}. A month counts once it has ended.</p>
<h2>By source and by email domain</h2>
<p class="note">Where contacts come from and where they are, as the email platforms' dashboards show it.</p>
{_breakdown(report.get('by_source', []), 'source', 'source')}
<p></p>
{_breakdown(report.get('by_domain', []), 'domain', 'email domain')}
<h2>How long contacts stay engaged (Kaplan–Meier)</h2>
<p class="note">Share of contacts still engaged by days since signup. A contact lapses {survival.get('lapse_days', '–')} days after its last click, purchase or activity (after its signup if it never engaged); one whose moment has not come is counted until today. Median {('–' if median is None else f'{median:,} days')}; {survival.get('lapsed', 0):,} of {survival.get('contacts', 0):,} have lapsed.</p>
{_survival_curve(survival)}
<h2>Cohorts by signup month</h2>
<p class="note">Every cohort: a row a month for the last 24 months of signups, a row a year before that. Colours say how good or bad each value is for its measure.</p>
<table><tr><th>signed up</th><th>contacts</th><th>mailable</th><th>engaged 90 days</th><th>unsubscribed</th><th>bounced / cleaned</th></tr>{cohort_rows}</table>
<h2>Sunset candidates</h2>
<p><strong>{report['sunset']['candidates']:,}</strong> contacts: {escape(report['sunset']['rule'])}.</p>
<h2>Consent health</h2>
<table><tr><th>implied consent</th><th>expiring soon</th><th>expired</th><th>implied, undated</th><th>express without proof (no date or source)</th></tr>
<tr><td>{consent['implied']:,}</td><td>{consent['implied_expiring']:,}</td><td>{consent['implied_expired']:,}</td><td>{consent['implied_undated']:,}</td><td>{consent['express_unproven']:,}</td></tr></table>
<p class="note">{escape(consent['implied_rule'])}.</p>
</body></html>
"""
