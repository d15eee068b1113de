"""The pyzotero names zotrec's adapter relies on exist in the installed pyzotero."""

from __future__ import annotations

from pyzotero import zotero

from zotrec.library import pyzotero_api


def test_private_names_used_by_the_adapter_exist():
    for name in pyzotero_api.PRIVATE_NAMES:
        assert callable(getattr(zotero.Zotero, name, None)), f"pyzotero.zotero.Zotero.{name} is gone"
    zot = zotero.Zotero("1", "user", "k")
    assert hasattr(zot, "url_params") and hasattr(zot, "endpoint")
