"""Assertion helpers for the conformance mixins, with no test framework imported.

`raises` and `skip` behave like pytest's (`skip` uses pytest when pytest is running the test, and
`unittest.SkipTest` otherwise), so the mixins run under pytest without `ragkit` importing it.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import re
import sys
import unittest
from typing import Any, Iterator


@contextlib.contextmanager
def raises(kind: type[BaseException] | tuple[type[BaseException], ...], match: str | None = None) -> Iterator[None]:
    """The block must raise `kind`; with `match`, a message that `re.search` finds it in."""
    try:
        yield
    except kind as exc:
        if match is not None and not re.search(match, str(exc)):
            raise AssertionError(f"{type(exc).__name__} raised, but {match!r} is not in its message: {exc}") from exc
        return
    raise AssertionError(f"expected {kind} to be raised")


def skip(reason: str) -> None:
    """Skip the running test (through pytest when it runs the test, for a report at the caller)."""
    runner = sys.modules.get("pytest")
    if runner is not None:
        runner.skip(reason)
    raise unittest.SkipTest(reason)


def close(a: float, b: float, tol: float = 1e-4) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def protocol_members(protocol: type) -> dict[str, Any]:
    """name -> the protocol's declaration (a function, or the annotation of a data member)."""
    out: dict[str, Any] = {}
    for klass in reversed(protocol.__mro__):
        if klass in (object,) or klass.__name__ in ("Protocol", "Generic"):
            continue
        out.update({name: ann for name, ann in getattr(klass, "__annotations__", {}).items()})
        out.update({name: v for name, v in vars(klass).items() if not name.startswith("_") and callable(v)})
    return out


def assert_satisfies(obj: Any, protocol: type) -> None:
    """`obj` has every member of `protocol`, and each method accepts every parameter the protocol
    names (by name; `**kwargs` accepts any). Looked up statically: no property runs, nothing loads
    (isinstance on a runtime-checkable protocol evaluates properties before Python 3.12)."""
    missing, bad = [], []
    for name, decl in protocol_members(protocol).items():
        try:
            impl = inspect.getattr_static(obj, name)
        except AttributeError:
            missing.append(name)
            continue
        if not inspect.isfunction(decl):
            continue
        func = impl.__func__ if isinstance(impl, (staticmethod, classmethod)) else impl
        if not callable(func):
            bad.append(f"{name} is not callable")
            continue
        try:
            have = inspect.signature(func).parameters
        except (TypeError, ValueError):  # a builtin without a signature: nothing to compare
            continue
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in have.values()):
            continue
        wanted = [p for p in list(inspect.signature(decl).parameters)[1:] if p not in ("args", "kwargs")]
        lacking = [p for p in wanted if p not in have]
        if lacking:
            bad.append(f"{name}() does not take {lacking}")
    if missing or bad:
        raise AssertionError(f"{type(obj).__name__} does not satisfy {protocol.__name__}: "
                             + "; ".join([f"missing {missing}"] * bool(missing) + bad))
