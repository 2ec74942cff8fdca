"""One module per ``mpphub`` command: ``add_arguments(parser)`` and ``run(args) -> exit code``."""
