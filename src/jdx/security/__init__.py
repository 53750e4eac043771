"""Identities and credentials: agencies' API keys (and, later, certificates and portal users)."""
