"""``python -m sgperms``: the ``sgperms`` command."""

import sys

from .cli import main

sys.exit(main())
