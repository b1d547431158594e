"""Entry point for ``python -m lzdocs``."""

from lzdocs.cli import main

main()
