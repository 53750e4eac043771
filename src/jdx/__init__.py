"""jdx: a justice data exchange hub."""

__version__ = "0.1.0"
