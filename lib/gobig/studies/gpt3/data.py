"""Chapter 2's data: Brown et al. 2020's Table H.1 at all eight sizes
(package data ``gobig/data/gpt3_*.csv``, each value with its readings and
its verification), Tables 2.1 and 2.2, the size of each benchmark's
evaluation set and its contamination flag (Table C.1, Sec. 4), the chance
level of each benchmark and the blog's chart."""

from __future__ import annotations

import hashlib
from importlib import resources

import pandas as pd

from gobig.methods.scaling.fitting import CEILING  # noqa: F401  (the top of every benchmark's logistic fit)

# ---- the paper's numbers -----------------------------------------------------

_DATA_PACKAGE = "gobig.data"
ACCURACY_FILE = "gpt3_accuracy.csv"
MODELS_FILE = "gpt3_models.csv"
TOKENS_FILE = "gpt3_tokens.csv"
BENCHMARKS_FILE = "gpt3_benchmarks.csv"

#: Accuracy (percent) of guessing, per benchmark: the floor of the logistic
#: fit. Each is the benchmark's answer format:
CHANCE = {
    # predict a word or a free-form answer from the whole vocabulary: ~0
    "LAMBADA acc": 0.0,
    "TriviaQA": 0.0,
    "NaturalQuestions": 0.0,
    "WebQuestions": 0.0,
    # recover the word from its symbol-riddled spelling (Figure 1.2's task): ~0
    "Symbol Insertion": 0.0,
    # choose the right ending, answer or option among 4: 25
    "HellaSwag": 25.0,
    "ARC (Challenge)": 25.0,
    "ARC (Easy)": 25.0,
    "OpenBookQA": 25.0,
    "RACE-h": 25.0,
    "RACE-m": 25.0,
    # binary choices (two endings, referents, solutions, causes; yes/no;
    # entailment or not): 50
    "StoryCloze": 50.0,
    "Winograd": 50.0,
    "Winogrande": 50.0,
    "PIQA": 50.0,
    "BoolQ": 50.0,
    "COPA": 50.0,
    "RTE": 50.0,
    # average over SuperGLUE's tasks, most of them binary (BoolQ, COPA, RTE,
    # WiC, WSC; CB is 3-way, MultiRC and ReCoRD are scored otherwise): ~50,
    # a rough floor
    "SuperGLUE avg (dev)": 50.0,
}
SETTINGS = ("zero-shot", "one-shot", "few-shot")
#: The blog's chart: "3 versions of the GPT-3 model, one with 175B, one
#: with 13B and another with 1.3B parameters" that "didn't reach 70%".
#: The post's text is all we have, not its image, so which figure it showed
#: is an inference: Brown et al.'s Figure 1.2 shows exactly those three
#: sizes, on the task of removing random symbols from a word (Sec. 3.9.2),
#: with and without a task description; its x-axis is the number of
#: examples in context K, not model size. The figure has no table; Table
#: H.1's "Symbol Insertion" row and Table 3.10 give the same task at K = 0,
#: 1 and 100 (zero-, one-, few-shot), so the chart's series across model
#: sizes is the few-shot row (K = 100, the figure's right edge). Figure
#: 1.3 is the 42-benchmark aggregate over all eight sizes.
BLOG_CHART = {
    "figure": "Brown et al. 2020, Figure 1.2",
    "benchmark": "Symbol Insertion",
    "setting": "few-shot",
    "sizes": (1_300_000_000, 13_000_000_000, 175_000_000_000),
    "level": 70.0,
}


def _read_csv(name: str) -> pd.DataFrame:
    with resources.files(_DATA_PACKAGE).joinpath(name).open("r") as handle:
        return pd.read_csv(handle)


#: The readings of one value, in the order the verification reads them.
READINGS = ("reading_a", "reading_b", "check", "reading_d")


def load_accuracies() -> pd.DataFrame:
    """Brown et al. 2020's Table H.1 at all eight sizes, re-transcribed: one
    row per (benchmark, setting, size). Columns: benchmark, setting, params
    (int), accuracy (percent; NaN where not verified), verified (bool),
    reading_a and reading_b (the value in two independent transcriptions of
    Table H.1; reading_b NaN where B lacks the row), check (a third reading
    of the same number: the body tables 3.2-3.10 at 175B, or a third,
    page-text transcription C for BoolQ), reading_d (transcription D, an
    HTML table of Table H.1 that also holds the test-server column; read
    for the Symbol Insertion and SuperGLUE rows, which B lacks; NaN
    elsewhere), source (the tables it comes from) and note.

    A value is verified when two readings agree; ``accuracy`` holds only
    verified values, so nothing unverified reaches a fit. Which readings
    they are is said in the chapter (section "The table")."""
    frame = _read_csv(ACCURACY_FILE)
    return frame.astype(
        {
            "params": "int64",
            "accuracy": "float64",
            "verified": "bool",
            **{name: "float64" for name in READINGS},
        }
    )


def load_benchmarks() -> pd.DataFrame:
    """Each benchmark's evaluation set (Brown et al. 2020, Table C.1):
    benchmark, split, examples (the set's size; NaN for the SuperGLUE
    average, which has none), contamination (what Sec. 4 says where it
    flags the benchmark, else empty) and source."""
    frame = _read_csv(BENCHMARKS_FILE)
    frame["contamination"] = frame["contamination"].fillna("")
    return frame.astype({"examples": "float64"})


def load_models() -> pd.DataFrame:
    """Brown et al. 2020 Table 2.1: the eight GPT-3 sizes, all trained on
    300B tokens. Columns: name, params (int), training_tokens (int)."""
    return _read_csv(MODELS_FILE).astype({"params": "int64", "training_tokens": "int64"})


def load_token_mix() -> pd.DataFrame:
    """Brown et al. 2020 Table 2.2: tokens per data set (billions; Common
    Crawl after filtering), 499B in all: the blog's "~500B". Columns:
    dataset, tokens_billions."""
    return _read_csv(TOKENS_FILE).astype({"tokens_billions": "float64"})


def data_sha256() -> str:
    """Checksum of the accuracy table: part of the study's config, so an
    edited table never reuses a stale record."""
    content = resources.files(_DATA_PACKAGE).joinpath(ACCURACY_FILE).read_bytes()
    return hashlib.sha256(content.replace(b"\r\n", b"\n")).hexdigest()  # the same on a CRLF checkout
