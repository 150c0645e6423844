"""Running the app under uvicorn: one process (it owns the embedded index; see serving.md for when
several workers may run), graceful on SIGTERM/SIGINT: readiness goes 503 at once, the listening
socket closes, in-flight requests get serve.shutdown_grace_s to finish, then the app shuts down."""

from __future__ import annotations

import ipaddress
import logging

from ragkit.config import RagkitConfig
from ragkit.errors import ConfigError

log = logging.getLogger("ragkit.serve")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, keys_enabled: bool) -> str | None:
    """A warning line to print, or ConfigError when the bind is not allowed."""
    if keys_enabled:
        return None
    if not is_loopback(host):
        raise ConfigError(f"no API keys are configured, so the server may only bind to loopback, not {host!r}: "
                          "set serve.keys_file or $RAGKIT_API_KEYS (see docs/guides/serving.md)")
    return (f"no API keys configured: serving this machine only ({host}); every caller is admin. "
            "Set serve.keys_file or $RAGKIT_API_KEYS to serve others.")


def build_server(app, host: str, port: int, cfg: RagkitConfig, log_level: str = "info"):
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:  # readiness 503 from the first signal on
            app.state.ragkit.draining.set()
            super().handle_exit(sig, frame)

    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="on", workers=1,
                            timeout_graceful_shutdown=int(cfg.serve.shutdown_grace_s) or None,
                            server_header=False, proxy_headers=True, forwarded_allow_ips="127.0.0.1")
    return Server(config)


def run(server) -> None:
    """Run until SIGTERM/SIGINT; after the graceful shutdown the process exits 0 (uvicorn re-raises
    the signal it caught once it is done; this handler turns that into a clean exit)."""
    import signal
    import sys

    def done(signum, frame):
        sys.exit(0)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, done)
    server.run()
