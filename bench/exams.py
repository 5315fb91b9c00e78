"""Benchmark: 2,000 candidates sitting one exam: autosaves at their real rate and every submission at the deadline; latency percentiles and lost answers.

The benchmark lives beside the code it measures (`training.exams.bench`); this is its entry point in
bench/. Arguments are passed through, e.g. `.venv/bin/python bench/exams.py --help`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from training.exams.bench import main  # noqa: E402

if __name__ == "__main__":
    main()
