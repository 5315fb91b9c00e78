"""Exam benchmark: N candidates (default 2,000) sit one exam. Autosaves arrive at their real
rate (each candidate saves one answer every 20 s, so N / 20 requests per second) for
--duration seconds, then all N papers are submitted at once at the deadline. Reports latency
percentiles for autosave and submission, and checks that nothing was lost: every answer's
last saved value is present afterwards and every paper is submitted.

    .venv/bin/python bench/exams.py                     # fresh SQLite in a temp dir
    .venv/bin/python bench/exams.py --candidates 500 --duration 20
    MEDIATION_DATABASE_URL=postgresql://... .venv/bin/python bench/exams.py --keep-db

It drives the same service functions the HTTP handlers call (the handler adds routing, the
session and CSRF checks on top), with the app's connection pool open.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project, run as a script


def percentiles(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000

    return (f"n={len(ordered)} median {statistics.median(ordered) * 1000:.1f} ms  p90 {at(0.90):.1f} ms  "
            f"p95 {at(0.95):.1f} ms  p99 {at(0.99):.1f} ms  max {ordered[-1] * 1000:.1f} ms")


async def setup(candidates: int):
    from core import domains

    domains.wire()  # the domains' event subscriptions, as the app makes them
    from datetime import timedelta

    from core import clock
    from core.auth.roles import Grant, Principal, Role
    from roster import services as roster_services
    from training.exams import bank, papers, sittings, taking
    from training.exams.tables import Admission

    admin = Principal(user_id=None, username="bench", grants=(Grant(Role.ADMIN, "350000"),))
    objective = [await bank.create_question(admin, {
        "kind": "single", "topic": "bench", "grade": "junior", "difficulty": 3, "marks": 4, "stem": f"Q{n}",
        "options": "a|b|c|d", "answer": "A"}) for n in range(20)]
    written = [await bank.create_question(admin, {
        "kind": "short_answer", "topic": "bench", "grade": "junior", "difficulty": 3, "marks": 20,
        "stem": "Explain", "rubric": "r"})]
    paper_id = await papers.create_paper(admin, {"title": "Bench", "grade": "junior", "kind": "fixed",
                                                   "duration_minutes": "120"})
    await papers.set_paper_questions(admin, paper_id, objective + written)
    now = clock.now()
    sitting_id = await sittings.create_sitting(admin, {
        "title": "Bench sitting", "paper_id": str(paper_id), "region_code": "350000",
        "opens_at": clock.iso(now - timedelta(minutes=5)), "closes_at": clock.iso(now + timedelta(hours=3))})
    mediators = []
    for n in range(candidates):
        mediators.append(await roster_services.create_mediator_record(name=f"考生{n:04d}", region_code="350504"))

    async def everyone(ids, grade):
        return {i: True for i in ids}

    await sittings.admit_candidates(admin, sitting_id, mediators, completions=everyone)
    rows = await Admission.select(Admission.id, Admission.mediator_id).where(Admission.sitting == sitting_id)
    people = {r["id"]: Principal(user_id=None, username="bench",
                                 grants=(Grant(Role.MEDIATOR, "350504", mediator_id=r["mediator_id"]),))
              for r in rows}
    for admission_id, who in people.items():
        await taking.start_exam(who, admission_id)
    return people, objective + written, written


async def run(candidates: int, duration: float) -> int:
    from core import db
    from training.exams import bank, taking

    await db.start_pool()
    try:
        t0 = time.perf_counter()
        people, questions, written = await setup(candidates)
        print(f"setup: {candidates} candidates admitted and started in {time.perf_counter() - t0:.1f} s")
        expected: dict[tuple[int, int], object] = {}
        save_latency: list[float] = []
        errors: list[str] = []
        generator = random.Random(7)  # noqa: S311
        interval = 20.0 / max(candidates, 1)  # one save per candidate every 20 s
        tasks = []

        async def save(admission_id: int, question_id: int, value) -> None:
            started = time.perf_counter()
            try:
                await taking.save_answers(people[admission_id], admission_id, {question_id: value})
                expected[(admission_id, question_id)] = value
            except Exception as failure:  # noqa: BLE001 - counted and reported
                errors.append(f"save {admission_id}/{question_id}: {failure!r}")
            save_latency.append(time.perf_counter() - started)

        ids = list(people)
        begin = time.perf_counter()
        n = 0
        while time.perf_counter() - begin < duration:
            admission_id = ids[n % len(ids)]
            question_id = questions[generator.randrange(len(questions))]
            value = f"答案 {n}" if question_id in written else str(generator.randrange(4))
            tasks.append(asyncio.create_task(save(admission_id, question_id, value)))
            n += 1
            target = begin + n * interval
            await asyncio.sleep(max(0.0, target - time.perf_counter()))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - begin
        print(f"autosave: {len(save_latency)} requests in {elapsed:.1f} s ({len(save_latency) / elapsed:.0f}/s): "
              f"{percentiles(save_latency)}")

        submit_latency: list[float] = []

        async def submit(admission_id: int) -> None:
            started = time.perf_counter()
            try:
                await taking.submit(people[admission_id], admission_id)
            except Exception as failure:  # noqa: BLE001
                errors.append(f"submit {admission_id}: {failure!r}")
            submit_latency.append(time.perf_counter() - started)

        begin = time.perf_counter()
        await asyncio.gather(*[submit(a) for a in ids])
        elapsed = time.perf_counter() - begin
        print(f"submission: {len(ids)} papers at once in {elapsed:.1f} s: {percentiles(submit_latency)}")

        from training.exams.tables import Admission, Answer

        stored = {(r["admission"], r["question_id"]): bank.from_json(r["response"])
                  for r in await Answer.select(Answer.admission, Answer.question_id, Answer.response)}
        lost = 0
        for key, value in expected.items():
            got = stored.get(key)
            if key[1] in written:
                lost += got != value
            else:
                lost += got != [int(value)]
        unsubmitted = await Admission.count().where(Admission.status.is_in(["admitted", "started"]))
        print(f"check: {len(expected)} answers saved, {lost} lost; {unsubmitted} papers not submitted; "
              f"{len(errors)} errors")
        for line in errors[:10]:
            print("  ", line)
        return 1 if lost or unsubmitted or errors else 0
    finally:
        await db.close_pool()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of autosave traffic")
    parser.add_argument("--keep-db", action="store_true", help="use MEDIATION_DATABASE_URL as it is")
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[2]
    temp = None
    if not args.keep_db:
        temp = tempfile.mkdtemp(prefix="exam-bench-")
        os.environ["MEDIATION_VAR_DIR"] = temp
        os.environ["MEDIATION_DATABASE_URL"] = f"sqlite:///{temp}/bench.sqlite3"
    os.environ.setdefault("MEDIATION_SECRET_KEY", "bench-secret-key-" + "x" * 32)
    try:
        subprocess.run([sys.executable, "-m", "core.cli", "migrate"], cwd=root, check=True, env=os.environ.copy(),
                       stdout=subprocess.DEVNULL)
        sys.exit(asyncio.run(run(args.candidates, args.duration)))
    finally:
        if temp:
            shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    main()
