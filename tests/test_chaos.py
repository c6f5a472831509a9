"""The short form of `make chaos`: one seed of load and faults on real
processes, then every check of tools/chaos_checks.py on the files; and a
check that those checks notice a lost or a doubled operation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tools.chaos import SeedResult, plan_faults, plan_requests, run_seed
from tools.chaos_checks import check_all, gather

SEED = 1
DURATION_S = 12


@pytest.fixture(scope="module")
def chaos_run(tmp_path_factory) -> tuple[SeedResult, Path]:
    """One run for the module; run_seed bounds every wait of its own."""
    workdir = tmp_path_factory.mktemp("chaos")
    result = run_seed(SEED, workdir, duration_s=DURATION_S, clients=2, settle_s=45)
    return result, workdir / f"seed-{SEED}"


def failed_checks(root: Path) -> set[str]:
    return {check.name for check in check_all(gather(root)) if not check.ok}


def test_the_same_seed_plans_the_same_requests_and_faults():
    first = (plan_requests(SEED, "A", 1, 50), plan_faults(SEED, DURATION_S))

    again = (plan_requests(SEED, "A", 1, 50), plan_faults(SEED, DURATION_S))

    assert first == again
    assert plan_requests(SEED, "B", 1, 50) != first[0]


def test_one_seed_of_faults_keeps_every_guarantee(chaos_run):
    result, _ = chaos_run

    failed = [check.render() for check in result.checks if not check.ok]

    assert result.ok, "\n".join(result.problems + failed)
    assert result.faults > 0
    assert result.acked > 0


def test_the_checks_notice_a_lost_and_a_doubled_operation(chaos_run, tmp_path):
    _, root = chaos_run
    copy = shutil.copytree(root, tmp_path / "copy")
    archive = copy / "siteB" / "applied_ids.jsonl"
    rows = archive.read_text().splitlines()
    loans = copy / "siteA" / "loans.json"
    held = json.loads(loans.read_text())
    held[0]["renovaciones"] += 1

    archive.write_text("\n".join(rows[1:]) + "\n")
    loans.write_text(json.dumps(held))

    failed = failed_checks(copy)
    assert "same key, same operation at A and B" in failed
    assert "final state = each op once, HLC order" in failed
    assert "books.json, loans.json identical" in failed
