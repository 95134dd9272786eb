"""The studies of the book, in book order: the one list that the command
line, ``promote``, the ledger, the performance targets and the tests loop
over.

Adding a study is one line in ``STUDIES`` (see CONTRIBUTING.md, "Adding a
study"); everything else about it is data here or names of its module (the
``gobig.core.study.Study`` protocol). Study modules are imported on first use, so
a tool that needs one study (or none: ``python -m gobig render``) does not
import the others' dependencies. This is the only library module that knows
all the studies.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from gobig.core import paths
from gobig.core.params import default_profile
from gobig.core.study import Study


@dataclass(frozen=True)
class Entry:
    """One study: its module and what the book shows of it."""

    #: The study's name (``STUDY`` of its module; its folder under results/).
    name: str
    #: The chapter notebook, relative to the repository root.
    chapter: str
    #: The chapter as the ledger names it.
    title: str
    #: Whose claims the chapter tests (the ledger's pending row names them).
    sources: str
    #: The fewest figures the built chapter page must show (tests/test_book.py).
    figures: int
    #: Sentences the chapter holds while its default is not the full profile, and must
    #: lose when it is (``gobig.report.promote``; tests/test_promote.py checks both ways).
    interim_prose: tuple[str, ...] = ()
    #: Its full profile's sweep runs on one GPU and counts toward the book's GPU time target.
    gpu_sweep: bool = False
    #: The module keeping the ``Study`` protocol (None: ``gobig.studies.<name>``).
    module: str | None = None

    @property
    def study(self) -> Study:
        """The study module (imported on first use)."""
        return importlib.import_module(self.module or f"gobig.studies.{self.name}")

    @property
    def default_profile(self) -> str:
        """The profile whose values are the chapter's defaults (``profiles/defaults.yaml``)."""
        return default_profile(self.name)

    @property
    def notebook(self) -> str:
        """The chapter's page in the book: its path without ``.ipynb``."""
        return self.chapter.removesuffix(".ipynb")

    @property
    def chapter_path(self) -> Path:
        return paths.ROOT / self.chapter


STUDIES: tuple[Entry, ...] = (
    Entry(
        "mnist",
        "chapters/01_mnist_capacity.ipynb",
        "1. MNIST capacity",
        "blog; Madry et al. 2018; Bubeck & Sellke 2021",
        figures=6,
        interim_prose=(
            "The chapter's defaults are the `cpu60k` profile, the study at the scale two CPU cores allow",
            "the full GPU profile, with Madry et al.'s training attack (PGD-40 from the first step), all 10,000 test images and scale 32, comes closer to the papers' own conditions",
        ),
        gpu_sweep=True,
    ),
    Entry("gpt3", "chapters/02_gpt3_extrapolation.ipynb", "2. GPT-3 arithmetic", "blog; Brown et al. 2020", figures=3),
    Entry(
        "alphacode",
        "chapters/03_alphacode_split.ipynb",
        "3. AlphaCode split",
        "Li et al. 2022, App. B.3; blog",
        figures=3,
        interim_prose=(
            "The GPU rerun with the full profile (a larger model, thousands of samples per problem, "
            "two memorization pairs) is owed",
        ),
        gpu_sweep=True,
    ),
)

NAMES: tuple[str, ...] = tuple(entry.name for entry in STUDIES)


def get(name: str) -> Entry:
    """The registered study ``name``; an unknown name lists the known ones."""
    for entry in STUDIES:
        if entry.name == name:
            return entry
    raise ValueError(f"study: got {name!r}; expected one of {', '.join(NAMES)}")


def records_for(study: Study, values: dict) -> list[dict] | None:
    """The records of ``values``' configs (validated), or None when any is missing."""
    from gobig.core.store import ResultStore

    params = study.validate_parameters(values)
    return ResultStore.for_params(study.STUDY, study.VERSION, params).load_all(study.expand_configs(params))
