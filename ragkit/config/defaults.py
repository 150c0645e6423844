"""Render the default config as commented YAML (`configs/default.yaml` is generated from this)."""

from __future__ import annotations

import yaml

from ragkit.config.loader import RagkitConfig

HEADER = """\
# ragkit default configuration: every setting with its default value.
# Generated from the pydantic models by `python -m ragkit.config.defaults > configs/default.yaml`;
# tests/config/test_config.py checks that this file and the models agree.
# Any key can be overridden from the environment: RAGKIT_SECTION__KEY=value (e.g. RAGKIT_STORE__URL).
# API keys are never set here: they are read from the environment variables named by *_env keys
# (OPENAI_API_KEY, ANTHROPIC_API_KEY, QDRANT_API_KEY or a name ending in _API_KEY), and each goes
# only to the host it is meant for; security.allow_key_hosts lists other hosts that may get one.
"""


def default_yaml() -> str:
    return HEADER + yaml.safe_dump(RagkitConfig().to_dict(), sort_keys=False, default_flow_style=False)


if __name__ == "__main__":
    print(default_yaml(), end="")
