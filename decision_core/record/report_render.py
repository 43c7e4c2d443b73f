"""The analytics as a report for people: markdown, JSON, or HTML with SVG charts (override rate per
rule, outcome per cause). A rate over 3 responses or fewer is not given: the count is, and its
interval is drawn as a thin grey line without a bar."""
from __future__ import annotations

import json
from html import escape
from typing import Any

TOP_RULES = 20
BAR_W, ROW_H, LABEL_W = 360, 22, 330


def _rate(row: dict[str, Any]) -> str:
    n = row["responses"]
    if not n:
        return "no responses"
    if row["override_rate"] is None:
        return f"{row['overridden']} of {n} (too few for a rate)"
    lo, hi = row["override_interval"]
    return f"{row['override_rate']:.0%} of {n} (95 % CI {lo:.0%}-{hi:.0%})"


def _improved(row: dict[str, Any]) -> str:
    n = row["follow_ups"]
    if not n:
        return "no follow-ups"
    if n < 4:
        return f"{row['improved']} of {n} (too few for a rate)"
    lo, hi = row["improved_interval"]
    return f"{row['improved'] / n:.0%} of {n} (95 % CI {lo:.0%}-{hi:.0%})"


def _reasons(row: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in row["reasons"].items()) or "-"


def _name(names: dict[str, str], key: str) -> str:
    return f"{names[key]} ({key})" if key in names else key


def render_markdown(data: dict[str, Any], names: dict[str, str] | None = None) -> str:
    names = names or {}
    out = [f"# What the record says about the rules", "",
           f"{data['records']} records" + (f" since {data['since']}" if data["since"] else "")
           + f", {data['feedback']} clinicians' responses, {data['follow_ups']} follow-ups.", "",
           "## Rules, most overridden first", "",
           "| rule | file | fired | shown | accepted | overridden | override rate | reasons |", "|---|---|---:|---:|---:|---:|---|---|"]
    for row in [r for r in data["rules"] if r["responses"]][:TOP_RULES]:
        out.append(f"| {row['id']} | {row['file'] or '-'} | {row['fired']} | {row['shown']} | {row['accepted']} | "
                   f"{row['overridden']} | {_rate(row)} | {_reasons(row)} |")
    for title, key in (("Causes", "causes"), ("Recommendations", "recommendations"), ("Triage levels", "triage")):
        out += ["", f"## {title}", "", "| | shown | accepted | overridden | override rate | follow-ups improved | adherence all/some/none |",
                "|---|---:|---:|---:|---|---|---|"]
        for row in data[key]:
            a = row["adherence"]
            out.append(f"| {_name(names, row['id'])} | {row['shown']} | {row['accepted']} | {row['overridden']} | "
                       f"{_rate(row)} | {_improved(row)} | {a['all']}/{a['some']}/{a['none']} |")
    out += ["", "## Ruleset versions", "", "| ruleset | version | records | accepted | overridden | follow-ups improved |",
            "|---|---|---:|---:|---:|---|"]
    for row in data["rulesets"]:
        out.append(f"| {row['id']} | {row['version']} | {row['records']} | {row['accepted']} | {row['overridden']} | "
                   f"{_improved(row)} |")
    return "\n".join(out) + "\n"


def _chart(rows: list[dict[str, Any]], count_key: str, hits_key: str, interval_key: str, label,
           fill: str = "#c0504d") -> str:
    """Horizontal bars (the share) with their Wilson intervals; too few: the interval alone, grey."""
    height = ROW_H * len(rows) + 30
    width = LABEL_W + BAR_W + 150
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'font-family="DejaVu Sans, sans-serif" font-size="12">']
    for pct in (0, 25, 50, 75, 100):
        x = LABEL_W + BAR_W * pct / 100
        parts.append(f'<line x1="{x}" y1="0" x2="{x}" y2="{height - 20}" stroke="#ddd"/>'
                     f'<text x="{x}" y="{height - 6}" text-anchor="middle" fill="#555">{pct} %</text>')
    for i, row in enumerate(rows):
        y = i * ROW_H + 4
        n, hits = row[count_key], row[hits_key]
        parts.append(f'<text x="{LABEL_W - 8}" y="{y + 13}" text-anchor="end">{escape(label(row))}</text>')
        interval = row[interval_key]
        enough = n >= 4
        if enough:
            parts.append(f'<rect x="{LABEL_W}" y="{y + 3}" width="{BAR_W * hits / n:.1f}" height="{ROW_H - 8}" '
                         f'fill="{fill}"/>')
        if interval:
            x1, x2 = LABEL_W + BAR_W * interval[0], LABEL_W + BAR_W * interval[1]
            colour = "#222" if enough else "#999"
            parts.append(f'<line x1="{x1:.1f}" y1="{y + 9}" x2="{x2:.1f}" y2="{y + 9}" stroke="{colour}" stroke-width="1.5"/>'
                         f'<line x1="{x1:.1f}" y1="{y + 4}" x2="{x1:.1f}" y2="{y + 14}" stroke="{colour}"/>'
                         f'<line x1="{x2:.1f}" y1="{y + 4}" x2="{x2:.1f}" y2="{y + 14}" stroke="{colour}"/>')
        note = f"{hits}/{n}" + ("" if enough else " (too few)")
        parts.append(f'<text x="{LABEL_W + BAR_W + 8}" y="{y + 13}" fill="#333">{note}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(data: dict[str, Any], names: dict[str, str] | None = None) -> str:
    names = names or {}
    rules = [r for r in data["rules"] if r["responses"]][:TOP_RULES]
    causes = [r for r in data["causes"] if r["follow_ups"]]
    causes.sort(key=lambda r: -(r["improved"] / r["follow_ups"]))
    body = render_markdown(data, names)
    table_html = _markdown_tables(body)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Record analytics</title>
<style>body{{font-family:"DejaVu Sans",sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;margin:0.5em 0 1.5em}}
td,th{{border:1px solid #ccc;padding:3px 6px;font-size:12px;text-align:left}}h2{{margin-top:1.5em}}
.note{{color:#555;font-size:13px}}</style></head><body>
<h1>What the record says about the rules</h1>
<p>{data['records']} records{(' since ' + escape(data['since'])) if data['since'] else ''}, {data['feedback']} clinicians'
responses, {data['follow_ups']} follow-ups.</p>
<h2>Override rate per rule</h2>
<p class="note">Bars: the share of responses that overrode what the rule concluded; lines: the Wilson 95 % interval.
With 3 responses or fewer no bar is drawn (grey interval only).</p>
{_chart(rules, "responses", "overridden", "override_interval", lambda r: r["id"])}
<h2>Outcome per cause</h2>
<p class="note">Bars: the share of follow-ups improved (Global Rating of Change +{data['improved_groc']} or more) among
the records listing the cause; lines: the Wilson 95 % interval.</p>
{_chart(causes, "follow_ups", "improved", "improved_interval", lambda r: names.get(r["id"], r["id"]), "#4f81bd")}
{table_html}
</body></html>
"""


def _markdown_tables(text: str) -> str:
    """The markdown report's headings and tables as HTML (its own simple shapes only)."""
    out, in_table = [], False
    for line in text.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set("".join(cells)) <= set("-:"):
                continue
            if not in_table:
                out.append("<table>")
                in_table = True
                out.append("<tr>" + "".join(f"<th>{escape(c)}</th>" for c in cells) + "</tr>")
            else:
                out.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
            continue
        if in_table:
            out.append("</table>")
            in_table = False
        if line.startswith("## "):
            out.append(f"<h2>{escape(line[3:])}</h2>")
    if in_table:
        out.append("</table>")
    return "\n".join(out)


def render(data: dict[str, Any], fmt: str, names: dict[str, str] | None = None) -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "html":
        return render_html(data, names)
    return render_markdown(data, names)
