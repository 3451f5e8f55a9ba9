"""`make bench` seeds its database with plain SQL: it must keep up with the models."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from undersigned.conftest import ROOT, database_env_of_tests, production_env
from undersigned.jobs.models import Job
from undersigned.statements.models import Signature, Statement


@pytest.mark.django_db(transaction=True)
def test_the_bench_seed_writes_rows_the_models_read() -> None:
    env = production_env(**database_env_of_tests())
    for command in (["seed", "5"], ["emails", "3"]):
        out = subprocess.run(  # noqa: S603 - our own script
            [sys.executable, "bench/seed.py", *command],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        assert json.loads(out.strip().splitlines()[-1])
    big = Statement.objects.get(slug="bench-1m")
    assert big.signatures.counted().count() == 5
    assert {s.public_name for s in Signature.objects.filter(statement=big)}
    assert Job.objects.filter(kind="mail.confirm_signature").count() == 3
