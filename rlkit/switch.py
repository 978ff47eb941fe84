"""A process-wide on/off switch read from a 0/1 environment variable: the speed tricks' switches
(`rlkit.torch.cpu_kernels`, `rlkit.torch.graphs`) are each one of these."""

from __future__ import annotations

import os

from rlkit.errors import UserError

_ALL: list[Switch] = []  # every switch made (one per speed trick)


class Switch:
    """On or off for this process: what `set` said, else the environment variable `name` ("1" on, "0" off;
    unset: `default`), read once at first use; any other value is a one-line error naming both meanings."""

    def __init__(self, name: str, default: bool, on: str, off: str):
        self.name, self.default, self.on, self.off = name, default, on, off
        self._value: bool | None = None  # None: not decided yet, the environment decides at first use
        _ALL.append(self)

    def set(self, on: bool | None) -> None:
        """Turn it on or off for this process; None goes back to what the environment says."""
        self._value = on

    def __call__(self) -> bool:
        if self._value is None:
            value = os.environ.get(self.name, "1" if self.default else "0")
            if value not in ("0", "1"):
                first, second = ((1, self.on), (0, self.off)) if self.default else ((0, self.off), (1, self.on))
                raise UserError(
                    f"{self.name}={value!r}: expected {first[0]} ({first[1]}, the default) or {second[0]} ({second[1]})"
                )
            self._value = value == "1"
        return self._value


def process_switches() -> dict[str, str]:
    """Every switch as this process has it, as environment variables ("1" or "0"): what a process started elsewhere
    (a Ray worker on another node, which does not inherit this environment) is given to run as this one does."""
    return {s.name: "1" if s() else "0" for s in _ALL}
