"""Benchmark: issue and render certificates (PNG and PDF): ms per certificate, peak memory, progress bar.

The benchmark lives beside the code it measures (`certification.bench`); this is its entry point in
bench/. Arguments are passed through, e.g. `.venv/bin/python bench/certificates.py --help`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from certification.bench import main  # noqa: E402

if __name__ == "__main__":
    main()
