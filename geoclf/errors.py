"""The one exception type that reaches the user as a one-line message."""


class GeoclfError(Exception):
    """Bad input: the message names the problem and the fix, in one line.

    The CLI prints it without a traceback; anything else that escapes is a bug.
    """
