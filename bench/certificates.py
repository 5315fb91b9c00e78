"""Benchmark (a) of the certificates issue: issue and render N certificates (PNG and PDF),
reporting ms per certificate for each step and peak memory, with a progress bar.

    .venv/bin/python bench/certificates.py --count 1000            # fresh SQLite in a temp dir
    MEDIATION_DATABASE_URL=postgresql://... .venv/bin/python bench/certificates.py --keep-db

Without --keep-db it points MEDIATION_VAR_DIR and MEDIATION_DATABASE_URL at a temporary
directory, migrates it and removes it afterwards. Target: under 100 ms per PNG.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project, run as a script


def progress(done: int, total: int, started: float) -> None:
    width = 40
    filled = int(width * done / total)
    rate = done / max(time.perf_counter() - started, 1e-9)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {rate:6.1f}/s")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


async def run(count: int) -> dict[str, float]:
    from core import domains

    domains.wire()  # the domains' event subscriptions, as the app makes them
    from certification import files, issuing, layouts, render
    from core import db
    from roster import services as roster_services

    await db.start_pool()
    try:
        mediators = [await roster_services.create_mediator_record(name=f"测试调解员{i:04d}", region_code="350504")
                     for i in range(min(count, 50))]
        timings = {"issue": 0.0, "draw": 0.0, "png": 0.0, "pdf": 0.0, "cache_write": 0.0}
        started = time.perf_counter()
        grades = ("induction", "junior", "intermediate", "senior")
        for index in range(count):
            t0 = time.perf_counter()
            holder = mediators[index % len(mediators)]
            certificate = await issuing.issue_certificate_unchecked(holder, grades[index % 4])
            t1 = time.perf_counter()
            card = files.card_data(certificate)
            spec = await layouts.layout_spec(certificate.layout_version)
            plan = render.card_plan(card, spec)
            image = render.paint_png(plan)
            t2 = time.perf_counter()
            png = render.png_bytes(image)
            t3 = time.perf_counter()
            pdf = render.pdf_bytes(plan)
            t4 = time.perf_counter()
            await files.rendered_files(certificate)  # renders again through the cache path and stores the hashes
            t5 = time.perf_counter()
            timings["issue"] += t1 - t0
            timings["draw"] += t2 - t1
            timings["png"] += t3 - t2
            timings["pdf"] += t4 - t3
            timings["cache_write"] += t5 - t4
            assert png and pdf
            if index % 10 == 9 or index == count - 1:
                progress(index + 1, count, started)
        total = time.perf_counter() - started
    finally:
        await db.close_pool()
    out = {f"{k}_ms_per_certificate": v * 1000 / count for k, v in timings.items()}
    out["png_total_ms_per_certificate"] = (timings["draw"] + timings["png"]) * 1000 / count
    out["certificates_per_second"] = count / total
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--keep-db", action="store_true", help="use the configured database as it is")
    args = parser.parse_args()
    temporary = None
    if not args.keep_db:
        temporary = Path(tempfile.mkdtemp(prefix="cert-bench-"))
        os.environ["MEDIATION_VAR_DIR"] = str(temporary)
        os.environ["MEDIATION_DATABASE_URL"] = f"sqlite:///{temporary / 'bench.sqlite3'}"
        os.environ.setdefault("MEDIATION_SECRET_KEY", "bench-secret-key-" + "b" * 32)
        subprocess.run([sys.executable, "-m", "core.cli", "migrate"], check=True, stdout=subprocess.DEVNULL)
        from core.settings import get_settings

        get_settings.cache_clear()  # importing the package already read the settings
        assert "piccolo_conf" not in sys.modules, "the engine was configured before the benchmark database"
    try:
        results = asyncio.run(run(args.count))
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
    print(f"certificates: {args.count}")
    for key, value in results.items():
        print(f"{key:36s} {value:10.2f}")
    verdict = "OK" if results["png_total_ms_per_certificate"] < 100 else "SLOW"
    print(f"target < 100 ms per PNG (draw + encode): {verdict}")


if __name__ == "__main__":
    main()
