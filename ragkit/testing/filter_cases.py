"""Filter specs for the store tests: hand-counted cases on the corpus, and random trees (seeded).

Each random spec is checked against `ragkit.filters.matches`, the reference semantics.
"""

from __future__ import annotations

import random
from typing import Any

# (spec, how many corpus chunks it matches)
FILTER_CASES: list[tuple[dict[str, Any], int]] = [
    ({"source": "guides/install.md"}, 2),
    ({"source": ["guides/query.md", "notes/cooking.txt"]}, 3),
    ({"source": {"glob": "guides/*.md"}}, 4),
    ({"source": {"glob": "*.txt"}}, 2),
    ({"source": {"glob": "nowhere/*"}}, 0),
    ({"created": {"gte": "2024-01-01", "lt": "2025-01-01"}}, 4),
    ({"modified": {"gt": "2024-06-01T10:00:00Z"}}, 2),
    ({"modified": "2024-06-01"}, 2),
    ({"section": "Install"}, 1),
    ({"section": None}, 1),
    ({"page": {"gte": 1, "lte": 3}}, 4),
    ({"page": 4}, 1),
    ({"lang": "de"}, 1),
    ({"stars": 2}, 2),
    ({"title": "cats.pdf", "page": {"gt": 4}}, 1),
    ({"or": [{"section": "Planets"}, {"section": "Bread"}]}, 2),
    ({"not": {"source": {"glob": "guides/*"}}}, 4),
    ({"source": {"glob": "guides/*"}, "not": {"page": 1}}, 2),
    ({"and": [{"lang": "en"}, {"or": [{"page": 5}, {"section": "Search"}]}]}, 2),
    ({"source": []}, 0),
    ({"and": []}, 8),
]

UNKNOWN_FIELD_SPECS = [
    {"autor": "x"},
    {"or": [{"page": 1}, {"sectoin": "Install"}]},
    {"not": {"typo": []}},
]

MALFORMED_SPECS = [{"page": {"between": 1}}, {"created": {"gte": "last tuesday"}}, {"page": "one"}, {"or": {"page": 1}}]

_VALUES: dict[str, list[Any]] = {
    "source": ["guides/install.md", "guides/query.md", "papers/cats.pdf", "notes/cooking.txt", "missing.md"],
    "section": ["Install", "Search", "Planets", "Nope", None],
    "page": [1, 2, 3, 4, 5],
    "lang": ["en", "de", "fr"],
    "stars": [0, 1, 2],
}
_GLOBS = ["guides/*", "*.txt", "papers/c?ts.pdf", "[gn]*", "x*"]
_DATES = ["2023-01-01", "2024-02-01", "2024-03-02", "2025-01-01"]


def _leaf(rng: random.Random) -> dict[str, Any]:
    kind = rng.randrange(6)
    field = rng.choice(sorted(_VALUES))
    if kind == 0:
        return {field: rng.choice(_VALUES[field])}
    if kind == 1:
        field = rng.choice([f for f in sorted(_VALUES) if f != "section"])
        return {field: [rng.choice(_VALUES[field]) for _ in range(rng.randint(1, 3))]}
    if kind == 2:
        return {"source": {"glob": rng.choice(_GLOBS)}}
    if kind == 3:
        return {"page": {"gte": rng.randint(0, 5), "lt": rng.randint(0, 6)}}
    if kind == 4:
        return {"created": {rng.choice(["gte", "gt", "lte", "lt"]): rng.choice(_DATES)}}
    return {"section": {"ne": rng.choice(["Install", "Bread"])}}


def _tree(rng: random.Random, depth: int) -> dict[str, Any]:
    if depth == 0 or rng.random() < 0.4:
        return _leaf(rng)
    op = rng.choice(["and", "or", "not"])
    if op == "not":
        return {"not": _tree(rng, depth - 1)}
    return {op: [_tree(rng, depth - 1) for _ in range(rng.randint(1, 3))]}


def random_filter_specs(n: int = 60, seed: int = 0) -> list[dict[str, Any]]:
    """`n` random filter trees (and/or/not over every condition kind), the same for a seed."""
    rng = random.Random(seed)
    return [_tree(rng, 3) for _ in range(n)]
