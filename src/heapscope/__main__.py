"""``python -m heapscope``: the ``heapscope`` command."""
from heapscope.cli import main

raise SystemExit(main())
