"""`ragkit serve`: the HTTP API on uvicorn (needs the `serve` extra)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Optional

import typer

from ragkit.cli.app import ConfigOpt, get_config
from ragkit.errors import ConfigError


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (loopback unless keys are set)."),
        port: int = typer.Option(8000, "--port", min=0, max=65535),
        config: Optional[Path] = ConfigOpt,
        log_level: str = typer.Option("info", "--log-level"),
    ) -> None:
        """Serve ask, search, ingest, an OpenAI-compatible endpoint, metrics (docs/guides/serving.md)."""
        missing = [m for m in ("fastapi", "uvicorn", "prometheus_client", "multipart")
                   if importlib.util.find_spec(m) is None]
        if missing:
            typer.echo(f"ragkit serve needs the serve extra ({', '.join(missing)} missing): "
                       "pip install 'ragkit[serve]'", err=True)
            raise typer.Exit(2)
        if config is None and Path("ragkit.yaml").is_file():
            from ragkit.config.yaml_strict import read_yaml_file

            picked = read_yaml_file(Path("ragkit.yaml")) or {}
            if isinstance(picked, dict) and "serve" in picked:
                typer.echo("config error: ragkit.yaml (picked up from the working directory) may not set serve.* "
                           "(keys, ingest root, CORS): name it with --config if you trust it", err=True)
                raise typer.Exit(2)
        cfg = get_config(config)
        import logging

        from ragkit.serve.app import create_app
        from ragkit.serve.keys import load_keys
        from ragkit.serve.server import build_server, check_bind, run

        logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        try:
            keys = load_keys(cfg.serve.keys_file)
            note = check_bind(host, keys.enabled)
        except ConfigError as exc:
            typer.echo(f"config error: {exc}", err=True)
            raise typer.Exit(2)
        if note:
            typer.echo(note, err=True)
        else:
            typer.echo(f"{len(keys.keys)} API key(s) loaded", err=True)
        run(build_server(create_app(cfg, keys=keys), host, port, cfg, log_level))
