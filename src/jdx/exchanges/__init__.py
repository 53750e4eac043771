"""Exchanges: the business rules of one seed each, and nothing about transport.

An exchange never imports FastAPI, asyncssh or Jinja2; channels import exchanges, never the
reverse (``tests/test_architecture.py`` keeps it so).
"""
