"""The embedded SFTP channel: accounts (``accounts``), path rules (``paths``), the agency's
session (``session``) and the server that ``jdx serve`` runs (``server``)."""

import warnings

from cryptography.utils import CryptographyDeprecationWarning

# asyncssh still names cryptography's DSA classes in its type hints, which cryptography (since
# 46) answers with a CryptographyDeprecationWarning at import. jdx never offers or accepts DSA
# keys (asyncssh's defaults leave ssh-dss out), so the warning says nothing to a user: without
# this, every `jdx` command printed ten lines of it before its own output. Every module of this
# package is imported after this one, so asyncssh's first import is always the quiet one; the
# filter is scoped to that import, and warnings from jdx's own code still surface.
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore",
        message="DSA is deprecated",
        category=CryptographyDeprecationWarning,
        module=r"asyncssh\.",
    )
    import asyncssh as asyncssh
