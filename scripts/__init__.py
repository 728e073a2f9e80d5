"""The ``boltzgym`` command and the training/simulation entry points it dispatches to.

Each subcommand is a thin wrapper over a public library function that tests call directly; nothing in
the library imports this package.
"""
