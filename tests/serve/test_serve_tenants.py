"""Tenant isolation, as a property: keys with random tenant filters, requests with random filters
(any-of, globs, not, or, and), over search and ask: no chunk outside the key's tenant filter ever
comes back (ragkit.filters.matches is the reference semantics)."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ragkit.filters import matches, parse_filter
from ragkit.serve.keys import ApiKey, KeyRing, hash_key
from ragkit.serve.state import ServedRAG
from tests.serve.helpers import DOCS, make_config, start, stop, wait_ready, write_docs

pytestmark = pytest.mark.integration
SOURCES = sorted(DOCS)
TITLES = ["Alpha reactor", "Acme pump", "Beta reactor", "Globex pump", "Initech notes"]
GLOBS = ["acme/*", "globex/*", "*pump*", "*/notes.md", "*", "initech/*", "*a*", "nothing/*"]


def leaf(r: random.Random) -> dict:
    kind = r.randrange(5)
    if kind == 0:
        return {"source": r.choice(SOURCES)}
    if kind == 1:
        return {"source": r.sample(SOURCES, r.randint(1, 3))}
    if kind == 2:
        return {"source": {"glob": r.choice(GLOBS)}}
    if kind == 3:
        return {"title": {"glob": r.choice(["*reactor*", "*pump*", "Initech*"])}}
    return {"not": {"source": {"glob": r.choice(GLOBS)}}}


def random_filter(r: random.Random, depth: int = 2) -> dict:
    if depth == 0 or r.random() < 0.4:
        return leaf(r)
    op = r.choice(["and", "or", "not"])
    if op == "not":
        return {"not": random_filter(r, depth - 1)}
    return {op: [random_filter(r, depth - 1) for _ in range(r.randint(1, 3))]}


RNG = random.Random(16)
TENANT_FILTERS = [random_filter(RNG) for _ in range(12)]
KEYS = [ApiKey(f"t{i}", hash_key(f"key-{i}"), f"t{i}", f, frozenset({"query"})) for i, f in enumerate(TENANT_FILTERS)]


@pytest.fixture(scope="module")
def tenants_live(tmp_path_factory, embedder_warm):
    home = tmp_path_factory.mktemp("tenants")
    cfg = make_config(home)
    write_docs(home / "uploads", DOCS)
    rag = ServedRAG(cfg, embedder=embedder_warm)
    rag.ingest([home / "uploads"])
    live = start(cfg, rag, {}, home, keys=KeyRing(list(KEYS)))
    wait_ready(live)
    yield live
    stop(live)


request_filters = st.builds(lambda seed: random_filter(random.Random(seed), 3), st.integers(0, 10**9)) | st.none()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key_index=st.integers(0, len(KEYS) - 1), requested=request_filters,
       query=st.sampled_from(["reactor kelvin", "pump litres", "badges", "notes", "seals spring"]),
       endpoint=st.sampled_from(["search", "ask"]))
def test_no_chunk_outside_the_keys_tenant(tenants_live, key_index, requested, query, endpoint):
    key = KEYS[key_index]
    tenant = parse_filter(key.filter)
    body = {"filters": requested} if requested is not None else {}
    with tenants_live.client(f"key-{key_index}") as c:
        if endpoint == "search":
            r = c.post("/v1/search", json={"query": query, "top_k": 10, **body})
            chunks = r.json()["results"] if r.status_code == 200 else None
        else:
            r = c.post("/v1/ask", json={"question": f"What about {query}?", **body})
            chunks = r.json()["chunks"] if r.status_code == 200 else None
    assert r.status_code == 200, r.text
    for ch in chunks:
        payload = {"source": ch["source"], "title": ch["title"]}
        assert matches(tenant, payload), (key.filter, requested, ch["source"])
        if requested is not None:
            assert matches(parse_filter(requested), payload)
    if endpoint == "ask":
        allowed = {ch["source"] for ch in chunks}
        assert all(c["source"] in allowed for c in r.json()["citations"])
    # and only documents that both filters allow (the oracle over the corpus)
    if endpoint == "search":
        docs = [{"source": s, "title": DOCS_TITLES[s]} for s in SOURCES]
        expected = {d["source"] for d in docs
                    if matches(tenant, d) and (requested is None or matches(parse_filter(requested), d))}
        assert {ch["source"] for ch in chunks} <= expected


DOCS_TITLES = {s: DOCS[s].splitlines()[0].lstrip("# ") for s in SOURCES}
