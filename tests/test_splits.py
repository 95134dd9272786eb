"""Splits, twin groups and near-duplicate search, on the real problems and
on a toy set with planted duplicates."""

from __future__ import annotations

import pytest

from gobig.data import codecontests
from gobig.data.codecontests import Problem
from gobig.methods.code import leakage, splits

pytestmark = pytest.mark.unit

#: The 26 same-task twin pairs the data README lists (slug-sharing pairs
#: minus 721_C / 839_C "Journey", which only share a title).
README_SAME_TASK = {
    ("95_C", "96_D"),
    ("98_B", "99_D"),
    ("103_B", "104_C"),
    ("135_B", "136_D"),
    ("150_A", "151_C"),
    ("261_B", "262_D"),
    ("274_B", "275_D"),
    ("288_C", "289_E"),
    ("420_C", "421_D"),
    ("476_E", "477_C"),
    ("498_A", "499_C"),
    ("520_E", "521_C"),
    ("627_A", "634_B"),
    ("666_A", "667_C"),
    ("696_B", "697_D"),
    ("715_B", "716_D"),
    ("771_A", "791_B"),
    ("815_B", "816_D"),
    ("886_F", "889_D"),
    ("1031_E", "1071_C"),
    ("1083_A", "1084_D"),
    ("1242_A", "1243_C"),
    ("1242_B", "1243_D"),
    ("1280_C", "1281_E"),
    ("1286_B", "1287_D"),
    ("1540_B", "1541_D"),
}


@pytest.fixture(scope="module")
def mini():
    problems = codecontests.load(codecontests.mirror_path())
    index = leakage.Index(problems)
    return problems, index, leakage.twin_groups(problems, index, 0.8)


def test_twin_groups_recover_the_readme_pairs(mini):
    _, _, groups = mini
    pairs = {tuple(sorted(g, key=lambda k: (int(k.split("_")[0]), k))) for g in groups}
    assert README_SAME_TASK <= pairs
    # The only extra groups are the easy/hard versions the README mentions.
    assert pairs - README_SAME_TASK == {("1163_C1", "1163_C2"), ("1172_C1", "1172_C2")}
    assert ("721_C", "839_C") not in pairs


def test_temporal_split_keeps_simultaneous_twins_together(mini):
    problems, _, groups = mini
    # 60 of 300 problems (20%) have a contest id >= 1286; the README's
    # 80th-percentile id, 1281, falls between the twins 1280_C and 1281_E.
    assert splits.quantile_cutoff(problems, 0.2) == 1286
    assert sum(p.cf_contest_id >= 1286 for p in problems) == 60
    cutoff = 1281
    raw = splits.temporal_split(problems, cutoff, groups, twins="none")
    assert [sorted(g) for g in splits.crossing_groups(raw, groups)] == [["1280_C", "1281_E"]]
    clean = splits.temporal_split(problems, cutoff, groups, twins="simultaneous")
    assert splits.crossing_groups(clean, groups) == []
    assert "1281_E" in clean.train and len(clean.valid) == len(raw.valid) - 1
    contest = {p.key: p.cf_contest_id for p in problems}
    assert max(contest[k] for k in clean.train if k != "1281_E") < cutoff <= min(contest[k] for k in clean.valid)


def test_random_splits_have_the_temporal_sizes_and_are_disjoint(mini):
    problems, _, groups = mini
    temporal = splits.temporal_split(problems, 1281, groups)
    crossings = []
    for seed in range(20):
        split = splits.random_split(problems, len(temporal.valid), seed)
        assert len(split.valid) == len(temporal.valid) and len(split.train) == len(temporal.train)
        assert not set(split.train) & set(split.valid)
        assert set(split.train) | set(split.valid) == {p.key for p in problems}
        crossings.append(len(splits.crossing_groups(split, groups)))
    assert splits.random_split(problems, 60, 3) == splits.random_split(problems, 60, 3)
    # 28 groups, f ~ 0.2: about 2f(1-f) * 28 ~ 9 cross on average.
    assert 5 <= sum(crossings) / len(crossings) <= 13


def test_split_rejects_overlap_and_bad_sizes(mini):
    problems, _, _ = mini
    with pytest.raises(ValueError, match="on both sides"):
        splits.Split("x", "random", 0, None, ("1_A", "2_C"), ("2_C",))
    with pytest.raises(ValueError, match="valid_size"):
        splits.random_split(problems, 0, 0)
    with pytest.raises(ValueError, match="twins must be one of"):
        splits.temporal_split(problems, 1000, [], twins="all")


def _toy(key: str, text: str, solution: str = "print(1)\n") -> Problem:
    contest, index = key.split("_")
    return Problem(key + ". toy", text, (), (), (), (solution,), int(contest), index, 7, (), None)


def test_planted_duplicates_are_found():
    base = "alice has an array of n integers and wants the largest sum of a contiguous segment"
    other = "bob walks on a grid from the top left corner to the bottom right avoiding walls"
    third = "count the number of distinct palindromic substrings of the given string modulo a prime"
    problems = [
        _toy("10_A", base, "n=int(input())\na=list(map(int,input().split()))\nprint(max(a))\n"),
        _toy("11_A", other),
        _toy("12_A", base + " please", "n=int(input())\na=list(map(int,input().split()))\nprint(max(a))\n"),
        _toy("13_A", third),
    ]
    index = leakage.Index(problems)
    nearest = {n.valid: n for n in index.nearest(["12_A", "13_A"], ["10_A", "11_A"])}
    assert nearest["12_A"].by_statement == "10_A" and nearest["12_A"].statement_similarity > 0.8
    assert nearest["12_A"].by_solution == "10_A" and nearest["12_A"].solution_similarity == 1.0
    assert nearest["13_A"].statement_similarity < 0.2
    assert leakage.twin_groups(problems, index, 0.8) == [frozenset({"10_A", "12_A"})]
    assert index.ranked_neighbours("12_A", ["11_A", "10_A"], 1) == ["10_A"]
    assert index.ranked_neighbours("12_A", ["11_A", "10_A"], 0) == ["10_A", "11_A"]


def test_minhash_estimates_exact_jaccard(mini):
    problems, index, _ = mini
    a, b = problems[10], problems[20]
    exact = leakage.exact_jaccard(leakage.statement_shingles(a.description), leakage.statement_shingles(b.description))
    estimate = index.statement_similarity([a.key], [b.key])[0, 0]
    assert abs(estimate - exact) < 0.15  # 128 permutations: standard error <= 0.045


def test_twin_aware_splits_separate_no_twin_group_and_keep_the_size(mini):
    problems, _, groups = mini
    temporal = splits.temporal_split(problems, splits.quantile_cutoff(problems, 0.2), groups)
    size = len(temporal.valid)
    for seed in range(5):
        aware = splits.twin_aware_split(problems, size, seed, groups)
        assert len(aware.valid) == size and len(aware.train) == len(problems) - size
        assert splits.crossing_groups(aware, groups) == []
    # The same seed drawn uniformly does separate twins: the variant matters.
    assert any(splits.crossing_groups(splits.random_split(problems, size, seed), groups) for seed in range(5))


def test_untwinned_split_removes_exactly_the_training_copies_of_separated_twins(mini):
    problems, _, groups = mini
    split = splits.random_split(problems, 60, 0)
    crossing = splits.crossing_groups(split, groups)
    assert crossing, "seed 0 separates some twins"
    untwinned = splits.without_crossing_twins(split, groups)
    assert untwinned.valid == split.valid
    removed = set(split.train) - set(untwinned.train)
    assert removed == {k for g in crossing for k in g} & set(split.train)
    assert splits.crossing_groups(untwinned, groups) == []
    assert untwinned.name == "random-0-untwinned"
