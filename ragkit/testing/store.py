"""StoreConformance: the behaviour every `VectorStore` backend must show. Subclass it per backend::

    class TestMyStore(StoreConformance):
        reopenable = True                     # the data survives close() and a new object

        def make_store(self, path):           # a new, unopened store under `path` (or in memory)
            return MyStore(path)

        def make_embedder(self):              # optional: the corpus's embedder (default: local MiniLM)
            return MyEmbedder()

The tests fill stores with a small corpus (ragkit.testing.corpus) and check data handling and
filters against `ragkit.filters.matches` (store_data.py), and every search score against the
formulas of the protocol, computed with numpy (store_search.py, reference.py).
"""

from __future__ import annotations

from ragkit.testing.store_data import StoreDataConformance
from ragkit.testing.store_search import StoreSearchConformance


class StoreConformance(StoreDataConformance, StoreSearchConformance):
    """Subclasses define `make_store(self, path)`; see the module docstring."""
