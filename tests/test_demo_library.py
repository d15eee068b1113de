"""The demo library is the same in every installation, and so is the demo's morning."""

from __future__ import annotations

from pathlib import Path

from zotrec.demo import demo_digest_path, ensure_demo_library
from zotrec.library.embedded import KEY_ALPHABET


def test_every_installation_gets_the_same_demo_library_and_ranking(tmp_path: Path):
    # the library's rows follow the item keys: fixed keys and a scale that does not depend on
    # them give every installation the same demo morning
    from zotrec.runner import recommend_only

    paths = [tmp_path / "one" / "demo.sqlite", tmp_path / "two" / "demo.sqlite"]
    keys = []
    for path in paths:
        path.parent.mkdir()
        library = ensure_demo_library(path)
        keys.append(sorted(item["key"] for item in library.snapshot().items))
        library.close()
    assert keys[0] == keys[1] and len(set(keys[0])) == 150
    assert all(len(k) == 8 and set(k) <= set(KEY_ALPHABET) for k in keys[0])
    ranked = [
        [
            (r.paper.title, round(r.score, 6))
            for r in recommend_only(str(path), [str(demo_digest_path())], top=38).ranked
        ]
        for path in paths
    ]
    assert len(ranked[0]) == 38 and ranked[0] == ranked[1]
