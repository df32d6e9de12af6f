"""Errors that reach the user as one line and a documented exit code (docs/cli.md)."""


class BriefError(Exception):
    """An expected failure: the CLI prints `brief: <message>` and exits with `exit_code`."""

    exit_code = 1


class UsageError(BriefError):
    """Bad arguments or configuration."""

    exit_code = 2


class ConfigError(UsageError):
    """brief.toml or a BRIEF_* variable is wrong; the message names the file and line."""


class StoreError(BriefError):
    """The database cannot be used: corrupt, read-only, locked or from a newer version."""

    exit_code = 3


class ModelError(BriefError):
    """A configured model or shipped asset is missing or damaged; the message says how to install it."""

    exit_code = 4
