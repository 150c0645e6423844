"""`--filter` arguments (ragkit.retrieve.filter_args) -> filter spec dicts that ragkit.filters accepts."""

from __future__ import annotations

import pytest

from ragkit import filters as flt
from ragkit.errors import FilterError
from ragkit.retrieve.filter_args import parse_filter_args

pytestmark = pytest.mark.unit


def test_parse_filter_args_example():
    spec = parse_filter_args(["source=guides/*.md", "page=1..3", "created>=2024-01-01", "section=Install"])
    assert spec == {"source": {"glob": "guides/*.md"}, "page": {"gte": 1, "lte": 3},
                    "created": {"gte": "2024-01-01"}, "section": "Install"}
    flt.parse_filter(spec)  # and it is a valid spec


def test_parse_filter_args_forms():
    assert parse_filter_args(["source=a.md", "source=b.md"]) == {"source": ["a.md", "b.md"]}
    assert parse_filter_args(["page!=2", "page!=3"]) == {"page": {"nin": [2, 3]}}
    assert parse_filter_args(["created>=2024-01-01", "created<2025-01-01"]) == \
        {"created": {"gte": "2024-01-01", "lt": "2025-01-01"}}
    assert parse_filter_args(["page=2.."]) == {"page": {"gte": 2}}
    assert parse_filter_args(["stars=3", "ok=true", "ratio=0.5", "lang=de"]) == \
        {"stars": 3, "ok": True, "ratio": 0.5, "lang": "de"}
    assert parse_filter_args(['section="1..2*"', "title='42'"]) == {"section": "1..2*", "title": "42"}
    assert parse_filter_args(["section = Getting started"]) == {"section": "Getting started"}


@pytest.mark.parametrize("arg,needle", [
    ("page", "expected FIELD=VALUE"), ("page=", "missing value"), ("page=x", "integer"),
    ("page=..", "at least one end"),
])
def test_parse_filter_args_errors(arg, needle):
    with pytest.raises(FilterError, match=needle):
        parse_filter_args([arg])


def test_parse_filter_args_conflicts():
    with pytest.raises(FilterError, match="already has"):
        parse_filter_args(["page>=1", "page>=2"])
