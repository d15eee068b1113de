"""Fixtures of the attack tests (tests/test_attacks*.py): a warm embedded setup, the loopback Web
API server holding the demo library, and a digest whose titles carry hostile text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from opshelp import embedded_config, prepared_embedded, session_root

from zotrec.demo import demo_digest_path
from zotrec.sources import read_source


@pytest.fixture
def setup(isolated_dirs, model, tmp_path_factory):
    library = prepared_embedded(isolated_dirs, session_root(tmp_path_factory))
    config = embedded_config(isolated_dirs, model, library)
    return {"home": isolated_dirs, "library": library, "config": config, "model": model}


def hostile_digest(path: Path, inject: list[str]) -> Path:
    """The demo digest's papers as JSON lines, each title carrying one of ``inject``."""
    with path.open("w", encoding="utf-8") as fh:
        for number, paper in enumerate(read_source(str(demo_digest_path()))):
            title = f"{inject[number % len(inject)]} {paper.title}"
            fh.write(
                json.dumps(
                    {
                        "id": f"2509.{number:05d}",
                        "title": title,
                        "summary": paper.abstract,
                        "authors": ["[/i] A. Author"],
                        "categories": ["cs.LG"],
                    }
                )
                + "\n"
            )
    return path


@pytest.fixture
def zotero_web(monkeypatch, isolated_dirs, model, tmp_path):
    """The loopback Web API server holding the demo library, and the env that points zotrec at it."""
    from opshelp import write_config
    from zotero_server import ZoteroServer

    from zotrec import paths
    from zotrec.demo import ensure_demo_library

    demo = ensure_demo_library(tmp_path / "seed.sqlite")
    items = [
        {k: v for k, v in item.items() if k not in ("key", "version", "collections")} for item in demo.snapshot().items
    ]
    demo.close()
    write_config(paths.config_file(), f"[model]\ntopics = {json.dumps(str(model))}\n")
    with ZoteroServer() as server:
        server.load(items)
        for name, value in [
            ("ZOTREC_BACKEND", "web"),
            ("ZOTERO_API_KEY", server.api_key),
            ("ZOTERO_LIBRARY_ID", server.library_id),
            ("ZOTERO_LIBRARY_TYPE", "user"),
            ("ZOTREC_ZOTERO_ENDPOINT", server.endpoint),
            ("ZOTREC_THRESHOLD", "0"),
            ("ZOTREC_TOP_N", "4"),
        ]:
            monkeypatch.setenv(name, value)
        yield server
