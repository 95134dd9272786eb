"""The claims ledger as the book shows it: the verdicts' legend with their
counts, the ledger table grouped by chapter with a filter, and the figure
of verdicts per chapter that the landing page opens with.

Every verdict shows as its symbol and its word on its colour
(``gobig.report.ledger.VERDICT_STYLES``), so colour is never the only cue.
The HTML carries fixed ids (stored outputs stay byte-stable for nbval) and
its own <style> block, scoped to its id; _static/gobig.css adds the layout.
The filter is CSS only (radio buttons and ``:has()``): no script, and
without ``:has()`` every row simply stays shown.
"""

from __future__ import annotations

import html

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML

from gobig.core import registry
from gobig.report import ledger


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def verdict_chip(verdict: str) -> str:
    """A verdict as inline HTML: symbol and word, on a tint of its colour."""
    style = ledger.VERDICT_STYLES[verdict]
    return (
        f'<span class="gobig-verdict" data-verdict="{html.escape(verdict)}" style="--verdict: {style["colour"]}">'
        f'<span aria-hidden="true">{style["symbol"]}</span>&nbsp;{html.escape(verdict)}</span>'
    )


def legend_table(claims: pd.DataFrame, name: str = "ledger-legend") -> HTML:
    """Each verdict with its symbol, colour, meaning and how many claims carry it."""
    counts = ledger.counts(claims)
    rows = "\n".join(
        f"<tr><td>{verdict_chip(verdict)}</td>"
        f'<td class="gobig-number">{counts[verdict]}</td>'
        f"<td>{html.escape(style['meaning'])}</td></tr>"
        for verdict, style in ledger.VERDICT_STYLES.items()
    )
    return HTML(
        f'<div class="gobig-table-wrap" role="region" aria-label="the verdicts and their counts" tabindex="0">\n'
        f'<table id="T_{name}" class="gobig-table gobig-legend">\n'
        "<caption>The verdicts, how many claims carry each, and what each means</caption>\n"
        '<thead><tr><th scope="col">verdict</th><th scope="col" class="gobig-number">claims</th>'
        '<th scope="col">meaning</th></tr></thead>\n'
        f"<tbody>\n{rows}\n</tbody>\n</table>\n</div>"
    )


def _records_list(study: str, keys: list[str]) -> str:
    if not keys:
        return "no record (the row has no number)"
    listed = ", ".join(f"<code>results/{html.escape(study)}/{html.escape(key)}.json</code>" for key in keys)
    return f"{len(keys)} record{'s' if len(keys) != 1 else ''}: {listed}"


def _row(claim: dict, study: str, page: str) -> str:
    short, folded, cut = ledger.short_why(claim["why"], claim["detail"])
    case = (
        f' <a href="{page}.html#{html.escape(claim["section"])}">The case in the chapter.</a>'
        if claim["section"]
        else f' <a href="{page}.html">The chapter.</a>'
    )
    reasoning = f"<p>{html.escape(folded)}</p>" if folded else ""
    details = (
        "<details><summary>reasoning, source and records</summary>"
        f"{reasoning}"
        f"<p><strong>Source:</strong> {html.escape(claim['source'])}.{case}</p>"
        f"<p><strong>Device:</strong> {html.escape(claim['device'] or 'none')}.</p>"
        f'<p class="gobig-records"><strong>Records:</strong> {_records_list(study, claim["records"])}</p>'
        "</details>"
    )
    return (
        f'<tr class="gobig-claim" data-verdict="{html.escape(claim["verdict"])}">'
        f"<td>{verdict_chip(claim['verdict'])}</td>"
        f"<td>{html.escape(claim['claim'])}</td>"
        f"<td>{html.escape(claim['measured']) or '–'}</td>"
        f'<td><span class="gobig-why"{" data-cut" if cut else ""}>{html.escape(short)}</span>{details}</td>'
        "</tr>"
    )


def _filter_styles(scope: str, name: str, verdicts: list[str], chapters: list[str]) -> str:
    rules = [
        f'{scope}:has(#{name}-v-{_slug(v)}:checked) tr.gobig-claim:not([data-verdict="{v}"]) {{ display: none; }}'
        for v in verdicts
    ]
    rules += [
        f'{scope}:has(#{name}-c-{c}:checked) tbody[data-chapter]:not([data-chapter="{c}"]) {{ display: none; }}'
        for c in chapters
    ]
    return "\n".join(rules)


def _radios(name: str, group: str, legend: str, options: list[tuple[str, str]]) -> str:
    buttons = "".join(
        f'<input type="radio" name="{name}-{group}" id="{name}-{group}-{value}" value="{value}"'
        f'{" checked" if index == 0 else ""}><label for="{name}-{group}-{value}">{label}</label>'
        for index, (value, label) in enumerate(options)
    )
    return f'<fieldset class="gobig-filter"><legend>{legend}</legend>{buttons}</fieldset>'


def ledger_table(claims: pd.DataFrame, name: str = "ledger") -> HTML:
    """The ledger: a filter by verdict and by chapter, then one group of rows
    per chapter (its verdict counts in the group's heading), each row the
    verdict, the claim, the value measured and a one-sentence why, with the
    full reasoning, the source, the device and the records' keys folded."""
    entries = [entry for entry in registry.STUDIES if (claims["chapter"] == entry.title).any()]
    counts = ledger.counts(claims)
    present = [v for v in ledger.VERDICTS if counts[v]]
    verdict_options = [("all", f"all ({len(claims)})")] + [
        (_slug(v), f"{verdict_chip(v)} ({counts[v]})") for v in present
    ]
    chapter_options = [("all", "all")] + [(entry.name, html.escape(entry.title)) for entry in entries]
    groups = []
    for entry in entries:
        rows = claims[claims["chapter"] == entry.title].to_dict("records")
        tally = ledger.counts(pd.DataFrame(rows))
        summary = " · ".join(
            f'<span class="gobig-tally" style="--verdict: {ledger.VERDICT_STYLES[v]["colour"]}">'
            f'<span aria-hidden="true">{ledger.VERDICT_STYLES[v]["symbol"]}</span> {tally[v]} {v}</span>'
            for v in ledger.VERDICTS
            if tally[v]
        )
        body = "\n".join(_row(row, entry.name, entry.notebook) for row in rows)
        groups.append(
            f'<tbody data-chapter="{entry.name}">\n'
            f'<tr class="gobig-group"><th colspan="4" scope="rowgroup">'
            f'<a href="{entry.notebook}.html">{html.escape(entry.title)}</a>: {len(rows)} claims · {summary}</th></tr>\n'
            f"{body}\n</tbody>"
        )
    scope = f"#{name}-box"
    styles = _filter_styles(scope, name, present, [entry.name for entry in entries])
    return HTML(
        f'<div class="gobig-ledger" id="{name}-box">\n'
        f"<style>\n{styles}\n</style>\n"
        f'<div class="gobig-filters">{_radios(name, "v", "Show verdict", verdict_options)}'
        f"{_radios(name, 'c', 'Show chapter', chapter_options)}</div>\n"
        f'<div class="gobig-table-wrap" role="region" aria-label="the claims ledger" tabindex="0">\n'
        f'<table id="T_{name}" class="gobig-table gobig-ledger-table">\n'
        '<colgroup><col class="gobig-col-verdict"><col class="gobig-col-claim">'
        '<col class="gobig-col-measured"><col class="gobig-col-why"></colgroup>\n'
        '<thead><tr><th scope="col">verdict</th><th scope="col">claim</th>'
        '<th scope="col">measured here</th><th scope="col">why</th></tr></thead>\n'
        + "\n".join(groups)
        + "\n</table>\n</div>\n</div>"
    )


def verdicts_by_chapter(claims: pd.DataFrame):
    """One bar per chapter, split into its verdicts: each part in its
    verdict's colour, labelled with the verdict's symbol and count, and a
    legend that names symbol, colour and word together."""
    chapters = [entry.title for entry in registry.STUDIES if (claims["chapter"] == entry.title).any()]
    tallies = {chapter: ledger.counts(claims[claims["chapter"] == chapter]) for chapter in chapters}
    present = [v for v in ledger.VERDICTS if any(t[v] for t in tallies.values())]
    # Narrow and tall enough to stay legible when a phone shrinks it to its width.
    figure, axis = plt.subplots(figsize=(6.4, 0.75 * len(chapters) + 1.9))
    for row, chapter in enumerate(chapters):
        left = 0
        for verdict in present:
            count = tallies[chapter][verdict]
            if not count:
                continue
            style = ledger.VERDICT_STYLES[verdict]
            axis.barh(row, count, left=left, color=style["colour"], edgecolor="white", linewidth=1.5, height=0.62)
            axis.text(
                left + count / 2,
                row,
                f"{style['symbol']}{count}" if count > 1 else style["symbol"],
                ha="center",
                va="center",
                fontsize=11,
                color="black",
            )
            left += count
    handles = [
        plt.Rectangle(
            (0, 0), 1, 1, color=ledger.VERDICT_STYLES[v]["colour"], label=f"{ledger.VERDICT_STYLES[v]['symbol']} {v}"
        )
        for v in present
    ]
    axis.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.4, -0.3), ncol=min(3, len(present)), frameon=False
    )
    axis.set_yticks(range(len(chapters)), chapters)
    axis.invert_yaxis()
    axis.set_xlabel("claims (count)")
    axis.grid(axis="y", visible=False)
    for side in ("top", "right"):
        axis.spines[side].set_visible(False)
    figure.tight_layout()
    return figure
