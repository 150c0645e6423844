"""The `ragkit` command. Each subcommand lives in its own module with a `register(app)`."""

from __future__ import annotations

import importlib
import importlib.util

from ragkit.cli.app import app

_COMMAND_MODULES = ("config_cmd", "ingest", "search", "query", "cost", "eval")


def main() -> None:
    for name in _COMMAND_MODULES:
        module = f"ragkit.cli.{name}"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module).register(app)
    app()
