"""Shared fixtures: the read-only data beside the project, isolated user dirs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from zotrec.config import CONFIG_ENV, ENV_VARS

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """../shared/data, or skip the test with a clear reason when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA} (tests that read real data need it)")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory, monkeypatch) -> Path:
    """Point zotrec's config/data/cache dirs at a fresh temp folder for every test."""
    home = tmp_path_factory.mktemp("zotrec-home")
    monkeypatch.setenv("ZOTREC_HOME", str(home))
    for var in [*ENV_VARS, CONFIG_ENV]:  # every setting's variable: tests never see the user's
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture(scope="session")
def model(tmp_path_factory) -> Path:
    """The topic model the operations tests run with (the shipped one, or a tiny one trained once)."""
    from opshelp import tiny_topic_model

    return tiny_topic_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="session")
def shared_root(tmp_path_factory) -> Path:
    """One folder for the whole session: the shared demo library and its warm state live here."""
    from opshelp import session_root

    return session_root(tmp_path_factory)


@pytest.fixture
def demo_library(isolated_dirs, shared_root) -> Path:
    """A fresh copy of the demo library (150 items) at the session's fixed path, with its features
    already in this test's cache folder: a sync against it skips the cold feature build."""
    from opshelp import prepared_embedded

    return prepared_embedded(isolated_dirs, shared_root)


@pytest.fixture(scope="session")
def demo_index():
    """The shipped demo library's papers (150 real arXiv papers) and their LibraryIndex, built once
    per session for the tests that rank against it without changing it."""
    from zotrec.demo import demo_library_papers
    from zotrec.recommend import LibraryIndex

    library = demo_library_papers()
    return library, LibraryIndex.build(library)


@pytest.fixture(scope="session")
def kill_server():
    """A fork server for the kill tests' zotrec processes (see tests/kill_hook.py): each run is a
    real process of its own, without paying for zotrec's imports again."""
    from kill_hook import KillServer

    server = KillServer()
    yield server
    server.close()


def run_once_dir(tmp_path_factory, name: str) -> Path:
    """A folder for something built once per test run: shared by pytest-xdist's workers (the parent
    of their temp folders), the session's own temp folder otherwise. Build into it under
    ``filelock.FileLock(str(folder) + ".lock")``."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / name


@pytest.fixture
def warm_file_library(isolated_dirs, tmp_path_factory):
    """``warm(path)`` gives this test's cache folder what a first `zotrec recommend --library FILE`
    leaves for that export file (its parsed items, features and topic labels); that run happens
    once per test run, for the first test that asks."""
    import hashlib
    import shutil

    from filelock import FileLock
    from typer.testing import CliRunner

    from zotrec.cli import app
    from zotrec.demo import demo_digest_path

    def warm(path: Path) -> Path:
        key = str(path.resolve())
        home = run_once_dir(tmp_path_factory, "file-library-" + hashlib.sha256(key.encode()).hexdigest()[:12])
        with FileLock(str(home) + ".lock"):
            if not (home / "done").exists():
                shutil.rmtree(home, ignore_errors=True)
                args = ["recommend", "--library", key, "--digest", str(demo_digest_path()), "--json"]
                result = CliRunner().invoke(app, args, env={"ZOTREC_HOME": str(home)})
                assert result.exit_code == 0, result.output
                (home / "done").touch()
        shutil.copytree(home / "cache", isolated_dirs / "cache", dirs_exist_ok=True)
        return path

    return warm
