"""User-facing errors: one line that says what was received and what to do.

The CLI prints ``str(error)`` and exits with ``exit_code``; nothing else is shown, so every
message must stand on its own.
"""


class ToolkitError(Exception):
    """An error whose message is meant for the user, not a traceback."""

    exit_code = 1


class UsageError(ToolkitError, ValueError):
    """An option or argument value that cannot work (exit code 2, like argparse)."""

    exit_code = 2


class DataError(ToolkitError, ValueError):
    """Data that cannot be fetched or used as given (exit code 1)."""

    exit_code = 1


class ModelError(ToolkitError):
    """A model that broke the run's contract: a forecast that is not a positive finite price,
    or of the wrong shape (exit code 1; in a run, the model leaves the comparison)."""

    exit_code = 1


class TrainingError(ToolkitError):
    """Training that cannot go on, e.g. a loss that became NaN (exit code 1)."""

    exit_code = 1


def describe_error(err: BaseException) -> str:
    """One line for a failure: a toolkit error's own message, else its type and message (a
    Ray task error is described by the worker's exception it carries)."""
    cause = getattr(err, "cause", None)
    if isinstance(cause, BaseException):
        err = cause
    text = " ".join(str(err).split()) or type(err).__name__
    return text if isinstance(err, ToolkitError) else f"unexpected {type(err).__name__}: {text}"
