"""``python -m iotlm``: the command line."""

import sys

from iotlm.cli import main

sys.exit(main())
