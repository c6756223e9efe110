"""One error hierarchy, split by who must react.

- ``UserError``: bad input from the person using iotlm (a request, a flag, a file they gave). The CLI prints
  it as one line and exits with 2. It is also a ``ValueError``.
- ``SetupError``: something a developer or whoever set iotlm up must fix: a plugin, a config file, a missing
  broker or model. The message names the fix. The CLI prints it as one line and exits with 2.
- ``DeviceError``: a step that a device, or the way to it, refused: a command it cannot take, a payload that
  cannot be read. The rest of a plan goes on; the step is reported.

Anything else that escapes is a bug in iotlm and is shown with its traceback.
"""

from __future__ import annotations


class IotlmError(Exception):
    """Root of every error iotlm raises on purpose."""

    exit_code = 1


class UserError(IotlmError, ValueError):
    """Bad input: says what was wrong and what would be right."""

    exit_code = 2


class SetupError(IotlmError):
    """A plugin, config file, broker, model or database that is wrong or missing; names the fix."""

    exit_code = 2


class DeviceError(IotlmError):
    """A step a device refused, or a message from a device that cannot be read."""

    exit_code = 1


__all__ = ["DeviceError", "IotlmError", "SetupError", "UserError"]
