"""Reading the pass matrix (every training solution on every problem's tests,
computed once): a split's baseline solves, the matrix's cost, and the date
curve's rows."""

from __future__ import annotations

from gobig.methods.code import leakage


def passing_owners(matrix: dict, key: str) -> list[str]:
    """The problems whose solution passes every test of problem ``key``."""
    owners = matrix["solutions"]
    return sorted(
        {owner for digest, (ok, _, _) in matrix["cells"].get(key, {}).items() if ok for owner in owners[digest]}
    )


def baseline_from_matrix(matrix: dict, valid: list, train: set[str]) -> tuple[list[dict], dict[str, dict]]:
    """A split's baseline and judge trust, read off the pass matrix: a
    validation problem is trusted if its own solution passes all its tests,
    and solved if some training problem's solution does."""
    owners = matrix["solutions"]
    baseline, trust = [], {}
    for problem in valid:
        cells = matrix["cells"].get(problem.key, {})
        own = [cell for digest, cell in cells.items() if problem.key in owners[digest]]
        if not problem.solutions:
            trust[problem.key] = {"trusted": False, "reason": "no Python 3 solution"}
        elif not problem.all_tests:
            trust[problem.key] = {"trusted": False, "reason": "no tests"}
        elif own and own[0][0]:
            trust[problem.key] = {"trusted": True, "reason": ""}
        else:
            trust[problem.key] = {
                "trusted": False,
                "reason": f"reference solution fails its own tests ({own[0][1] if own else 'not run'})",
            }
        if not trust[problem.key]["trusted"]:
            continue
        tried = {d: c for d, c in cells.items() if any(o in train for o in owners[d])}
        solved_by = [k for k in passing_owners(matrix, problem.key) if k in train]
        baseline.append(
            {
                "valid": problem.key,
                "solved": bool(solved_by),
                "solved_by": solved_by,
                "candidates": len(tried),
                "test_runs": sum(c[2] for c in tried.values()),
            }
        )
    return baseline, trust


def matrix_cost(matrix: dict, nearest: int) -> dict:
    return {
        "test_runs": matrix["test_runs"],
        "wall_s": matrix["wall_s"],
        "pairs": sum(len(c) for c in matrix["cells"].values()),
        "problems": len(matrix["cells"]),
        "distinct_solutions": len(matrix["solutions"]),
        "nearest": nearest,
        "protocol": "every solution" if not nearest else f"nearest {nearest} by statement (speed-up)",
        "isolation": matrix["isolation"],
    }


def curve_rows(
    problems: list,
    pool: list,
    train: set[str],
    index: leakage.Index,
    matrix: dict,
    threshold: float,
    after: str,
    trust: dict | None = None,
) -> list[dict]:
    pool_train = [p.key for p in pool if p.key in train]
    rows = []
    for problem in problems:
        others = [k for k in pool_train if k != problem.key]
        similarity = index.statement_similarity([problem.key], others)[0]
        nearest = int(similarity.argmax())
        if trust is None:
            own = [c for d, c in matrix["cells"].get(problem.key, {}).items() if problem.key in matrix["solutions"][d]]
            trusted = bool(own and own[0][0])
        else:
            trusted = trust[problem.key]["trusted"]
        solved_by = (
            [k for k in passing_owners(matrix, problem.key) if k in train and k != problem.key] if trusted else []
        )
        rows.append(
            {
                "problem": problem.key,
                "contest_id": problem.cf_contest_id,
                "side": "training (leave-one-out)" if problem.key in train else after,
                "nearest": others[nearest],
                "similarity": float(similarity[nearest]),
                "near_duplicate": bool(similarity[nearest] >= threshold),
                "trusted": trusted,
                "solved": bool(solved_by) if trusted else None,
                "solved_by": solved_by,
            }
        )
    return rows
