"""Where API keys go (issue 13 item 7), over real HTTP: the real SDKs against loopback servers.

A key variable is sent only to the host it is meant for: OPENAI_API_KEY to api.openai.com,
ANTHROPIC_API_KEY to api.anthropic.com, QDRANT_API_KEY / *_API_KEY to their endpoint's own
non-loopback host; any other host (loopback included) only when allowed explicitly
(security.allow_key_hosts or $RAGKIT_SECURITY__ALLOW_KEY_HOSTS). Anything else is refused
before the first request, or (the default OpenAI / Qdrant key) simply not sent.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.loopback.fixtures import openai_route
from tests.loopback.server import Reply
from ragkit.config import load_config
from ragkit.errors import AuthenticationError, ConfigError
from ragkit.models.llm import build_llm
from ragkit.models.llm.anthropic_provider import AnthropicProvider
from ragkit.models.llm.openai_provider import OpenAIProvider
from ragkit.types import Message

pytestmark = pytest.mark.integration
SECRET = "sk-this-must-never-leave-0123456789abcdef"
ALLOW = "RAGKIT_SECURITY__ALLOW_KEY_HOSTS"
MSGS = [Message("user", "What is the capital of France?")]


@pytest.fixture
def clean_env(monkeypatch):
    """No allow-list and no SDK base-URL variables from the test run's environment."""
    for name in (ALLOW, "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY",
                 "QDRANT_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _sent(server, secret: str = SECRET) -> bool:
    return any(secret in v for s in server.seen for v in s.headers.values())


def _call(fn):
    """Run `fn`; return the ConfigError it raised (None if it completed)."""
    try:
        fn()
    except ConfigError as exc:
        return exc
    return None


# ---- the hole: any variable, any host -----------------------------------------------------------
def test_an_arbitrary_variable_is_never_sent_as_a_bearer_token(loopback, clean_env):
    clean_env.setenv("SOME_SECRET_VAR", SECRET)
    loopback.script(None, Reply.ok("Paris."))

    def ask():
        cfg = load_config(overrides={"llm": {"small": openai_route(loopback, api_key_env="SOME_SECRET_VAR")}}, env={})
        build_llm(cfg.llm.small).complete(MSGS, max_tokens=8, temperature=0)

    err = _call(ask)
    assert not _sent(loopback), "the variable was sent to the configured host"
    assert err is not None and "llm.small.api_key_env" in str(err) and SECRET not in str(err)
    # the provider refuses it too when built without a config
    err = _call(lambda: OpenAIProvider("m", base_url=loopback.openai_base_url, api_key_env="SOME_SECRET_VAR")
                .complete(MSGS, max_tokens=8, temperature=0))
    assert err is not None and loopback.seen == []


def test_the_openai_key_is_not_sent_to_another_host(loopback, clean_env):
    clean_env.setenv("OPENAI_API_KEY", SECRET)
    loopback.script(None, Reply.ok("Paris."))
    c = OpenAIProvider("gpt-4o-mini", base_url=loopback.openai_base_url).complete(MSGS, max_tokens=8, temperature=0)
    assert c.text == "Paris."  # a keyless OpenAI-compatible server still works
    assert len(loopback.seen) == 1 and not _sent(loopback)


def test_the_sdk_base_url_variable_does_not_carry_the_key_away(loopback, clean_env):
    clean_env.setenv("OPENAI_API_KEY", SECRET)
    clean_env.setenv("OPENAI_BASE_URL", loopback.openai_base_url)
    loopback.script(None, Reply.ok("Paris."))
    OpenAIProvider("gpt-4o-mini").complete(MSGS, max_tokens=8, temperature=0)
    assert len(loopback.seen) == 1 and not _sent(loopback)


def test_a_withheld_key_is_named_when_the_server_wants_one(loopback, clean_env):
    clean_env.setenv("OPENAI_API_KEY", SECRET)
    loopback.script(None, Reply.auth_error())
    with pytest.raises(AuthenticationError) as info:
        OpenAIProvider("gpt-4o-mini", base_url=loopback.openai_base_url).complete(MSGS, max_tokens=8, temperature=0)
    msg = str(info.value)
    assert "sent no key" in msg and "allow_key_hosts" in msg and SECRET not in msg and not _sent(loopback)


def test_the_anthropic_key_is_refused_for_another_host(loopback, clean_env):
    clean_env.setenv("ANTHROPIC_API_KEY", SECRET)
    err = _call(lambda: AnthropicProvider("claude-haiku-4-5", base_url=loopback.anthropic_base_url)
                .complete(MSGS, max_tokens=8, temperature=0))
    assert not _sent(loopback) and loopback.seen == []
    assert err is not None and "ANTHROPIC_API_KEY" in str(err) and "api.anthropic.com" in str(err)
    assert SECRET not in str(err)


# ---- explicit allows ------------------------------------------------------------------------------
def test_the_environment_allow_list_lets_the_key_go(loopback, clean_env):
    clean_env.setenv("OPENAI_API_KEY", SECRET)
    clean_env.setenv("ANTHROPIC_API_KEY", SECRET + "-ant")
    clean_env.setenv(ALLOW, "127.0.0.1")
    loopback.script(None, Reply.ok("a"), Reply.ok("b"))
    OpenAIProvider("gpt-4o-mini", base_url=loopback.openai_base_url).complete(MSGS, max_tokens=8, temperature=0)
    AnthropicProvider("claude-haiku-4-5", base_url=loopback.anthropic_base_url).complete(MSGS, max_tokens=8,
                                                                                      temperature=0)
    assert loopback.seen[0].headers["authorization"] == f"Bearer {SECRET}"
    headers = loopback.seen[1].headers  # the header's name depends on the SDK release
    assert (headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")) == SECRET + "-ant"


def test_a_trusted_config_allow_list_and_its_port(loopback, clean_env):
    clean_env.setenv("MY_LOCAL_API_KEY", SECRET)
    port = loopback.url.rsplit(":", 1)[1]
    loopback.script(None, Reply.ok("Paris."))
    route = openai_route(loopback, api_key_env="MY_LOCAL_API_KEY")
    cfg = load_config(overrides={"llm": {"small": route}, "security": {"allow_key_hosts": [f"127.0.0.1:{port}"]}},
                      env={})
    build_llm(cfg.llm.small).complete(MSGS, max_tokens=8, temperature=0)
    assert loopback.seen[0].headers["authorization"] == f"Bearer {SECRET}"
    other = int(port) + 1 if int(port) < 65535 else int(port) - 1
    with pytest.raises(ConfigError, match="MY_LOCAL_API_KEY"):  # another port is another host
        load_config(overrides={"llm": {"small": route}, "security": {"allow_key_hosts": [f"127.0.0.1:{other}"]}},
                    env={})


def test_an_untrusted_layer_pointing_at_loopback_gets_no_key(loopback, clean_env, tmp_path):
    clean_env.setenv("OPENAI_API_KEY", SECRET)
    f = tmp_path / "ragkit.yaml"
    f.write_text(json.dumps({"llm": {"small": openai_route(loopback)}}), encoding="utf-8")
    cfg = load_config(untrusted=f, env={})
    loopback.script(None, Reply.ok("Paris."))
    build_llm(cfg.llm.small).complete(MSGS, max_tokens=8, temperature=0)
    assert len(loopback.seen) == 1 and not _sent(loopback)


# ---- embeddings -----------------------------------------------------------------------------------
def test_the_embedder_follows_the_same_rules(loopback, clean_env):
    from ragkit.models.embedders.openai import OpenAIEmbedder

    clean_env.setenv("OPENAI_API_KEY", SECRET)
    clean_env.setenv("SOME_SECRET_VAR", SECRET)
    err = _call(lambda: OpenAIEmbedder(base_url=loopback.openai_base_url, api_key_env="SOME_SECRET_VAR",
                                       dimensions=8).embed(["x"]))
    assert err is not None and loopback.seen == []
    vecs = OpenAIEmbedder(base_url=loopback.openai_base_url, dimensions=8).embed(["x"])
    assert vecs.shape == (1, 8) and len(loopback.seen) == 1 and not _sent(loopback)


# ---- qdrant ---------------------------------------------------------------------------------------
class _Recorder:
    """Any HTTP request is recorded (headers) and answered with an empty Qdrant collection list."""

    def __init__(self):
        self.headers: list[dict[str, str]] = []
        owner = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _any(self):
                owner.headers.append({k.lower(): v for k, v in self.headers.items()})
                body = json.dumps({"result": {"collections": []}, "status": "ok", "time": 0}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def sent(self, secret: str = SECRET) -> bool:
        return any(secret in v for h in self.headers for v in h.values())


@pytest.fixture
def recorder():
    r = _Recorder()
    yield r
    r.httpd.shutdown()
    r.httpd.server_close()


def _store(url: str, **store):
    from ragkit.index.factory import build_store

    return build_store(load_config(overrides={"store": {"backend": "qdrant", "url": url, **store}}, env={}))


@pytest.mark.filterwarnings("ignore::UserWarning")  # qdrant-client: no server version, key over http
def test_the_qdrant_key_is_not_sent_to_a_loopback_server_unless_allowed(recorder, clean_env):
    clean_env.setenv("QDRANT_API_KEY", SECRET)
    _store(recorder.url).client.get_collections()
    assert recorder.headers and not recorder.sent()
    clean_env.setenv(ALLOW, "127.0.0.1")
    _store(recorder.url).client.get_collections()
    assert recorder.sent()


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_qdrant_store_refuses_an_arbitrary_variable(recorder, clean_env):
    clean_env.setenv("SOME_SECRET_VAR", SECRET)
    with pytest.raises(ConfigError, match=r"store\.api_key_env"):
        _store(recorder.url, api_key_env="SOME_SECRET_VAR").client.get_collections()
    assert not recorder.sent()
