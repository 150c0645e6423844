"""The `ragkit` command. Each subcommand lives in its own module with a `register(app)`."""

from __future__ import annotations

import importlib
import importlib.util
import os

from ragkit.cli.app import app

_COMMAND_MODULES = ("config_cmd", "ingest", "search", "query", "chat", "cost", "eval", "serve")


def main() -> None:
    # a command line wants its own progress bars, not the model libraries' ones
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for name in _COMMAND_MODULES:
        module = f"ragkit.cli.{name}"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module).register(app)
    app()
