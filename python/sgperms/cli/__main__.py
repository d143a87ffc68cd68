"""``python -m sgperms.cli``: the ``sgperms`` command."""

import sys

from . import main

sys.exit(main())
