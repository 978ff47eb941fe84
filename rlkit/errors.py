"""Exceptions the CLIs print as one line: bad user input (exit 2) and a diverged run (exit 3)."""


class UserError(Exception):
    """Bad input (config, data, CLI value). The message names the value and what was expected."""

    exit_code = 2


class DivergedError(UserError):
    """Training produced a non-finite loss or parameter; the last good snapshot and rows are kept."""

    exit_code = 3


class RunFailedError(UserError):
    """A task of a Ray run failed for good (its retries used up, or an error in our code); whatever the
    other tasks finished is written and kept, and a rerun resumes."""

    exit_code = 1
