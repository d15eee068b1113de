"""Typed errors that carry a one-line message for the user and an exit code for cron."""

from __future__ import annotations

# Documented exit codes (README "Exit codes").
EXIT_OK = 0
EXIT_FAILURE = 1  # unexpected failure
EXIT_USAGE = 2  # bad command line (typer/click)
EXIT_PARTIAL = 3  # the run finished but some sources or writes failed
EXIT_CONFIG = 4  # configuration, model or state file unusable
EXIT_BACKEND = 5  # library backend unreachable or refused us
EXIT_LOCKED = 6  # another zotrec sync holds the lock
EXIT_INPUT = 7  # every input source failed


class ZotrecError(Exception):
    """Base class: ``str(err)`` is a one-line message that says what to do."""

    exit_code = EXIT_FAILURE


class UnknownRun(ZotrecError):
    """The command line names a run the state does not hold (or holds no summary of), or asks for
    the last run before any was recorded."""

    exit_code = EXIT_USAGE


class SourceError(ZotrecError):
    """A digest source could not be read or parsed."""

    exit_code = EXIT_INPUT

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


class ConfigError(ZotrecError):
    exit_code = EXIT_CONFIG


class ModelError(ZotrecError):
    exit_code = EXIT_CONFIG


class StateError(ZotrecError):
    exit_code = EXIT_CONFIG


class LibraryError(ZotrecError):
    """A library backend failed (unreachable, refused, inconsistent)."""

    exit_code = EXIT_BACKEND


class NoSuchLibrary(LibraryError):
    """The command names a library file, collection or export format that does not exist: a bad
    command line (exit 2), not an unreachable backend."""

    exit_code = EXIT_USAGE


class RejectedWrite(LibraryError):
    """The library refused a write for its content (400, 413): sending it again cannot succeed."""


class LockHeld(ZotrecError):
    exit_code = EXIT_LOCKED
