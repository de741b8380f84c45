"""The exception and the warnings that reach the user as one-line messages."""

import warnings


class GeoclfError(Exception):
    """Bad input: the message names the problem and the fix, in one line.

    The CLI prints it without a traceback; anything else that escapes is a bug.
    """


class SettingError(GeoclfError):
    """A setting out of range or at odds with another, naming settings by field: "{lr} must be positive, got {value}".

    Library code speaks of fields; each front end shows its own name for them
    (`render`): --lr on the command line, 'Learning rate' in QGIS.
    """

    def __init__(self, template: str, **values):
        self.template, self.values = template, values
        super().__init__(self.render(str))

    def render(self, name_of) -> str:
        """The message with each {field} shown as `name_of(field)` (values given by keyword stay themselves)."""
        return self.template.format_map(_Names(self.values, name_of))


class _Names(dict):
    def __init__(self, values: dict, name_of):
        super().__init__(values)
        self.name_of = name_of

    def __missing__(self, key: str) -> str:
        return self.name_of(key)


class GeoclfWarning(UserWarning):
    """Work goes on, but the user should know (a rare class, say); the CLI prints it as one line."""


class SampleWarning(GeoclfWarning):
    """Something about the samples themselves (a rare class, conflicting labels): said once per command, not per fold."""


class ExtrapolationWarning(GeoclfWarning):
    """Points well outside the training extent: their classes are a guess (spatial cross-validation does it on purpose)."""


class RareClassWarning(SampleWarning):
    """A class with too few samples to map it reliably; trained all the same."""


def warn(message: str, category: type[GeoclfWarning] = GeoclfWarning) -> None:
    warnings.warn(message, category, stacklevel=3)
