"""zotrec: classify new papers by topic and recommend them into Zotero."""

__version__ = "0.1.0"
