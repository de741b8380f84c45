"""The exception and the warnings that reach the user as one-line messages."""

import warnings


class GeoclfError(Exception):
    """Bad input: the message names the problem and the fix, in one line.

    The CLI prints it without a traceback; anything else that escapes is a bug.
    """


class GeoclfWarning(UserWarning):
    """Work goes on, but the user should know (a rare class, say); the CLI prints it as one line."""


class RareClassWarning(GeoclfWarning):
    """A class with too few samples to map it reliably; trained all the same."""


def warn(message: str, category: type[GeoclfWarning] = GeoclfWarning) -> None:
    warnings.warn(message, category, stacklevel=3)
