"""Exceptions the CLIs print as one line: bad user input (exit 2), a diverged run (exit 3), failed jobs (exit 1)."""


class UserError(Exception):
    """Bad input (config, data, CLI value). The message names the value and what was expected."""

    exit_code = 2


class DivergedError(UserError):
    """Training produced a non-finite loss or parameter; the last good snapshot and rows are kept."""

    exit_code = 3


class RunFailedError(UserError):
    """Jobs of a command of several (runs of --seeds, --sweep or rlkit.reproduce, Ray's tasks) failed for good (a
    UserError, Ray's retries used up, an error in our code); whatever the others finished is written and kept, and
    a rerun resumes. Exit 1; where every job failed with one exit code (`codes`, of `jobs` jobs: damaged data 2,
    every run diverged 3), that code, as one job alone would have exited."""

    exit_code = 1

    def __init__(self, message: str, codes: list[int] | None = None, jobs: int = 0):
        super().__init__(message)
        if codes and len(codes) == jobs and len(set(codes)) == 1:
            self.exit_code = codes[0]
