"""Run a refresh in a child process and record when it started and ended (for the operations
tests): `python -m lead_pipeline_tests.operations.runner TIMES_JSON -- <cli args>`."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main() -> int:
    times = Path(sys.argv[1])
    args = sys.argv[sys.argv.index("--") + 1:]
    started = time.time()
    from lead_pipeline.cli import main as cli

    code = cli(args)
    times.write_text(json.dumps({"started": started, "ended": time.time(), "code": code}))
    return code


if __name__ == "__main__":
    sys.exit(main())
