"""One plotting theme, the book's tables and the chapters' figures
(seaborn on matplotlib). Functions return their figure; in a notebook the
inline backend shows it.

The parts: ``tables`` (``table()``, ``Column``), ``style`` (one colour per
condition across the book, plain tick labels on log axes), ``ledger`` (the
ledger's table and the verdicts figure), and one module of figures per
chapter (``mnist``, ``gpt3``, ``alphacode``); every name is importable
from ``gobig.report.plotting``.
"""

from __future__ import annotations

import seaborn as sns

from gobig.report.plotting.alphacode import (
    SPLIT_KINDS,
    SPLIT_VARIANT_ORDER,
    date_curve,
    memorization_pairs,
    solve_rate_vs_k,
    split_variants,
)
from gobig.report.plotting.gpt3 import accuracy_fits, backtest, required_params_vs_dimension
from gobig.report.plotting.ledger import ledger_table, legend_table, verdict_chip, verdicts_by_chapter
from gobig.report.plotting.mnist import (
    MODE_ORDER,
    accuracy_vs_params,
    lipschitz_vs_params,
    recipe_vs_params,
    robust_vs_eps,
    robust_vs_eps_sweep,
    training_history,
)
from gobig.report.plotting.style import CONDITION_COLOURS, condition_colours, plain_log_ticks, plain_number
from gobig.report.plotting.tables import (
    LABEL_CHARACTERS,
    NUMBER_STYLES,
    PROSE_CHARACTERS,
    PROSE_STYLES,
    TABLE_STYLES,
    Column,
    column_decimals,
    default_formats,
    table,
)

__all__ = [
    "CONDITION_COLOURS",
    "Column",
    "LABEL_CHARACTERS",
    "MODE_ORDER",
    "NUMBER_STYLES",
    "PROSE_CHARACTERS",
    "PROSE_STYLES",
    "SPLIT_KINDS",
    "SPLIT_VARIANT_ORDER",
    "TABLE_STYLES",
    "accuracy_fits",
    "accuracy_vs_params",
    "backtest",
    "column_decimals",
    "condition_colours",
    "date_curve",
    "default_formats",
    "ledger_table",
    "legend_table",
    "lipschitz_vs_params",
    "memorization_pairs",
    "plain_log_ticks",
    "plain_number",
    "recipe_vs_params",
    "required_params_vs_dimension",
    "robust_vs_eps",
    "robust_vs_eps_sweep",
    "set_theme",
    "solve_rate_vs_k",
    "split_variants",
    "table",
    "training_history",
    "verdict_chip",
    "verdicts_by_chapter",
]


def set_theme() -> None:
    sns.set_theme(
        context="notebook", style="whitegrid", palette="colorblind", rc={"figure.dpi": 110, "savefig.bbox": "tight"}
    )
