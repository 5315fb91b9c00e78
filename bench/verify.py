"""Benchmark: verification throughput and p99 (JSON and HTML) beside /livez, production server with 2 workers.

The benchmark lives beside the code it measures (`certification.bench_verify`); this is its entry point in
bench/. Arguments are passed through, e.g. `.venv/bin/python bench/verify.py --help`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from certification.bench_verify import main  # noqa: E402

if __name__ == "__main__":
    main()
