"""jdx's client for agencies: the typed API client, the batch-file upload and ``jdx-submit``.

It imports nothing of the hub (the ``jdx`` package) and no POSIX-only module, so it runs on
any machine with Python; its dependencies are httpx2, typer and rich (asyncssh with the
``sftp`` extra).
"""

from jdx_client.api import JdxClient, operations
from jdx_client.problems import Problem, ProblemError, problem_of
from jdx_client.transfer import StillProcessing, over_http

__all__ = [
    "JdxClient",
    "Problem",
    "ProblemError",
    "StillProcessing",
    "operations",
    "over_http",
    "problem_of",
]
