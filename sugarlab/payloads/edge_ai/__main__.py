"""`python -m sugarlab.payloads.edge_ai`: serve as the tutorial's container does, configured by environment."""

from __future__ import annotations

import sys

import uvicorn

from sugarlab.payloads.edge_ai.app import create_app
from sugarlab.payloads.edge_ai.errors import SettingError
from sugarlab.payloads.edge_ai.settings import settings_from_env


def main() -> int:
    try:
        settings = settings_from_env()
    except SettingError as error:
        print(f"edge-ai: {error}", file=sys.stderr)
        return 2
    # asyncio's own loop, not uvloop, which uvicorn's "auto" picks where uvicorn[standard] is installed
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning", loop="asyncio")
    return 0


if __name__ == "__main__":
    sys.exit(main())
