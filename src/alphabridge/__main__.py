import sys

from alphabridge.cli import main

sys.exit(main())
