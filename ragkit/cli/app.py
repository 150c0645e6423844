"""The typer application and the helpers every subcommand shares."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ragkit.config import RagkitConfig, load_config
from ragkit.errors import ConfigError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="ragkit: production RAG, offline by default.")

ConfigOpt = typer.Option(None, "--config", "-c", envvar="RAGKIT_CONFIG", help="YAML config file.")


def get_config(path: Optional[Path]) -> RagkitConfig:
    """Load config or exit 2 with the message (which names the bad key)."""
    try:
        if path is None and Path("ragkit.yaml").is_file():
            # a file picked up from wherever the command runs is not trusted to widen where keys go
            return load_config(untrusted=Path("ragkit.yaml"),
                               untrusted_source="ragkit.yaml (picked up from the working directory)")
        return load_config(path)
    except ConfigError as exc:
        typer.echo(f"config error: {exc}", err=True)
        raise typer.Exit(2)
