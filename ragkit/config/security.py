"""Which API key variables ragkit reads, and which hosts a key may be sent to.

Key variables: OPENAI_API_KEY (openai), ANTHROPIC_API_KEY (anthropic), QDRANT_API_KEY (qdrant),
or a name of the form ``*_API_KEY`` that a trusted config names in an `api_key_env` key. Any other
variable (HOME, GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY...) is refused.

Hosts: OPENAI_API_KEY goes only to api.openai.com and ANTHROPIC_API_KEY only to
api.anthropic.com. QDRANT_API_KEY and a ``*_API_KEY`` variable go to the host of their own
endpoint's URL (`store.url`, `base_url`), which only a trusted config can make a non-loopback
host. A loopback host gets no key. Beyond that, a key goes to a host only when the host is listed
in `security.allow_key_hosts` (trusted config) or $RAGKIT_SECURITY__ALLOW_KEY_HOSTS. Without a
grant the default OpenAI and Qdrant keys are simply not sent (keyless local servers); any other
key is refused before a request is made.

Untrusted config layers (a `ragkit.yaml` picked up from the working directory, an eval suite's
config) may not set `security`, may name only the documented key variables, and may set a
`base_url` / `url` only to a loopback URL (or, for `store.url`, `:memory:` or a local folder).
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import yaml
from pydantic import Field, field_validator

from ragkit.config.base import Section
from ragkit.errors import AuthenticationError, KeyPolicyError

ALLOW_ENV = "RAGKIT_SECURITY__ALLOW_KEY_HOSTS"
DEFAULT_KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "qdrant": "QDRANT_API_KEY"}
KEY_HOST = {"OPENAI_API_KEY": "api.openai.com", "ANTHROPIC_API_KEY": "api.anthropic.com"}
DEFAULT_URL = {"openai": "https://api.openai.com/v1", "anthropic": "https://api.anthropic.com"}
SDK_URL_ENV = {"openai": "OPENAI_BASE_URL", "anthropic": "ANTHROPIC_BASE_URL"}  # read by the SDKs
KEY_NAME = re.compile(r"^[A-Z][A-Z0-9_]*_API_KEY$")
_HOST_ENTRY = re.compile(r"^(\*\.)?([a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\]|[0-9.]+)(:[0-9]{1,5})?$")
URL_KEYS = ("base_url", "url")
ALLOW_HINT = (f"list the host in security.allow_key_hosts (in a config you trust) or in ${ALLOW_ENV}")


# ---- names ----------------------------------------------------------------------------------
def check_key_name(name: str, provider: str, where: str) -> None:
    """Refuse a variable that is not a key variable, or another provider's documented key."""
    if name in DEFAULT_KEY_ENV.values():
        if provider in DEFAULT_KEY_ENV and DEFAULT_KEY_ENV[provider] != name:
            raise KeyPolicyError(
                f"{where}: {name} is the {_owner(name)} key and is not sent to {provider}; "
                f"use {DEFAULT_KEY_ENV[provider]} or a variable of your own named *_API_KEY")
        return
    if not KEY_NAME.match(name or ""):
        raise KeyPolicyError(
            f"{where}: {name!r} is not an API key variable: ragkit reads only OPENAI_API_KEY, "
            "ANTHROPIC_API_KEY, QDRANT_API_KEY or a variable named *_API_KEY (upper case)")


def _owner(name: str) -> str:
    return next(p for p, n in DEFAULT_KEY_ENV.items() if n == name)


# ---- hosts ----------------------------------------------------------------------------------
def url_host(url: str | None) -> tuple[str, int | None] | None:
    """(host, port) of an http(s) URL, as the SDKs' HTTP client reads it; None for anything else."""
    if not url or not url.lower().startswith(("http://", "https://")):
        return None
    try:
        import httpx

        u = httpx.URL(url)
        host, port, scheme = u.host, u.port, u.scheme
    except Exception:  # httpx missing or the URL does not parse: urllib's reading
        from urllib.parse import urlsplit

        try:
            s = urlsplit(url)
            host, port, scheme = s.hostname or "", s.port, s.scheme
        except ValueError:
            return ("", None)
    return (host or "").lower().strip("[]").rstrip("."), port or (443 if scheme == "https" else 80)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_hosts(value: Any) -> list[str]:
    """Allow-list entries from a list, or a string separated by commas / spaces (an env var)."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            value = yaml.safe_load(text) or []
        else:
            value = [v for v in re.split(r"[,\s]+", text) if v]
    if not isinstance(value, (list, tuple)):
        raise ValueError("a list of host names, e.g. [llm.internal.example, 127.0.0.1:8080]")
    out = []
    for v in value:
        entry = str(v).strip().lower()
        if not _HOST_ENTRY.match(entry):
            raise ValueError(f"{v!r} is not a host: give a host name, optionally with a port "
                             "(api.example.com, 127.0.0.1:8080, *.example.com), not a URL")
        out.append(entry)
    return out


def env_hosts(environ: Mapping[str, str] | None = None) -> list[str]:
    raw = (os.environ if environ is None else environ).get(ALLOW_ENV, "")
    try:
        return parse_hosts(raw)
    except (ValueError, yaml.YAMLError) as exc:
        raise KeyPolicyError(f"${ALLOW_ENV}: {exc}") from None


def host_listed(host: str, port: int | None, allow: Iterable[str]) -> bool:
    for entry in allow:
        name, _, want = entry.rpartition(":") if re.search(r":\d+$", entry) else (entry, "", "")
        name = name.strip("[]")
        if want and port is not None and int(want) != port:
            continue
        if name == host or (name.startswith("*.") and host.endswith(name[1:])):
            return True
    return False


def key_may_go(name: str, host: str, port: int | None, allow: Iterable[str]) -> bool:
    """May the key in variable `name` be sent to host:port?"""
    if host_listed(host, port, allow):
        return True
    if name in KEY_HOST:
        return host == KEY_HOST[name]
    return bool(host) and not is_loopback(host)  # QDRANT_API_KEY, *_API_KEY: their endpoint's own host


def meant_for(name: str) -> str:
    return KEY_HOST.get(name, "the host of its own endpoint's URL (not a loopback host)")


# ---- the config section and the load-time check ------------------------------------------------
class SecurityConfig(Section):
    # hosts (name, name:port, *.domain) that may receive any configured key besides the host each
    # key is meant for; loopback servers included. Only a trusted layer may set it.
    allow_key_hosts: list[str] = Field(default_factory=list)

    @field_validator("allow_key_hosts", mode="before")
    @classmethod
    def _hosts(cls, v: Any) -> list[str]:
        return parse_hosts(v)


def endpoints(cfg: Any) -> list[tuple[str, str | None, Any, str]]:
    """(config path, provider or None, section, url attribute) for every section that can send a key."""
    out: list[tuple[str, str | None, Any, str]] = []
    for name in ("small", "large"):
        route = getattr(cfg.llm, name)
        if route is None:
            continue
        out.append((f"llm.{name}", route.provider, route, "base_url"))
        out += [(f"llm.{name}.fallbacks.{i}", pc.provider, pc, "base_url") for i, pc in enumerate(route.fallbacks)]
    out += [(f"llm.fallbacks.{i}", pc.provider, pc, "base_url") for i, pc in enumerate(cfg.llm.fallbacks)]
    out.append(("embedder", cfg.embedder.provider, cfg.embedder, "base_url"))
    out.append(("store", "qdrant" if cfg.store.backend == "qdrant" else None, cfg.store, "url"))
    return out


def check_config(cfg: Any, environ: Mapping[str, str] | None = None) -> None:
    """Refuse a config that names a variable that is not a key variable, or that would send a
    variable of its own (*_API_KEY) to a host it may not go to; hand each endpoint the allow-list."""
    environ = os.environ if environ is None else environ
    allow = tuple(cfg.security.allow_key_hosts)
    for path, provider, section, url_attr in endpoints(cfg):
        section._key_hosts = allow
        section._key_where = path
        name = section.api_key_env
        if name is None:
            continue
        known = provider if provider in DEFAULT_KEY_ENV else None
        check_key_name(name, known or "", f"{path}.api_key_env")
        if known is None or name == DEFAULT_KEY_ENV[known]:
            continue  # the documented key: withheld (or refused when sent) where it may not go
        url = effective_url(known, getattr(section, url_attr), environ)
        parsed = url_host(url)
        if parsed is not None and not key_may_go(name, *parsed, [*allow, *env_hosts(environ)]):
            raise KeyPolicyError(
                f"{path}.api_key_env: {name} would be sent to {parsed[0]!r} ({path}.{url_attr}), and a key is "
                f"sent only to {meant_for(name)}. If {parsed[0]} should receive it, {ALLOW_HINT}.")


# ---- the decision a client makes before its first request ----------------------------------
@dataclass(frozen=True)
class KeyGrant:
    name: str  # the variable
    value: str | None  # the key to send; None: send none
    url: str | None  # the URL the client must use (the one that was checked)
    withheld: bool = False  # the variable is set but its key was not sent to this host

    def __repr__(self) -> str:  # never the key
        return f"KeyGrant(name={self.name!r}, url={self.url!r}, sends_key={self.value is not None})"


def effective_url(provider: str, url: str | None, environ: Mapping[str, str]) -> str | None:
    if url:
        return url
    return environ.get(SDK_URL_ENV.get(provider, ""), "") or DEFAULT_URL.get(provider)


def grant_key(provider: str, env_name: str | None, url: str | None, *, allow: Iterable[str] = (),
              required: bool = False, where: str = "", environ: Mapping[str, str] | None = None) -> KeyGrant:
    """The key (or none) a `provider` client may send to `url`, or KeyPolicyError before any request.

    `env_name` None means the provider's documented variable; `allow` the trusted config's
    `security.allow_key_hosts` ($RAGKIT_SECURITY__ALLOW_KEY_HOSTS is added here)."""
    environ = os.environ if environ is None else environ
    default = DEFAULT_KEY_ENV[provider]
    name = env_name or default
    where = where or provider
    check_key_name(name, provider, f"{where} api_key_env")
    target = effective_url(provider, url, environ)
    parsed = url_host(target)
    value = environ.get(name) or None
    if parsed is None:  # qdrant's :memory: or a local folder: no network, no key
        return KeyGrant(name, None, target)
    host, port = parsed
    if key_may_go(name, host, port, [*allow, *env_hosts(environ)]):
        if value is None and required:
            raise AuthenticationError(_missing(where, name), provider=provider)
        return KeyGrant(name, value, target)
    if name == default and provider != "anthropic":  # a keyless server: send no key
        return KeyGrant(name, None, target, withheld=value is not None)
    if value is None and required:
        raise AuthenticationError(_missing(where, name), provider=provider)
    raise KeyPolicyError(
        f"{where}: refusing to send {name} to {host or target!r}: it is sent only to {meant_for(name)}. "
        f"If {host} should receive it, {ALLOW_HINT}. Nothing was sent.")


def _missing(where: str, name: str) -> str:
    return (f"{where}: no API key: set the environment variable {name} "
            "(the config key api_key_env names a different variable)")


def withheld_hint(grant: KeyGrant) -> str:
    host = (url_host(grant.url) or ("?", None))[0]
    return (f"ragkit sent no key to {host}: {grant.name} is sent only to {meant_for(grant.name)}; "
            f"if {host} should receive it, {ALLOW_HINT}")


# ---- untrusted layers -----------------------------------------------------------------------
def untrusted_problems(layer: Any, path: str = "") -> list[str]:
    """What an untrusted config layer may not set, one line per key (empty: nothing)."""
    problems: list[str] = []
    if isinstance(layer, list):
        for i, v in enumerate(layer):
            problems += untrusted_problems(v, f"{path}.{i}")
        return problems
    if not isinstance(layer, Mapping):
        return problems
    for k, v in layer.items():
        key = f"{path}.{k}" if path else str(k)
        if key == "security":
            problems.append(f"{key}: only a config you trust may set it")
        elif str(k).endswith("_env"):
            if v is not None and v not in DEFAULT_KEY_ENV.values():
                problems.append(f"{key}: only a config you trust may name the variable {v!r}")
        elif k in URL_KEYS:
            if not _local_target(v, store=key == "store.url"):
                problems.append(f"{key}: only a config you trust may point it at {_show(v)} "
                                "(allowed here: a loopback URL such as http://127.0.0.1:8080/v1)")
        else:
            problems += untrusted_problems(v, key)
    return problems


def _local_target(value: Any, *, store: bool) -> bool:
    if not isinstance(value, str) or not value:
        return False
    parsed = url_host(value)
    if parsed is not None:
        return bool(parsed[0]) and is_loopback(parsed[0])
    return store and "://" not in value  # qdrant's :memory: or a local folder


def _show(value: Any) -> str:
    if value is None:
        return "null (the provider's own host)"
    if not isinstance(value, str):
        return repr(value)
    return repr(re.sub(r"(//)[^/@\s]+@", r"\1***@", value))


def check_untrusted(layer: Mapping[str, Any], source: str, hint: str | None = None) -> None:
    """KeyPolicyError naming `source` and every key an untrusted layer may not set."""
    problems = untrusted_problems(layer)
    if problems:
        raise KeyPolicyError(
            f"{source} is not a trusted config; it may not widen where keys and text are sent:\n  "
            + "\n  ".join(problems) + "\n" + (hint or UNTRUSTED_HINT))


UNTRUSTED_HINT = ("If you trust the file, name it explicitly (--config FILE or $RAGKIT_CONFIG), or set these "
                  "keys in a config you pass that way or in RAGKIT_* environment variables.")
