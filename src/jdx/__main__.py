"""``python -m jdx``: the same as the ``jdx`` command."""

from jdx.cli import main

main()
