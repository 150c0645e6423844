"""The filter tree (`ragkit.filters`) as a Qdrant filter, written once for both Qdrant libraries.

qdrant-edge-py and qdrant-client hold the same filter models under different spellings
(positional or keyword arguments; ``IsEmptyCondition(field)`` or
``IsEmptyCondition(is_empty=PayloadField(key=field))``; ``RangeFloat`` or ``Range``). Each store
hands `to_qdrant` its library's `FilterModels`: a few constructors and no logic. The walk over
the tree, the always-true/false conditions and the choice of range kind live here only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ragkit import filters as flt
from ragkit.errors import StoreError


@dataclass(frozen=True)
class FilterModels:
    """One Qdrant library's filter constructors."""

    filter: Callable[..., Any]  # (must=[...] | should=[...] | must_not=[...]) -> Filter
    match_value: Callable[[str, Any], Any]  # field equals a value (or a list field holds it)
    match_any: Callable[[str, list[Any]], Any]  # field equals one of the values
    is_empty: Callable[[str], Any]  # field missing, null or []
    number_range: Callable[[str, dict[str, float]], Any]  # bounds: gte / gt / lte / lt
    datetime_range: Callable[[str, dict[str, str]], Any]  # ISO-8601 bounds


def to_qdrant(node: flt.Node, models: FilterModels) -> Any:
    """A library Filter for a simplified (and glob-expanded) tree."""
    cond = _condition(node, models)
    return cond if isinstance(node, (flt.Const, flt.Bool)) else models.filter(must=[cond])


def _condition(node: flt.Node, m: FilterModels) -> Any:
    if isinstance(node, flt.Const):  # only inside a tree: an always-true/false condition
        never = m.match_any("source", [])
        return m.filter(must_not=[never]) if node.value else m.filter(must=[never])
    if isinstance(node, flt.Bool):
        kids = [_condition(c, m) for c in node.children]
        key = {"and": "must", "or": "should", "not": "must_not"}[node.op]
        return m.filter(**{key: kids})
    if node.kind == "eq":
        return m.match_value(node.field, node.value)
    if node.kind == "in":
        return m.match_any(node.field, list(node.value))
    if node.kind == "empty":
        return m.is_empty(node.field)
    if node.kind == "range":
        bounds = dict(node.value)
        if any(isinstance(v, str) for v in bounds.values()):
            return m.datetime_range(node.field, bounds)
        return m.number_range(node.field, {k: float(v) for k, v in bounds.items()})
    raise StoreError(f"filter condition {node.kind!r} on {node.field!r} reached the engine unexpanded")
