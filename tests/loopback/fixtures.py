"""pytest fixtures for the loopback provider server. Make them visible to a test folder with

    from tests.loopback.fixtures import fake_keys, loopback  # noqa: F401   (in its conftest.py)

* ``loopback``  - a started :class:`LoopbackServer` (one per test), closed afterwards; script it
  with ``loopback.script(model_or_None, Reply.ok("canned answer", input_tokens=..., ...), ...)``,
  or set ``loopback.default`` / ``loopback.responder`` for every request.
* ``fake_keys`` - sets OPENAI_API_KEY / ANTHROPIC_API_KEY to throwaway values for the test, and
  allows keys to go to the loopback server ($RAGKIT_SECURITY__ALLOW_KEY_HOSTS=127.0.0.1): without
  that, ragkit sends a key only to its provider's own host (ragkit/config/security.py).

Helpers build config sections that point a route at the server::

    cfg = load_config(overrides={"llm": {"small": openai_route(loopback, "gpt-4o-mini")}})
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.loopback.server import LoopbackServer

FAKE_OPENAI_KEY = "sk-loopback-openai-SECRET-0123456789"
FAKE_ANTHROPIC_KEY = "sk-ant-loopback-SECRET-9876543210"


@pytest.fixture
def loopback():
    with LoopbackServer() as server:
        yield server


@pytest.fixture
def fake_keys(monkeypatch) -> dict[str, str]:
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_OPENAI_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_ANTHROPIC_KEY)
    monkeypatch.setenv("RAGKIT_SECURITY__ALLOW_KEY_HOSTS", "127.0.0.1")  # the loopback server may get them
    return {"openai": FAKE_OPENAI_KEY, "anthropic": FAKE_ANTHROPIC_KEY}


def openai_route(server: LoopbackServer, model: str = "gpt-4o-mini", **extra: Any) -> dict[str, Any]:
    """A `llm.small` / `llm.large` config section for the OpenAI provider on the loopback server."""
    return {"provider": "openai", "model": model, "base_url": server.openai_base_url, "timeout_s": 2.0, **extra}


def anthropic_route(server: LoopbackServer, model: str = "claude-haiku-4-5", **extra: Any) -> dict[str, Any]:
    """A route config section for the Anthropic provider on the loopback server."""
    return {"provider": "anthropic", "model": model, "base_url": server.anthropic_base_url, "timeout_s": 2.0,
            **extra}
