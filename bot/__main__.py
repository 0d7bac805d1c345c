"""`python -m bot` runs the alertbot command."""

import sys

from bot.cli import main

sys.exit(main())
