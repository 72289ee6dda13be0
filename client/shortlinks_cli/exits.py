"""The command's exit statuses and the errors that end it with one of them (docs/cli.md, "Exit statuses")."""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    """What the exit status tells a script."""

    OK = 0
    REFUSED = 1  # the API answered no: a 4xx (not found, validation, conflict, ...), or an import row refused
    USAGE = 2  # the command line or the configuration is wrong (argparse exits 2 too); nothing was sent
    UNAVAILABLE = 3  # the API could not be reached or kept answering 429/5xx after the allowed retries


class CliError(Exception):
    """Ends the command with ``exit`` and one line on stderr: ``shortlinks: <code>: <message>``."""

    def __init__(self, exit: Exit, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.exit = exit
        self.code = code
        self.message = message


def usage_error(message: str) -> CliError:
    """The command line or configuration is wrong."""
    return CliError(Exit.USAGE, "usage", message)


def config_error(message: str) -> CliError:
    """The configuration (environment or profile file) is missing or unusable."""
    return CliError(Exit.USAGE, "config", message)
