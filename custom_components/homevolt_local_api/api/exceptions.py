"""Exceptions raised by the Homevolt client."""


class HomevoltError(Exception):
    """Base class for every error the client raises."""


class HomevoltConnectionError(HomevoltError):
    """The device could not be reached, timed out or answered with a server error."""


class HomevoltTimeoutError(HomevoltConnectionError):
    """The device did not answer in time."""


class HomevoltAuthenticationError(HomevoltError):
    """The device refused the credentials (HTTP 401 or 403)."""


class HomevoltResponseError(HomevoltError):
    """The device answered with something the client cannot understand."""


class HomevoltUnsupportedError(HomevoltResponseError):
    """The device does not offer this endpoint or parameter (older firmware)."""


class HomevoltCommandError(HomevoltError):
    """The device refused a write, or the read-back did not confirm it."""


class HomevoltOutcomeUnknownError(HomevoltCommandError):
    """A write timed out and the read-back could not confirm it; it was not resent."""


class HomevoltValidationError(HomevoltError, ValueError):
    """Arguments were rejected before anything was sent to the device."""


class HomevoltModeNotSupportedError(HomevoltCommandError):
    """The device accepted a mode but runs idle instead: its firmware does not support it."""

    def __init__(self, mode: object) -> None:
        """Name the mode the firmware turned into idle."""
        super().__init__(f"this firmware does not support the mode {mode}: it runs idle instead")
        self.mode = mode
