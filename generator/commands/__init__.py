"""Subcommands of `govsite` that live outside `cli.py`: each module offers `add_arguments(parser)`
and `run(args) -> int` (see `cli.SUBCOMMANDS`)."""
