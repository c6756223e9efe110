"""``python -m iotlm.agent.cli``."""

import sys

from iotlm.agent.cli import main

sys.exit(main())
