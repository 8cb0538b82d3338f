import sys

from fer_stats.cli import main

sys.exit(main())
