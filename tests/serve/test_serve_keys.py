"""Keys from a file (hashed) and the environment; the loopback-only rule without keys; the limiter."""

from __future__ import annotations

import json

import pytest

from ragkit.errors import ConfigError
from ragkit.serve.keys import hash_key, load_keys
from ragkit.serve.ratelimit import RateLimiter
from ragkit.serve.server import check_bind

pytestmark = pytest.mark.unit


def test_keys_from_file_and_env(tmp_path):
    f = tmp_path / "keys.json"
    f.write_text(json.dumps({"keys": [{"id": "a", "sha256": hash_key("sk-a"), "tenant": "acme", "roles": ["ingest"]}]}))
    ring = load_keys(str(f), {"RAGKIT_API_KEYS": "sk-b:globex:query; sk-root::admin"})
    a, b, root = ring.lookup("sk-a"), ring.lookup("sk-b"), ring.lookup("sk-root")
    assert a.filter == {"source": {"glob": "acme/*"}} and a.allows("ingest") and not a.allows("admin")
    assert b.tenant == "globex" and b.allows("query") and not b.allows("ingest")
    assert root.filter is None and root.allows("ingest") and ring.lookup("sk-x") is None
    assert "sk-b" not in repr(ring.keys)  # only digests are kept


@pytest.mark.parametrize("entry, says", [
    ({"sha256": "abc"}, "64 hex"),
    ({"key": "sk-plain", "sha256": "0" * 64}, "unknown field"),
    ({"sha256": "0" * 64, "roles": ["query"]}, "only an admin key"),
    ({"sha256": "0" * 64, "tenant": "a/b"}, "tenant must be"),
    ({"sha256": "0" * 64, "tenant": "t", "roles": ["root"]}, "unknown role"),
    ({"sha256": "0" * 64, "tenant": "t", "filter": {"page": {"bad": 1}}}, "unknown operator"),
])
def test_bad_key_entries_are_named(tmp_path, entry, says):
    f = tmp_path / "keys.yaml"
    f.write_text(json.dumps({"keys": [entry]}))
    with pytest.raises(ConfigError, match=says):
        load_keys(str(f), {})


def test_no_keys_means_loopback_only():
    assert "this machine only" in check_bind("127.0.0.1", False)
    assert check_bind("0.0.0.0", True) is None
    with pytest.raises(ConfigError, match="loopback"):
        check_bind("0.0.0.0", False)


def test_token_bucket():
    now = [0.0]
    rl = RateLimiter(clock=lambda: now[0])
    assert [rl.take("k", 60, 2) for _ in range(2)] == [0.0, 0.0]
    assert rl.take("k", 60, 2) == pytest.approx(1.0)
    assert rl.take("other", 60, 2) == 0.0
    now[0] = 1.0
    assert rl.take("k", 60, 2) == 0.0
