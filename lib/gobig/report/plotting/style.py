"""What every figure of the book shares: one colour per condition, and log
axes labelled as a person reads them.

**Colours.** A condition (a training mode, a split, a fit) has one colour in
every figure of the book (``CONDITION_COLOURS``, from Okabe & Ito's palette
and Tol's muted one, distinct for colour vision deficiencies);
``condition_colours(names)`` gives a figure its mapping, unknown names
taking the remaining colours in order. The verdicts' colours are the
ledger's (``gobig.report.ledger.VERDICT_STYLES``).

**Log axes.** ``plain_log_ticks(axis)`` labels a log axis with plain
numbers ("1", "2", "5", "10", "1,000", "10K", "175B"), never "2×10⁰", and no
minor-tick labels that run into each other.
"""

from __future__ import annotations

import math

import matplotlib.ticker as ticker
import seaborn as sns

#: One colour per condition across the book.
CONDITION_COLOURS = {
    # Chapter 1: how a model was trained.
    "natural": "#0072B2",
    "pgd": "#D55E00",
    "fgsm": "#E69F00",
    # Chapter 3: how problems were split (a split's name, or its kind), and whether a twin leaked.
    "temporal": "#009E73",
    "random": "#CC79A7",
    "twin-aware": "#56B4E9",
    "temporal-cut": "#117733",
    "random-untwinned": "#882255",
    "twin in training": "#D55E00",
    "no twin in training": "#999999",
    # Chapter 2: the two fits of GPT-3's accuracies.
    "log-linear": "#0072B2",
    "logistic": "#E69F00",
}


def condition_colours(names) -> dict:
    """``{name: colour}`` for the names in a figure: the book's colour for a
    known condition ("random-0" is a "random" split), the colour-blind
    palette's unused colours in order for the rest."""
    names = list(dict.fromkeys(names))
    mapping = {}
    for name in names:
        key = str(name)
        known = CONDITION_COLOURS.get(key)
        if known is None:
            base = key.rsplit("-", 1)[0]
            known = CONDITION_COLOURS.get(base) if key.rsplit("-", 1)[-1].isdigit() else None
        if known is not None:
            mapping[name] = known
    spare = [
        colour
        for colour in sns.color_palette("colorblind").as_hex()
        if colour.lower() not in {c.lower() for c in mapping.values()}
    ]
    for name in names:
        if name not in mapping:
            mapping[name] = spare.pop(0) if spare else "#555555"
    return mapping


def plain_number(value: float, _position=None) -> str:
    """A tick label as a person writes the number: 0.5, 2, 1,000, 10K, 4.7M, 175B, 175T."""
    if value <= 0 or not math.isfinite(value):
        return ""
    for threshold, size, suffix in ((1e12, 1e12, "T"), (1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "K")):
        if value >= threshold:
            return f"{value / size:,.3g}{suffix}"
    return f"{value:,.0f}" if value >= 1 and value == round(value) else f"{value:.3g}"


def plain_log_ticks(axis, which: str = "x") -> None:
    """Label a log axis with plain numbers: at 1, 2 and 5 times each power
    of ten when it spans under two decades, at each power of ten (every
    other one past eight decades) otherwise; minor ticks unlabelled."""
    scaled = axis.xaxis if which == "x" else axis.yaxis
    low, high = sorted(axis.get_xlim() if which == "x" else axis.get_ylim())
    if low <= 0 or high <= 0:
        return
    decades = math.log10(high / low)
    subs = (1.0, 2.0, 5.0) if decades < 2 else (1.0,)
    scaled.set_major_locator(ticker.LogLocator(base=10, subs=subs, numticks=12 if decades <= 8 else 6))
    scaled.set_major_formatter(ticker.FuncFormatter(plain_number))
    scaled.set_minor_formatter(ticker.NullFormatter())
