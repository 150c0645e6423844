"""QdrantStore (qdrant-client): the conformance suite in memory and on a local path.

No Qdrant server binary can be installed here, so qdrant-client's own local mode stands in for
the server: the same client API, models and query shapes a server receives.
"""

from __future__ import annotations

import warnings

import pytest

from ragkit.config.loader import load_config
from ragkit.errors import ConfigError, StoreError
from ragkit.index import EdgeStore, QdrantStore, build_store
from ragkit.testing import StoreConformance

pytestmark = pytest.mark.integration


class TestQdrantMemory(StoreConformance):
    def make_store(self, path):
        return QdrantStore(":memory:", "test")


class TestQdrantLocalPath(StoreConformance):
    reopenable = True

    def make_store(self, path):
        return QdrantStore(str(path / "qdrant"), "test")


def test_location_is_required():
    with pytest.raises(StoreError, match="store.url"):
        QdrantStore("")


def test_build_store_picks_the_backend_from_config(tmp_path):
    edge = build_store(load_config(overrides={"home": str(tmp_path)}, env={}))
    assert isinstance(edge, EdgeStore) and edge.path == tmp_path / "index" / "edge"
    q = build_store(load_config(overrides={"store": {"backend": "qdrant", "url": ":memory:", "collection": "c"}}, env={}))
    assert isinstance(q, QdrantStore) and q.collection == "c"
    with pytest.raises(ConfigError, match="store.url"):
        build_store(load_config(overrides={"store": {"backend": "qdrant"}}, env={}))


def test_server_url_credentials_never_show_in_errors():
    s = QdrantStore("http://user:secret@127.0.0.1:9", "c", timeout=1)
    with warnings.catch_warnings(), pytest.raises(StoreError) as info:
        warnings.simplefilter("ignore")  # qdrant-client warns it cannot read the (absent) server's version
        s.count()
    assert "secret" not in str(info.value)
