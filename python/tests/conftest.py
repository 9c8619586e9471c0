"""Shared fixtures: the repository's paths, the dev corpus, the CLI's pairs, a local Spark cluster."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PYTHON_DIR = Path(__file__).resolve().parents[1]
REPO = PYTHON_DIR.parent
SHARED = Path(os.environ.get("REPRINT_SHARED", REPO.parent / "shared"))
DEVSET = SHARED / "corpus" / "devset"
SCORER = SHARED / "tools" / "score.py"
SAMPLE = REPO / "fixtures" / "devsample" / "docs.jsonl"


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def pair_set(pairs):
    return {(p["a"], p["b"]) for p in pairs}


def score(truth, pairs_path):
    """score.py's figures for a pairs file."""
    out = subprocess.run(
        [sys.executable, str(SCORER), str(truth), str(pairs_path), "--json"],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def cli_binary():
    """The CLI: $REPRINT_BIN, else the release or debug build in target/."""
    env = os.environ.get("REPRINT_BIN")
    if env:
        return env
    for profile in ("release", "debug"):
        path = REPO / "target" / profile / "reprint"
        if path.exists():
            return str(path)
    return shutil.which("reprint")


@pytest.fixture(scope="session")
def devset():
    if not (DEVSET / "docs.jsonl").exists():
        pytest.fail(f"the dev corpus is missing: {DEVSET} (set REPRINT_SHARED)")
    return DEVSET


@pytest.fixture(scope="session")
def cli_pairs(devset, tmp_path_factory):
    """The CLI's pairs file for the dev corpus."""
    binary = cli_binary()
    if binary is None:
        pytest.fail("no reprint binary: build it (cargo build) or set REPRINT_BIN")
    out = tmp_path_factory.mktemp("cli") / "pairs.jsonl"
    subprocess.run(
        [binary, "dedupe", str(devset / "docs.jsonl"), "--pairs", str(out), "--quiet"],
        check=True,
    )
    return out


@pytest.fixture(scope="session")
def spark():
    """A real local Spark cluster: two worker processes of one core each."""
    from reprint.distributed import start_spark

    session = start_spark(None, workers=2, app="reprint-tests")
    yield session
    session.stop()
