"""``jdx submit FILE``: the agencies' client for batch files, which is ``jdx_client``'s.

The command lives in the client's own distribution (``clients/python``, ``jdx-submit``), which
imports nothing of the hub so that agencies can run it anywhere; ``jdx`` ships it too and
offers it under its own name, with the same options, help and exit codes.
"""

from __future__ import annotations

from jdx_client.cli import EXIT_HELP, submit
from jdx_client.transfer import over_http

__all__ = ["EXIT_HELP", "over_http", "submit"]
