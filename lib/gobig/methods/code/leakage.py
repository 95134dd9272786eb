"""Near-duplicate search between problems, by statement and by solution.

MinHash signatures (datasketch) estimate the Jaccard similarity of two
documents' shingle sets: word 3-grams for statements, token 4-grams for
code. For each validation problem the nearest training problem is the one
with the largest estimated Jaccard; a validation problem "has a near
duplicate in training" when that similarity reaches a threshold. Exact
Jaccard would do at 300 problems; MinHash keeps the same code usable at
CodeContests' 13k (and LSH could index it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

from gobig.data.codecontests import Problem

NUM_PERM = 128
SEED = 1
_WORD = re.compile(r"[a-z0-9]+")
_CODE_TOKEN = re.compile(r"[A-Za-z_]\w*|\d+|\S")


def statement_shingles(text: str, k: int = 3) -> set[str]:
    words = _WORD.findall(text.lower())
    return {" ".join(words[i : i + k]) for i in range(max(1, len(words) - k + 1))}


def code_shingles(source: str, k: int = 4) -> set[str]:
    tokens = _CODE_TOKEN.findall(source)
    return {" ".join(tokens[i : i + k]) for i in range(max(1, len(tokens) - k + 1))}


def signature(shingles: set[str]) -> np.ndarray:
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED)
    minhash.update_batch([s.encode("utf-8") for s in sorted(shingles)])
    return minhash.hashvalues.copy()


def signatures(texts: list[str], shingler) -> np.ndarray:
    """(len(texts), NUM_PERM) MinHash signatures."""
    return np.stack([signature(shingler(t)) for t in texts]) if texts else np.zeros((0, NUM_PERM), np.uint64)


def similarity_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard of every row of ``a`` with every row of ``b``:
    the share of hash functions on which the two minima agree."""
    return (a[:, None, :] == b[None, :, :]).mean(axis=-1)


def exact_jaccard(x: set[str], y: set[str]) -> float:
    return len(x & y) / len(x | y) if x | y else 1.0


@dataclass(frozen=True)
class Nearest:
    """A validation problem's nearest training problem, per similarity."""

    valid: str
    by_statement: str
    statement_similarity: float
    by_solution: str | None
    solution_similarity: float | None


class Index:
    """Statement and solution signatures of a set of problems, computed once."""

    def __init__(self, problems: list[Problem]):
        self.keys = [p.key for p in problems]
        self.position = {key: i for i, key in enumerate(self.keys)}
        self.statements = signatures([p.description for p in problems], statement_shingles)
        # One signature per problem: its first Python 3 solution (or none).
        self.has_solution = np.array([bool(p.solutions) for p in problems])
        self.solutions = signatures([p.solutions[0] if p.solutions else "" for p in problems], code_shingles)

    def _rows(self, keys) -> np.ndarray:
        return np.array([self.position[k] for k in keys], dtype=int)

    def statement_similarity(self, rows_a, rows_b) -> np.ndarray:
        return similarity_matrix(self.statements[self._rows(rows_a)], self.statements[self._rows(rows_b)])

    def nearest(self, valid: list[str], train: list[str]) -> list[Nearest]:
        """Each validation problem's nearest training problem."""
        statement = self.statement_similarity(valid, train)
        train_rows = self._rows(train)
        solution = similarity_matrix(self.solutions[self._rows(valid)], self.solutions[train_rows])
        solution[:, ~self.has_solution[train_rows]] = -1.0
        result = []
        for i, key in enumerate(valid):
            s = int(statement[i].argmax())
            c = int(solution[i].argmax())
            has = self.has_solution[self.position[key]] and solution[i, c] >= 0
            result.append(
                Nearest(
                    valid=key,
                    by_statement=train[s],
                    statement_similarity=float(statement[i, s]),
                    by_solution=train[c] if has else None,
                    solution_similarity=float(solution[i, c]) if has else None,
                )
            )
        return result

    def ranked_neighbours(self, valid_key: str, train: list[str], count: int) -> list[str]:
        """The ``count`` training problems most similar by statement (0 = all), most similar first."""
        similarity = self.statement_similarity([valid_key], train)[0]
        order = np.argsort(-similarity, kind="stable")
        return [train[i] for i in (order if count == 0 else order[:count])]


def twin_groups(problems: list[Problem], index: Index, threshold: float = 0.8) -> list[frozenset[str]]:
    """Groups of problems whose statements are near duplicates of each
    other (connected components of the pairs at or above ``threshold``)."""
    keys = [p.key for p in problems]
    similarity = index.statement_similarity(keys, keys)
    np.fill_diagonal(similarity, 0.0)
    parent = list(range(len(keys)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(similarity >= threshold))):
        parent[find(i)] = find(j)
    groups: dict[int, set[str]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(find(i), set()).add(key)
    return sorted((frozenset(g) for g in groups.values() if len(g) > 1), key=lambda g: sorted(g))
