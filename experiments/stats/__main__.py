import sys

from experiments.stats.cli import main

sys.exit(main())
