"""``python -m iotlm.cli``."""

import sys

from iotlm.cli import main

sys.exit(main())
