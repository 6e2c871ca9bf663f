"""``python -m adapter.cli``: the same as the ``spinemets`` console script."""

import sys

from adapter.cli import main

sys.exit(main())
