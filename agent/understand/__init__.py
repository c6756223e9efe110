"""Understanding requests: the words (lexicon), a clause's frame, the home index, steps and values, the parser.

The public API other packages use: :class:`Parser` (``parse``), :class:`HomeIndex` (``targets``,
``attribute_for``, ``reading``, ``room_readings``), :class:`Frame`, :func:`normalise` and
:func:`describe_device`.
"""

from iotlm.agent.understand.frame import Frame
from iotlm.agent.understand.index import HomeIndex, Targets
from iotlm.agent.understand.parser import Clause, Parse, Parser, Query
from iotlm.agent.understand.text import normalise
from iotlm.device_drivers.model import describe_device

__all__ = ["Clause", "Frame", "HomeIndex", "Parse", "Parser", "Query", "Targets", "describe_device", "normalise"]
