"""API keys: each maps to a tenant (a filter ANDed into every search and ask), roles, and limits.

Sources, merged: `serve.keys_file` (YAML or JSON, keys stored only as sha256 hex digests) and the
environment variable RAGKIT_API_KEYS (plain keys, hashed on load, never kept or logged):

    # keys file
    keys:
      - id: acme-app                       # shown in logs and metrics, never the key
        sha256: 9f86d0...                  # sha256 hex of the key
        tenant: acme
        filter: {source: {glob: "acme/*"}} # default: the tenant's upload folder, {"source": {"glob": "acme/*"}}
        roles: [query, ingest]             # query | ingest | admin (admin implies the others)
        rate_per_min: 60                   # default serve.rate_per_min
        burst: 10                          # default serve.burst
        budget_usd_per_day: 1.0            # default: none

    RAGKIT_API_KEYS="sk-one:acme:query+ingest; sk-two::admin"   # key:tenant:roles; empty tenant: all

A key with no tenant (admin keys only) sees everything; any other key's filter always applies.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ragkit.errors import ConfigError, FilterError
from ragkit.filters import parse_filter

ROLES = ("query", "ingest", "admin")
ENV_VAR = "RAGKIT_API_KEYS"
_FIELDS = frozenset({"id", "sha256", "tenant", "filter", "roles", "rate_per_min", "budget_usd_per_day", "burst"})
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class ApiKey:
    id: str
    sha256: str
    tenant: str | None
    filter: dict[str, Any] | None
    roles: frozenset[str]
    rate_per_min: float | None = None
    budget_usd_per_day: float | None = None
    burst: int | None = None

    def allows(self, role: str) -> bool:
        return "admin" in self.roles or role in self.roles


@dataclass
class KeyRing:
    keys: list[ApiKey] = field(default_factory=list)

    @property
    def enabled(self) -> bool:
        return bool(self.keys)

    def lookup(self, presented: str) -> ApiKey | None:
        digest = hash_key(presented)
        found = None
        for k in self.keys:  # compare against every key: timing says nothing about which matched
            if hmac.compare_digest(k.sha256, digest):
                found = k
        return found


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def tenant_filter(tenant: str | None) -> dict[str, Any] | None:
    return None if tenant is None else {"source": {"glob": f"{tenant}/*"}}


def load_keys(keys_file: str | None, env: Mapping[str, str] | None = None) -> KeyRing:
    env = os.environ if env is None else env
    keys: list[ApiKey] = []
    if keys_file:
        keys += _from_file(Path(keys_file).expanduser())
    raw = env.get(ENV_VAR, "")
    if raw.strip():
        keys += _from_env(raw)
    ids = [k.id for k in keys]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ConfigError(f"API keys: the id {dup[0]!r} is used twice; give each key its own id")
    digests = [k.sha256 for k in keys]
    if len(set(digests)) != len(digests):
        raise ConfigError("API keys: the same key is listed twice; each key maps to one tenant")
    return KeyRing(keys)


def _from_file(path: Path) -> list[ApiKey]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"serve.keys_file {path}: cannot read it ({exc.strerror})") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"serve.keys_file {path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'} "
                          f"({type(exc).__name__})") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("keys"), list):
        raise ConfigError(f"serve.keys_file {path}: expected a mapping with a 'keys' list")
    return [_entry(e, f"{path}: keys[{i}]") for i, e in enumerate(data["keys"])]


def _entry(e: Any, where: str) -> ApiKey:
    if not isinstance(e, Mapping):
        raise ConfigError(f"{where}: expected a mapping")
    unknown = sorted(set(e) - _FIELDS)
    if unknown:
        raise ConfigError(f"{where}: unknown field {unknown[0]!r}")
    if "key" in e:
        raise ConfigError(f"{where}: plain keys are not stored in the keys file; give sha256")
    digest = str(e.get("sha256", "")).lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise ConfigError(f"{where}: sha256 must be the 64 hex digits of the key's SHA-256")
    key_id = str(e.get("id") or digest[:12])
    roles = e.get("roles", ["query"])
    return _make(key_id, digest, e.get("tenant"), e.get("filter"), roles, e.get("rate_per_min"),
                 e.get("budget_usd_per_day"), where, e.get("burst"))


def _from_env(raw: str) -> list[ApiKey]:
    out = []
    for i, item in enumerate(p.strip() for p in re.split(r"[;\n]", raw)):
        if not item:
            continue
        parts = item.split(":")
        if len(parts) > 3 or not parts[0]:
            raise ConfigError(f"{ENV_VAR}: entry {i + 1} must be key[:tenant[:role+role]]")
        key = parts[0]
        tenant = parts[1] if len(parts) > 1 and parts[1] else None
        roles = parts[2].split("+") if len(parts) > 2 and parts[2] else ["query"]
        digest = hash_key(key)
        out.append(_make(f"env-{i + 1}", digest, tenant, None, roles, None, None, f"{ENV_VAR}: entry {i + 1}"))
    return out


def _make(key_id, digest, tenant, filt, roles, rate, budget, where, burst=None) -> ApiKey:
    if isinstance(roles, str):
        roles = [roles]
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise ConfigError(f"{where}: unknown role {bad[0] if bad else None!r}; use {', '.join(ROLES)}")
    if tenant is not None and (not isinstance(tenant, str) or not _TENANT.match(tenant)):
        raise ConfigError(f"{where}: tenant must be letters, digits, '_', '.' or '-' (up to 64)")
    if tenant is None and filt is None and "admin" not in roles:
        raise ConfigError(f"{where}: a key without a tenant sees every document; only an admin key may")
    if filt is None:
        filt = tenant_filter(tenant)
    if filt is not None:
        try:
            parse_filter(filt)  # a bad tenant filter fails at start, not at the first request
        except FilterError as exc:
            raise ConfigError(f"{where}: filter: {exc}") from None
    for name, v in (("rate_per_min", rate), ("budget_usd_per_day", budget), ("burst", burst)):
        if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool) or v <= 0):
            raise ConfigError(f"{where}: {name} must be a positive number")
    if burst is not None and int(burst) != burst:
        raise ConfigError(f"{where}: burst must be a whole number")
    return ApiKey(key_id, digest, tenant, filt, frozenset(roles), rate, budget, None if burst is None else int(burst))
