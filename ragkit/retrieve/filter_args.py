"""`--filter` arguments of `ragkit search` / `ragkit query` -> a filter spec dict.

The syntax is described in `ragkit.filters` (its "CLI form"); the result is validated
there, by `parse_filter`, like any other spec.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from ragkit.errors import FilterError
from ragkit.filters import DATETIME_FIELDS, GLOB_CHARS, INT_FIELDS, STR_FIELDS

_ARG = re.compile(r"^\s*(?P<key>[A-Za-z_][\w.\-]*)\s*(?P<op>>=|<=|!=|=|>|<)\s*(?P<val>.*?)\s*$", re.S)


def parse_filter_args(args: Sequence[str]) -> dict[str, Any]:
    """`["source=guides/*.md", "page=1..3", "created>=2024-01-01"]` -> a filter spec dict."""
    spec: dict[str, Any] = {}
    for arg in args:
        m = _ARG.match(arg)
        if not m:
            raise FilterError(f"--filter {arg!r}: expected FIELD=VALUE, FIELD!=VALUE, FIELD>=VALUE, FIELD<VALUE ...")
        key, op, raw = m["key"], m["op"], m["val"]
        if raw == "":
            raise FilterError(f"--filter {arg!r}: missing value after {op!r}")
        ops: dict[str, Any] = {}
        quoted = len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\""
        if op == "=" and not quoted and ".." in raw:
            lo, hi = raw.split("..", 1)
            if lo:
                ops["gte"] = _cli_value(key, lo, arg)
            if hi:
                ops["lte"] = _cli_value(key, hi, arg)
            if not ops:
                raise FilterError(f"--filter {arg!r}: a range needs at least one end, e.g. page=1..3")
        elif op == "=" and not quoted and GLOB_CHARS.search(raw):
            ops["glob"] = raw
        elif op == "=":
            ops["eq"] = _cli_value(key, raw, arg)
        elif op == "!=":
            ops["ne"] = _cli_value(key, raw, arg)
        else:
            ops[{">=": "gte", ">": "gt", "<=": "lte", "<": "lt"}[op]] = _cli_value(key, raw, arg)
        _merge_cli(spec, key, ops, arg)
    return {k: _collapse(v) for k, v in spec.items()}


def _merge_cli(spec: dict[str, Any], key: str, ops: dict[str, Any], arg: str) -> None:
    cur = spec.setdefault(key, {})
    for op, v in ops.items():
        if op == "eq" and ("eq" in cur or "in" in cur):  # the same field twice: any of
            cur["in"] = [*cur.pop("in", [cur.pop("eq", None)]), v]
        elif op == "ne" and ("ne" in cur or "nin" in cur):
            cur["nin"] = [*cur.pop("nin", [cur.pop("ne", None)]), v]
        elif op in cur:
            raise FilterError(f"--filter {arg!r}: {key} already has a {op!r} condition")
        else:
            cur[op] = v


def _collapse(ops: dict[str, Any]) -> Any:
    if set(ops) == {"eq"}:
        return ops["eq"]
    if set(ops) == {"in"}:
        return ops["in"]
    return ops


def _cli_value(key: str, raw: str, arg: str) -> Any:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    if key in INT_FIELDS:
        try:
            return int(raw)
        except ValueError:
            raise FilterError(f"--filter {arg!r}: {key} takes an integer, got {raw!r}") from None
    if key in DATETIME_FIELDS or key in STR_FIELDS:
        return raw
    low = raw.lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(raw)
        except ValueError:
            pass
    return raw
