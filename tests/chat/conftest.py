"""Loopback provider fixtures (tests/loopback): `loopback` server and `fake_keys` env."""

from tests.loopback.fixtures import fake_keys, loopback  # noqa: F401  (pytest fixtures)
