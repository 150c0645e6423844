"""Metadata filters: a plain dict spec, validated into a small tree the stores translate.

The language of `VectorStore`'s `filters` argument (ragkit.protocols): it sits beside the
protocols so that the stores (index/) and the queries (retrieve/) both import it from below.
`matches` is the reference semantics every store must agree with (ragkit.testing.store).

Filter syntax (a dict; its top-level keys are ANDed)::

    {
      "source":   "a.md"                      # exact
                | ["a.md", "b.md"]            # any of
                | {"glob": "guides/*.md"},    # fnmatch glob (* ? [..]), on keyword fields
      "created":  {"gte": "2024-01-01", "lt": "2025-01-01"},   # ISO-8601 date or datetime
      "modified": "2024-03-01",               # a bare date means that whole day
      "section":  "Install",
      "page":     2 | {"gte": 1, "lte": 3},
      "<any payload field>": value,           # str, int, bool: equality; float: numeric equality;
                                              # None: the field is missing or null
      "and": [spec, ...], "or": [spec, ...], "not": spec,
    }

A field's value may also be an operator dict, its operators ANDed:
``eq``, ``ne``, ``in`` (list), ``nin`` (list), ``glob``, ``gte``, ``gt``, ``lte``, ``lt``.
Range bounds are numbers, or ISO-8601 strings (compared as datetimes). ``created`` and
``modified`` take only dates/datetimes (strings, ``date`` or ``datetime`` objects).

Semantics: an empty list, ``{"in": []}`` or a glob that matches no stored value matches
nothing (an empty result, not an error); ``{"and": []}`` matches everything, ``{"or": []}``
nothing. A field that is neither a chunk payload field nor a payload key present in the
index is a `FilterError` naming the field (a typo must not look like "no results").

Globs: Qdrant has no glob match, so the store expands a glob against the field's distinct
stored values (Python ``fnmatch.fnmatchcase``) into an any-of match before querying.

CLI form (``ragkit.retrieve.filter_args.parse_filter_args``): ``field=value`` (exact; a value with ``* ? [`` is a glob;
the same field given twice is any-of), ``field!=value``, ``field>=v``, ``field>v``, ``field<=v``,
``field<v``, ``field=a..b`` (inclusive range, either end may be empty). Values of ``page`` are
integers; of ``created``/``modified`` dates; of the other chunk fields strings; of other
payload fields an integer, float, ``true``/``false`` or else a string ("quote" it to force a
string).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable, Iterable, Mapping, Union

from ragkit.errors import FilterError

CHUNK_FIELDS = frozenset(
    {"source", "text", "start", "end", "index", "content_hash", "title", "page", "section", "created", "modified"}
)
DATETIME_FIELDS = frozenset({"created", "modified"})
INT_FIELDS = frozenset({"page", "start", "end", "index"})
STR_FIELDS = frozenset({"source", "text", "content_hash", "title", "section"})
RANGE_OPS = ("gte", "gt", "lte", "lt")
OPS = frozenset({"eq", "ne", "in", "nin", "glob", *RANGE_OPS})
GLOB_CHARS = re.compile(r"[*?\[]")

Scalar = Union[str, int, bool]


# ---- the tree -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Const:
    """Matches everything (True) or nothing (False)."""

    value: bool


@dataclass(frozen=True)
class Bool:
    op: str  # "and" | "or" | "not" (one child)
    children: tuple["Node", ...]


@dataclass(frozen=True)
class Cond:
    """One condition on one payload field.

    kind "eq": value is a scalar; "in": a tuple of scalars; "range": a tuple of (op, bound)
    pairs, bounds all numbers or all ISO strings; "glob": a pattern; "empty": missing or null.
    """

    kind: str
    field: str
    value: Any = None


Node = Union[Const, Bool, Cond]
TRUE = Const(True)
FALSE = Const(False)


# ---- parsing the dict spec ----------------------------------------------------------------------
def parse_filter(spec: Mapping[str, Any] | None, known: Iterable[str] | None = None) -> Node:
    """Validate a filter spec and turn it into a simplified tree. None or {} -> TRUE.

    With `known`, a field outside it is a FilterError (checked before simplification, so even
    a condition that could never match, like ``{"typo": []}``, is reported).
    """
    if spec is None:
        return TRUE
    tree = _parse_spec(spec, "filter")
    if known is not None:
        check_fields(tree, known)
    return simplify(tree)


def _parse_spec(spec: Any, where: str) -> Node:
    if not isinstance(spec, Mapping):
        raise FilterError(f"{where}: a filter must be a mapping of field -> condition, got {type(spec).__name__}")
    parts: list[Node] = []
    for key, value in spec.items():
        if not isinstance(key, str) or not key:
            raise FilterError(f"{where}: filter keys must be non-empty strings, got {key!r}")
        here = f"{where}.{key}"
        if key in ("and", "or"):
            if not isinstance(value, (list, tuple)):
                raise FilterError(f"{here}: expects a list of filter specs, got {type(value).__name__}")
            parts.append(Bool(key, tuple(_parse_spec(v, f"{here}[{i}]") for i, v in enumerate(value))))
        elif key == "not":
            parts.append(Bool("not", (_parse_spec(value, here),)))
        else:
            parts.append(_parse_field(key, value, here))
    return Bool("and", tuple(parts))


def _parse_field(field: str, value: Any, where: str) -> Node:
    if isinstance(value, Mapping):
        if not value:
            raise FilterError(f"{where}: empty operator mapping; use e.g. {{'gte': ..}} or a plain value")
        bad = [k for k in value if k not in OPS]
        if bad:
            raise FilterError(f"{where}: unknown operator {bad[0]!r}; use one of {sorted(OPS)}")
        parts: list[Node] = []
        bounds = [(op, _bound(field, value[op], f"{where}.{op}")) for op in RANGE_OPS if op in value]
        if bounds:
            kinds = {isinstance(b, str) for _, b in bounds}
            if len(kinds) > 1:
                raise FilterError(f"{where}: range bounds mix dates and numbers")
            parts.append(Cond("range", field, tuple(bounds)))
        if "eq" in value:
            parts.append(_equal(field, value["eq"], f"{where}.eq"))
        if "ne" in value:
            parts.append(Bool("not", (_equal(field, value["ne"], f"{where}.ne"),)))
        if "in" in value:
            parts.append(_any_of(field, value["in"], f"{where}.in"))
        if "nin" in value:
            parts.append(Bool("not", (_any_of(field, value["nin"], f"{where}.nin"),)))
        if "glob" in value:
            pat = value["glob"]
            if not isinstance(pat, str) or not pat:
                raise FilterError(f"{where}.glob: expects a non-empty pattern string, got {pat!r}")
            parts.append(Cond("glob", field, pat))
        return Bool("and", tuple(parts))
    if isinstance(value, (list, tuple, set, frozenset)):
        return _any_of(field, list(value), where)
    return _equal(field, value, where)


def _equal(field: str, value: Any, where: str) -> Node:
    if value is None:
        return Cond("empty", field)
    if field in DATETIME_FIELDS:
        text = _iso(value, where)
        if _is_date_only(text):
            day = date.fromisoformat(text)
            return Cond("range", field, (("gte", text), ("lt", (day + timedelta(days=1)).isoformat())))
        return Cond("range", field, (("gte", text), ("lte", text)))
    if isinstance(value, (datetime, date)):
        return Cond("eq", field, value.isoformat())
    if isinstance(value, float):
        if value.is_integer() and field in INT_FIELDS:
            return Cond("eq", field, int(value))
        return Cond("range", field, (("gte", value), ("lte", value)))
    if isinstance(value, (str, bool, int)):
        _check_type(field, value, where)
        return Cond("eq", field, value)
    raise FilterError(f"{where}: cannot compare with a {type(value).__name__}; use a str, int, bool, float or None")


def _any_of(field: str, values: Any, where: str) -> Node:
    if not isinstance(values, (list, tuple, set, frozenset)):
        raise FilterError(f"{where}: expects a list of values, got {type(values).__name__}")
    values = list(values)
    if not values:
        return Cond("in", field, ())  # matches nothing; simplify() folds it to FALSE
    if field in DATETIME_FIELDS or any(v is None or isinstance(v, float) for v in values):
        return Bool("or", tuple(_equal(field, v, where) for v in values))
    for v in values:
        if not isinstance(v, (str, int)) or isinstance(v, bool):
            raise FilterError(f"{where}: list values must be strings or integers, got {v!r}")
        _check_type(field, v, where)
    if len({type(v) for v in values}) > 1:
        raise FilterError(f"{where}: a list must not mix strings and integers: {values!r}")
    return Cond("in", field, tuple(dict.fromkeys(values)))


def _check_type(field: str, value: Any, where: str) -> None:
    if field in INT_FIELDS and (isinstance(value, bool) or not isinstance(value, int)):
        raise FilterError(f"{where}: {field} is an integer field, got {value!r}")
    if field in STR_FIELDS and not isinstance(value, str):
        raise FilterError(f"{where}: {field} is a text field, got {value!r}")


def _bound(field: str, value: Any, where: str) -> float | str:
    if field in DATETIME_FIELDS or isinstance(value, (str, date, datetime)):
        return _iso(value, where)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FilterError(f"{where}: a range bound must be a number or an ISO-8601 date, got {value!r}")
    return float(value) if isinstance(value, float) else int(value)


def _iso(value: Any, where: str) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise FilterError(f"{where}: {value!r} is not an ISO-8601 date or datetime (e.g. 2024-01-31)") from None
        return value
    raise FilterError(f"{where}: expects an ISO-8601 date or datetime string, got {value!r}")


def _is_date_only(text: str) -> bool:
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) is not None


# ---- tree algebra -------------------------------------------------------------------------------
def simplify(node: Node) -> Node:
    """Fold constants and flatten nested and/or; a one-child and/or becomes its child."""
    if isinstance(node, Cond) and node.kind == "in" and not node.value:
        return FALSE
    if not isinstance(node, Bool):
        return node
    kids = [simplify(c) for c in node.children]
    if node.op == "not":
        (kid,) = kids
        if isinstance(kid, Const):
            return Const(not kid.value)
        if isinstance(kid, Bool) and kid.op == "not":
            return kid.children[0]
        return Bool("not", (kid,))
    absorbing, neutral = (FALSE, TRUE) if node.op == "and" else (TRUE, FALSE)
    flat: list[Node] = []
    for k in kids:
        if k == absorbing:
            return absorbing
        if k == neutral:
            continue
        if isinstance(k, Bool) and k.op == node.op:
            flat.extend(k.children)
        else:
            flat.append(k)
    if not flat:
        return neutral
    if len(flat) == 1:
        return flat[0]
    return Bool(node.op, tuple(flat))


def fields_of(node: Node) -> set[str]:
    if isinstance(node, Cond):
        return {node.field}
    if isinstance(node, Bool):
        return set().union(*(fields_of(c) for c in node.children))
    return set()


def check_fields(node: Node, known: Iterable[str]) -> None:
    """FilterError if the tree names a field outside `known`."""
    known = set(known)
    unknown = sorted(fields_of(node) - known)
    if unknown:
        raise FilterError(
            f"filter names unknown field(s) {unknown}: not a chunk field and not in this index's payload. "
            f"Known fields: {sorted(known)}"
        )


def glob_fields(node: Node) -> set[str]:
    if isinstance(node, Cond):
        return {node.field} if node.kind == "glob" else set()
    if isinstance(node, Bool):
        return set().union(*(glob_fields(c) for c in node.children))
    return set()


def expand_globs(node: Node, values_of: Callable[[str], Iterable[Any]]) -> Node:
    """Replace each glob with an any-of over the field's stored values that match it.

    `values_of(field)` returns the field's distinct stored values. No match -> FALSE.
    """
    cache: dict[str, list[str]] = {}

    def walk(n: Node) -> Node:
        if isinstance(n, Bool):
            return Bool(n.op, tuple(walk(c) for c in n.children))
        if isinstance(n, Cond) and n.kind == "glob":
            if n.field not in cache:
                cache[n.field] = [v for v in values_of(n.field) if isinstance(v, str)]
            hits = [v for v in cache[n.field] if fnmatch.fnmatchcase(v, n.value)]
            return Cond("in", n.field, tuple(hits)) if hits else FALSE
        return n

    return simplify(walk(node))


def matches(node: Node, payload: Mapping[str, Any]) -> bool:
    """Evaluate a (glob-expanded or not) tree on one payload: the reference semantics in tests."""
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Bool):
        if node.op == "and":
            return all(matches(c, payload) for c in node.children)
        if node.op == "or":
            return any(matches(c, payload) for c in node.children)
        return not matches(node.children[0], payload)
    v = payload.get(node.field)
    if node.kind == "empty":
        return v is None or v == []
    if node.kind == "eq":
        return v == node.value and type(v) is type(node.value) or (isinstance(v, list) and node.value in v)
    if node.kind == "in":
        return v in node.value or (isinstance(v, list) and any(x in node.value for x in v))
    if node.kind == "glob":
        return isinstance(v, str) and fnmatch.fnmatchcase(v, node.value)
    if node.kind == "range":
        if v is None or isinstance(v, bool):
            return False
        for op, bound in node.value:
            if isinstance(bound, str):
                if not isinstance(v, str):
                    return False
                left, right = _as_datetime(v), _as_datetime(bound)
            else:
                if not isinstance(v, (int, float)):
                    return False
                left, right = v, bound
            ok = {"gte": left >= right, "gt": left > right, "lte": left <= right, "lt": left < right}[op]
            if not ok:
                return False
        return True
    raise ValueError(f"unknown condition kind {node.kind!r}")


def _as_datetime(text: str) -> datetime:
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        from datetime import timezone

        dt = dt.replace(tzinfo=timezone.utc)
    return dt
