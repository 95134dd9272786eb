"""Train/validation splits of problems: temporal (by contest id) and random.

AlphaCode (Li et al. 2022, Appendix B.3) compares a temporal split, where
every validation problem was published after every training problem, with
a random split of the same sizes. Contest ids are assigned in creation
order, so ``cf_contest_id`` is the temporal key (the data README explains
the caveats). Simultaneous Div. 1 / Div. 2 rounds share problems under
adjacent ids: a date cutoff never separates them, an id cutoff can, so the
temporal split moves such twin groups to the side of their earliest member
(``twins="simultaneous"``) unless asked not to (``twins="none"``).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from gobig.data.codecontests import Problem

#: Twin groups whose contest ids differ by at most this are simultaneous rounds.
SIMULTANEOUS_ID_GAP = 1
TWIN_POLICIES = ("simultaneous", "none")


@dataclass(frozen=True)
class Split:
    """Problem keys on each side; ``name`` is ``temporal`` or ``random-<seed>``."""

    name: str
    kind: str  # "temporal" | "random"
    seed: int | None
    cutoff: int | None  # first contest id on the validation side (temporal only)
    train: tuple[str, ...]
    valid: tuple[str, ...]

    def __post_init__(self):
        overlap = set(self.train) & set(self.valid)
        if overlap:
            raise ValueError(f"split {self.name}: {len(overlap)} problem(s) on both sides, e.g. {sorted(overlap)[0]}")


def quantile_cutoff(problems: list[Problem], valid_fraction: float) -> int:
    """The smallest contest id such that about ``valid_fraction`` of the
    problems have an id at or above it (whole contests stay together)."""
    ids = sorted(p.cf_contest_id for p in problems)
    return ids[min(len(ids) - 1, math.floor(len(ids) * (1 - valid_fraction)))]


def temporal_split(
    problems: list[Problem], cutoff: int, twin_groups: list[frozenset[str]] = (), twins: str = "simultaneous"
) -> Split:
    """Train: contest id < cutoff; validation: >= cutoff; simultaneous twin
    groups go whole to the side of their earliest member."""
    if twins not in TWIN_POLICIES:
        raise ValueError(f"twins must be one of {', '.join(TWIN_POLICIES)}; got {twins!r}")
    contest = {p.key: p.cf_contest_id for p in problems}
    side = {key: contest_id >= cutoff for key, contest_id in contest.items()}
    if twins == "simultaneous":
        for group in twin_groups:
            ids = [contest[key] for key in group if key in contest]
            if ids and max(ids) - min(ids) <= SIMULTANEOUS_ID_GAP:
                for key in group:
                    if key in side:
                        side[key] = min(ids) >= cutoff
    order = [p.key for p in problems]
    return Split(
        name="temporal",
        kind="temporal",
        seed=None,
        cutoff=cutoff,
        train=tuple(k for k in order if not side[k]),
        valid=tuple(k for k in order if side[k]),
    )


def random_split(problems: list[Problem], valid_size: int, seed: int) -> Split:
    """A uniformly random validation set of ``valid_size`` problems."""
    if not 0 < valid_size < len(problems):
        raise ValueError(f"valid_size must be between 1 and {len(problems) - 1}; got {valid_size}")
    order = [p.key for p in problems]
    valid = set(random.Random(seed).sample(order, valid_size))
    return Split(
        name=f"random-{seed}",
        kind="random",
        seed=seed,
        cutoff=None,
        train=tuple(k for k in order if k not in valid),
        valid=tuple(k for k in order if k in valid),
    )


def crossing_groups(split: Split, groups: list[frozenset[str]]) -> list[frozenset[str]]:
    """Twin groups with members on both sides of a split: the leaks by construction."""
    valid = set(split.valid)
    train = set(split.train)
    return [g for g in groups if g & valid and g & train]


def twin_aware_split(problems: list[Problem], valid_size: int, seed: int, groups: list[frozenset[str]]) -> Split:
    """A random split drawn over twin groups: each group (and each problem
    without a twin) lands whole on one side, so no twin pair is separated.
    Units are shuffled and taken into validation while they fit, giving
    ``valid_size`` problems (a group that would overshoot is skipped)."""
    if not 0 < valid_size < len(problems):
        raise ValueError(f"valid_size must be between 1 and {len(problems) - 1}; got {valid_size}")
    order = [p.key for p in problems]
    present = set(order)
    grouped: set[str] = set()
    units: list[tuple[str, ...]] = []
    for group in groups:
        members = tuple(sorted(group & present))
        if members:
            units.append(members)
            grouped.update(members)
    units += [(key,) for key in order if key not in grouped]
    units.sort()
    random.Random(seed).shuffle(units)
    valid: set[str] = set()
    for unit in units:
        if len(valid) + len(unit) <= valid_size:
            valid.update(unit)
        if len(valid) == valid_size:
            break
    return Split(
        name=f"twin-aware-{seed}",
        kind="twin-aware",
        seed=seed,
        cutoff=None,
        train=tuple(k for k in order if k not in valid),
        valid=tuple(k for k in order if k in valid),
    )


def without_crossing_twins(split: Split, groups: list[frozenset[str]]) -> Split:
    """The same validation set, with the training copies of every twin group
    that the split separates removed from training: the split's leak
    undone, everything else equal (the memorization test's pair)."""
    leaked = {key for group in crossing_groups(split, groups) for key in group if key in set(split.train)}
    return Split(
        name=f"{split.name}-untwinned",
        kind=f"{split.kind}-untwinned",
        seed=split.seed,
        cutoff=split.cutoff,
        train=tuple(k for k in split.train if k not in leaked),
        valid=split.valid,
    )
