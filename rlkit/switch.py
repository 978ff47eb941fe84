"""A process-wide on/off switch read from a 0/1 environment variable: the speed tricks' switches
(`rlkit.torch.cpu_kernels`, `rlkit.torch.graphs`) are each one of these."""

from __future__ import annotations

import os

from rlkit.errors import UserError

_ALL: list[Switch] = []  # every switch made (one per speed trick)


class Switch:
    """On or off for this process: what `set` said, else the environment variable `name` ("1" on, "0" off;
    unset: `default`), read once at first use; any other value is a one-line error naming both meanings.
    `default` None: unset leaves the choice to the caller (the call gives None; `unset` says what it picks)."""

    def __init__(self, name: str, default: bool | None, on: str, off: str, unset: str = ""):
        self.name, self.default, self.on, self.off, self.unset = name, default, on, off, unset
        self._value: bool | None = None  # None: not decided yet, the environment decides at first use
        self._read = False  # whether the environment (or `set`) has decided
        _ALL.append(self)

    def set(self, on: bool | None) -> None:
        """Turn it on or off for this process; None goes back to what the environment says."""
        self._value, self._read = on, on is not None

    def __call__(self) -> bool | None:
        """On or off; None only for a switch without a default that nothing has set (the caller decides)."""
        if not self._read:
            value = os.environ.get(self.name)
            if value is None:
                self._value = self.default
            elif value in ("0", "1"):
                self._value = value == "1"
            else:
                raise UserError(f"{self.name}={value!r}: expected {self._choices()}")
            self._read = True
        return self._value

    def _choices(self) -> str:
        if self.default is None:
            return f"1 ({self.on}) or 0 ({self.off}), or unset ({self.unset})"
        first, second = ((1, self.on), (0, self.off)) if self.default else ((0, self.off), (1, self.on))
        return f"{first[0]} ({first[1]}, the default) or {second[0]} ({second[1]})"


def process_switches() -> dict[str, str]:
    """Every switch as this process has it, as environment variables ("1" or "0"): what a process started elsewhere
    (a Ray worker on another node, which does not inherit this environment) is given to run as this one does; a
    switch without a default that nothing set is left out, so that each process decides it for its own device."""
    return {s.name: "1" if on else "0" for s in _ALL if (on := s()) is not None}  # unset and no default: theirs
