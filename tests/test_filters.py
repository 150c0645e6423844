"""The filter spec (ragkit.filters): parsing, tree algebra, glob expansion, reference semantics."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ragkit import filters as flt
from ragkit.errors import FilterError
from ragkit.filters import FALSE, TRUE, Bool, Cond

pytestmark = pytest.mark.unit


def test_top_level_keys_are_anded():
    node = flt.parse_filter({"source": "a.md", "page": 2})
    assert node == Bool("and", (Cond("eq", "source", "a.md"), Cond("eq", "page", 2)))


def test_value_forms():
    assert flt.parse_filter({"source": ["a", "b", "a"]}) == Cond("in", "source", ("a", "b"))
    assert flt.parse_filter({"source": {"glob": "g/*.md"}}) == Cond("glob", "source", "g/*.md")
    assert flt.parse_filter({"section": None}) == Cond("empty", "section")
    assert flt.parse_filter({"score": 0.5}) == Cond("range", "score", (("gte", 0.5), ("lte", 0.5)))
    assert flt.parse_filter({"page": {"gte": 1, "lte": 3}}) == Cond("range", "page", (("gte", 1), ("lte", 3)))
    assert flt.parse_filter({"page": {"ne": 2}}) == Bool("not", (Cond("eq", "page", 2),))


def test_dates():
    day = flt.parse_filter({"created": "2024-02-29"})
    assert day == Cond("range", "created", (("gte", "2024-02-29"), ("lt", "2024-03-01")))
    assert flt.parse_filter({"modified": {"gte": date(2024, 1, 1)}}) == Cond("range", "modified", (("gte", "2024-01-01"),))
    instant = flt.parse_filter({"created": "2024-01-01T10:00:00Z"})
    assert instant == Cond("range", "created", (("gte", "2024-01-01T10:00:00Z"), ("lte", "2024-01-01T10:00:00Z")))


@pytest.mark.parametrize("spec,needle", [
    ({"page": {"between": [1, 2]}}, "unknown operator"),
    ({"created": {"gte": "yesterday"}}, "ISO-8601"),
    ({"created": 2024}, "ISO-8601"),
    ({"page": "two"}, "integer field"),
    ({"source": 3}, "text field"),
    ({"page": {"gte": True}}, "range bound"),
    ({"source": ["a", 1]}, "text field"),
    ({"tags": ["a", 1]}, "mix"),
    ({"or": {"page": 1}}, "list of filter specs"),
    ({"and": ["page"]}, "mapping"),
    ({"page": {}}, "empty operator"),
    ({"source": {"glob": ""}}, "pattern"),
    ({"page": {"gte": 1, "lt": "2024-01-01"}}, "mix dates and numbers"),
    ({"tags": [[1]]}, "strings or integers"),
    ({"x": object()}, "cannot compare"),
])
def test_malformed_specs_name_the_problem(spec, needle):
    with pytest.raises(FilterError, match=needle):
        flt.parse_filter(spec)


def test_unknown_fields_are_errors_even_when_nothing_could_match():
    known = flt.CHUNK_FIELDS
    with pytest.raises(FilterError, match=r"\['autor'\]"):
        flt.parse_filter({"autor": "x"}, known)
    with pytest.raises(FilterError, match="typo"):
        flt.parse_filter({"not": {"typo": []}}, known)
    assert flt.parse_filter({"lang": "de"}, known | {"lang"}) == Cond("eq", "lang", "de")


def test_simplify_folds_constants():
    a, b = Cond("eq", "x", 1), Cond("eq", "y", 2)
    assert flt.simplify(Bool("and", (a, TRUE))) == a
    assert flt.simplify(Bool("and", (a, FALSE))) == FALSE
    assert flt.simplify(Bool("or", (a, TRUE))) == TRUE
    assert flt.simplify(Bool("or", (FALSE, FALSE))) == FALSE
    assert flt.simplify(Bool("not", (Bool("not", (a,)),))) == a
    assert flt.simplify(Bool("and", (a, Bool("and", (b, a))))) == Bool("and", (a, b, a))
    assert flt.parse_filter({"and": []}) == TRUE and flt.parse_filter({"or": []}) == FALSE
    assert flt.parse_filter({}) == TRUE and flt.parse_filter(None) == TRUE
    assert flt.parse_filter({"source": []}) == FALSE
    assert flt.parse_filter({"not": {"source": []}}) == TRUE


def test_expand_globs():
    values = ["guides/a.md", "guides/b.txt", "notes/c.md"]
    node = flt.parse_filter({"source": {"glob": "guides/*"}})
    assert flt.expand_globs(node, lambda f: values) == Cond("in", "source", ("guides/a.md", "guides/b.txt"))
    assert flt.expand_globs(flt.parse_filter({"source": {"glob": "*.pdf"}}), lambda f: values) == FALSE
    assert flt.expand_globs(flt.parse_filter({"not": {"source": {"glob": "*.pdf"}}}), lambda f: values) == TRUE
    assert flt.expand_globs(flt.parse_filter({"source": {"glob": "[gn]*/?.md"}}), lambda f: values) == \
        Cond("in", "source", ("guides/a.md", "notes/c.md"))


def test_matches_reference_semantics():
    p = {"source": "a.md", "page": 3, "created": "2024-05-01", "tags": ["x", "y"], "section": None}
    assert flt.matches(flt.parse_filter({"page": {"gt": 2, "lte": 3}}), p)
    assert flt.matches(flt.parse_filter({"created": "2024-05-01"}), p)
    assert not flt.matches(flt.parse_filter({"created": {"lt": "2024-05-01"}}), p)
    assert flt.matches(flt.parse_filter({"tags": "y"}), p)
    assert flt.matches(flt.parse_filter({"section": None}), p)
    assert flt.matches(flt.parse_filter({"missing": None}), p)
    assert not flt.matches(flt.parse_filter({"or": [{"page": 1}, {"source": "b.md"}]}), p)


# ---- tree algebra invariant ---------------------------------------------------------------------
_leaves = st.sampled_from([Cond("eq", "a", 1), Cond("eq", "b", "x"), Cond("in", "a", (1, 2)), Cond("empty", "b"),
                           Cond("range", "a", (("gte", 2),)), TRUE, FALSE, Cond("in", "a", ())])
_trees = st.recursive(_leaves, lambda kids: st.one_of(
    st.lists(kids, max_size=3).map(lambda k: Bool("and", tuple(k))),
    st.lists(kids, max_size=3).map(lambda k: Bool("or", tuple(k))),
    kids.map(lambda k: Bool("not", (k,)))), max_leaves=8)
_payloads = st.fixed_dictionaries({}, optional={"a": st.integers(0, 3), "b": st.sampled_from(["x", "y", None])})


@settings(max_examples=200, deadline=None)
@given(_trees, _payloads)
def test_simplify_preserves_meaning(tree, payload):
    assert flt.matches(flt.simplify(tree), payload) == flt.matches(tree, payload)
