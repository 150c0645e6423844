"""`ragkit config show`: the effective config, secrets redacted."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
import yaml

from ragkit.cli.app import ConfigOpt, get_config
from ragkit.config import redacted


def register(app: typer.Typer) -> None:
    config_app = typer.Typer(help="Inspect configuration.")

    @config_app.command("show")
    def show(config: Optional[Path] = ConfigOpt, json_out: bool = typer.Option(False, "--json")) -> None:
        """Print the effective config (file + RAGKIT_* environment), secrets redacted."""
        cfg = get_config(config)
        data = redacted(cfg.to_dict())
        if json_out:
            import json

            typer.echo(json.dumps(data, indent=2))
        else:
            typer.echo(yaml.safe_dump(data, sort_keys=False))

    app.add_typer(config_app, name="config")
