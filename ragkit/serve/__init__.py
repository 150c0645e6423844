"""`ragkit serve`: the HTTP API (FastAPI on uvicorn). Needs the `serve` extra: pip install 'ragkit[serve]'."""

from ragkit.serve.app import create_app

__all__ = ["create_app"]
