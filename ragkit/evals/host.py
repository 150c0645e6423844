"""The machine an eval ran on, for the report's `host` block."""

from __future__ import annotations

import os
import platform
from datetime import datetime, timezone
from typing import Any


def host_info() -> dict[str, Any]:
    return {"python": platform.python_version(), "platform": platform.platform(terse=True),
            "cpus": os.cpu_count(), "now": datetime.now(timezone.utc).isoformat(timespec="seconds")}
