"""Helpers for the operations tests (cron, config, state, hostile inputs, kill): a tiny topic model,
config files, and running the real `zotrec` command in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from zotrec.demo import demo_digest_path

FAKE_KEY = "FAKEkeyZ9q8w7e6r5t4y3u2i"  # a known fake API key the secrecy tests search for
_MODEL: dict[str, Path] = {}


def tiny_topic_model(directory: Path) -> Path:
    """A topic model file for the operations tests: the shipped one when it loads, else a small one
    trained on the demo library's arXiv categories."""
    if "path" in _MODEL and _MODEL["path"].exists():
        return _MODEL["path"]
    from zotrec.topics import load_topic_model, save_topic_model, shipped_model_path, train_topic_model

    try:
        load_topic_model()
        _MODEL["path"] = Path(shipped_model_path())
        return _MODEL["path"]
    except Exception:  # no usable shipped model in this checkout
        pass
    from zotrec.paper import Paper

    rows = [json.loads(line) for line in (Path(demo_digest_path()).parent / "library.jsonl").open()]
    texts = [Paper(title=r["title"], abstract=r["summary"]) for r in rows]
    model = train_topic_model(texts, [r["categories"] for r in rows], min_examples=10)
    path = save_topic_model(model, Path(directory) / "tiny-topics.joblib")
    _MODEL["path"] = path
    return path


def write_config(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def embedded_config(home: Path, model: Path, library: Path, digests: list[str] | None = None, extra: str = "") -> Path:
    """A config file for the embedded backend with the tiny model and the demo digest."""
    digests = digests if digests is not None else [str(demo_digest_path())]
    return write_config(
        home / "config" / "config.toml",
        f'[zotero]\nbackend = "embedded"\nlibrary = {json.dumps(str(library))}\n\n'
        f"[sync]\nthreshold = 50\ntop_n = 5\n\n"
        f"[sources]\ndigests = {json.dumps(digests)}\n\n"
        f"[model]\ntopics = {json.dumps(str(model))}\n" + extra,
    )


def zotrec_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "zotrec", *args]


def run_zotrec(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real CLI in a subprocess with the current environment (ZOTREC_HOME from the fixture)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(zotrec_cmd(*args), capture_output=True, text=True, env=full_env, timeout=timeout)


_TEMPLATES: dict[str, Path] = {}


def warm_state_file(target: Path, snapshot, library_id: str) -> Path:
    """A state file (no runs) and, beside it, the cache folders a first run against ``snapshot``
    fills: its features and its items' topic labels (with the tests' topic model);
    ``install_warm_state`` copies them into a home."""
    from zotrec.recommend.cache import FeatureCache, library_index
    from zotrec.state import StateStore
    from zotrec.topics.library import library_topic_counts

    StateStore(target).close()
    library_index(snapshot, library_id, FeatureCache(warm_features_dir(target)))
    model = tiny_topic_model(target.parent)
    library_topic_counts(snapshot, library_id, model, folder=target.with_name(target.name + ".topics"))
    return target


def warm_features_dir(state_template: Path) -> Path:
    return state_template.with_name(state_template.name + ".features")


def install_warm_state(state_template: Path, home: Path) -> None:
    """Copy a warm state file and its cache folders (see ``warm_state_file``) into ``home``."""
    import shutil

    (home / "data").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(state_template, home / "data" / "state.sqlite")
    shutil.copytree(warm_features_dir(state_template), home / "cache" / "library-features", dirs_exist_ok=True)
    topics = state_template.with_name(state_template.name + ".topics")
    shutil.copytree(topics, home / "cache" / "library-topics", dirs_exist_ok=True)


def prepared_embedded(home: Path, root: Path) -> Path:
    """Reset the session's demo library at a fixed path and give ``home`` a warm state file.

    The library's path is fixed for the session (the feature cache is keyed by it), so every test
    starts from the same demo library without paying for the feature build again.
    """
    import shutil

    from zotrec.demo import ensure_demo_library

    library = root / "library.sqlite"
    if _TEMPLATES.get("embedded-root") != root:
        template = root / "template-library.sqlite"
        ensure_demo_library(template).close()
        shutil.copyfile(template, library)
        lib = ensure_demo_library(library)
        warm_state_file(root / "template-state.sqlite", lib.snapshot(), f"embedded:{library.resolve()}")
        lib.close()
        _TEMPLATES["embedded"] = template
        _TEMPLATES["embedded-root"] = root
    shutil.copyfile(_TEMPLATES["embedded"], library)
    install_warm_state(root / "template-state.sqlite", home)
    warm_demo_copy(library, home, root)  # `recommend --library FILE` knows the file by another id
    return library


def warm_demo_copy(path: Path, home: Path, root: Path) -> Path:
    """A copy of the session's demo library at ``path``, with its features and topic labels in
    ``home``'s cache under both ids zotrec gives that file (as the configured embedded library, and
    as ``--library FILE``): a run against it skips the cold feature build."""
    import shutil

    from zotrec.recommend.cache import FeatureCache
    from zotrec.topics.library import _cache_file

    library = root / "library.sqlite"
    if _TEMPLATES.get("embedded-root") != root:
        prepared_embedded(root / "template-home", root)
    if path.resolve() != library.resolve():
        shutil.copyfile(_TEMPLATES["embedded"], path)
    template = root / "template-state.sqlite"
    source_id = f"embedded:{library.resolve()}"
    cached = FeatureCache(warm_features_dir(template)).load(source_id)
    assert cached is not None, "the session's demo features are missing"
    topics = _cache_file(source_id, template.with_name(template.name + ".topics"))
    for library_id in (f"embedded:{path.resolve()}", f"file:{path.resolve()}"):
        FeatureCache(home / "cache" / "library-features").store(library_id, cached)
        target = _cache_file(library_id, home / "cache" / "library-topics")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(topics, target)
    return path


def session_root(tmp_path_factory) -> Path:
    """One folder for the whole test session (the shared library and template state live here)."""
    root = tmp_path_factory.getbasetemp() / "ops-shared"
    root.mkdir(exist_ok=True)
    return root
