"""``python -m iotlm``: the command line."""

import sys

from iotlm.agent.cli import main

sys.exit(main())
