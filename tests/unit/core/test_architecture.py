"""The house's rules (docs/architecture.md): the import-linter contracts in pyproject.toml hold,
and the module lists they name where a package holds a higher floor inside it stay whole."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


def _modules_of(package: str, leaving_out: str) -> list[str]:
    """The package's own modules and sub-packages, without `leaving_out` (its higher floor)."""
    folder = ROOT / package
    names = [f"{package}.{p.stem}" for p in folder.glob("*.py") if p.stem != "__init__"]
    names += [f"{package}.{p.name}" for p in folder.iterdir() if (p / "__init__.py").exists()]
    return sorted(n for n in names if n != leaving_out)


def test_the_ground_floors_name_every_module_but_the_floor_above_inside_them():
    contracts = _contracts()
    for contract, package, above in (("roster", "roster", "roster.review"), ("training", "training", "training.exams")):
        assert sorted(contracts[contract]["source_modules"]) == _modules_of(package, above), contract
        assert sorted(contracts[f"tables-{contract}"]["source_modules"]) == _modules_of(package, above)


def test_the_import_contracts_hold():
    linter = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout
