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
.bad { color: #c62828; } .good { color: #2e7d32; }
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
    height, width, left, bottom = 260, 1000, 40, 24
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
    for day in (90, 180, 365):
        if day <= horizon:
            key = f"s{day}"
            items.append(f'<line x1="{sx(day):.1f}" x2="{sx(day):.1f}" y1="10" y2="{sy(0):.1f}" class="axis" stroke-dasharray="2 4"/>')
            items.append(f'<text x="{sx(day) + 4:.1f}" y="22" class="muted">day {day}: {_pct(survival.get(key))}</text>')
    items.append(f'<text x="{width - 10}" y="{height - 6}" text-anchor="end" class="muted">days since signup → (horizon {horizon:,})</text>')
    return f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="Kaplan-Meier survival">{"".join(items)}</svg>'


def _heat(value: float | None, good_high: bool = True) -> str:
    if value is None:
        return "<td>–</td>"
    strength = value if good_high else 1 - value
    hue = 120 * strength  # red (0) to green (120)
    return f'<td style="background:hsla({hue:.0f},70%,45%,.22)">{100 * value:.0f} %</td>'


def render_html(report: dict[str, Any]) -> str:
    status, decay, delivery, consent = report["status"], report["decay"], report["deliverability"], report["consent"]
    total = report["rows"] or 1
    rate, benchmark = decay["observed_monthly_rate"], decay["benchmark_monthly_rate"]
    cards = "".join(
        [
            _card(f"{report['rows']:,}", "contacts"),
            _card(_pct(status["mailable"] / total), "mailable now"),
            _card(_pct(rate, 2), f"observed decay a month (benchmark {_pct(benchmark, 1)})", "bad" if rate is not None and rate > benchmark else "good"),
            _card(_num(decay["projected_lost_in_12_months"]), "mailable contacts lost in 12 months at this rate"),
            _card(f"{report['sunset']['candidates']:,}", "sunset candidates"),
            _card(_pct(delivery["bounce_rate_30d"], 2), f"bounces, last 30 days (limit {_pct(delivery['bounce_limit'], 0)})", "good" if delivery["bounce_ok"] else "bad"),
            _card(_pct(delivery["complaint_rate_30d"], 2), f"complaints, last 30 days (limit {_pct(delivery['complaint_limit'], 1)})", "good" if delivery["complaint_ok"] else "bad"),
        ]
    )
    buckets = report["engagement"]["buckets"]
    monthly_rows = "".join(
        f"<tr><td>{escape(row['month'])}{'' if row['complete'] else ' (so far)'}</td><td>{row['size_at_start']:,}</td><td>{row['added']:,}</td>"
        f"<td>{row['unsubscribed']:,}</td><td>{row['bounced']:,}</td><td>{row['complained']:,}</td><td>{row['net']:+,}</td><td>{_pct(row['decay_rate'], 2)}</td></tr>"
        for row in report["monthly"]
    )
    cohort_rows = "".join(
        f"<tr><td>{escape(row['cohort'])}</td><td>{row['size']:,}</td>{_heat(row['mailable'])}{_heat(row['engaged_90d'])}"
        f"{_heat(row['unsubscribed'], good_high=False)}{_heat(row['bounced_or_cleaned'], good_high=False)}</tr>"
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
<table><tr><th>month</th><th>size at start</th><th>added</th><th>unsubscribed</th><th>bounced</th><th>complained</th><th>net</th><th>decay</th></tr>{monthly_rows}</table>
<p class="note">Observed decay: {_pct(rate, 2)} a month over {decay['months_measured']} complete months ({escape(decay['versus_benchmark'] or 'not comparable to')} the {_pct(benchmark, 1)} benchmark); projected {_pct(decay['projected_annual_rate'])} in a year. {decay['undated_churn']:,} unsubscribes/bounces without a date are not in the monthly figures.</p>
<h2>How long contacts stay engaged (Kaplan–Meier)</h2>
<p class="note">Share of contacts still engaged (a click, purchase or activity within {survival.get('lapse_days', '–')} days) by days since signup; median {('–' if median is None else f'{median:,} days')}; {survival.get('lapsed', 0):,} of {survival.get('contacts', 0):,} have lapsed.</p>
{_survival_curve(survival)}
<h2>Cohorts by signup month</h2>
<table><tr><th>signed up</th><th>contacts</th><th>mailable</th><th>engaged 90 days</th><th>unsubscribed</th><th>bounced / cleaned</th></tr>{cohort_rows}</table>
<h2>Sunset candidates</h2>
<p><strong>{report['sunset']['candidates']:,}</strong> contacts: {escape(report['sunset']['rule'])}.</p>
<h2>Consent health</h2>
<table><tr><th>implied consent</th><th>expiring soon</th><th>expired</th><th>implied, undated</th><th>express without proof (no date or source)</th></tr>
<tr><td>{consent['implied']:,}</td><td>{consent['implied_expiring']:,}</td><td>{consent['implied_expired']:,}</td><td>{consent['implied_undated']:,}</td><td>{consent['express_unproven']:,}</td></tr></table>
<p class="note">{escape(consent['implied_rule'])}.</p>
</body></html>
"""
