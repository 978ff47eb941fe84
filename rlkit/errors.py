"""One exception type for bad user input; the CLIs print it as one line and exit 2."""


class UserError(Exception):
    """Bad input (config, data, CLI value). The message names the value and what was expected."""
