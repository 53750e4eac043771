"""The HTTP API: one router module per exchange, assembled by ``app.create_app``."""
