"""Loopback provider fixtures (tests/loopback): `loopback` server and `fake_keys` env; the local
embedder's engines (onnx_fixtures.py)."""

from tests.loopback.fixtures import fake_keys, loopback  # noqa: F401  (pytest fixtures)
from tests.models.onnx_fixtures import minilm_dir, onnx_embedder, onnx_root, torch_embedder  # noqa: F401
