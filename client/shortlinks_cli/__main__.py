"""``python -m shortlinks_cli``: the same as the ``shortlinks`` command."""

import sys

from shortlinks_cli.main import main

sys.exit(main())
