"""The embedded SFTP channel: accounts (``accounts``), path rules (``paths``), the agency's
session (``session``) and the server that ``jdx serve`` runs (``server``)."""
