"""Hotpass's exceptions share one base class, so a caller (the CLI) can catch them all.

Each module keeps raising its own class (``read.InputError``, ``profile.ProfileError``,
``validate.GateError``, ``runner.StageFailed``, ``resolve.BackendUnavailable``, ...); each
derives from :class:`HotpassError`, and from the built-in class it derived from before.
"""

from __future__ import annotations


class HotpassError(Exception):
    """A problem Hotpass explains in its message: what is wrong, where, and the fix."""


class ConfigError(HotpassError, ValueError):
    """``params/pipeline.yaml`` is invalid; the message names the key to fix."""


class UsageError(HotpassError):
    """A command was called in a way that cannot work; printed as one line, exit code 2."""
