"""Subcommands of the ``research-env`` command line, one module each (``register`` + handler)."""
