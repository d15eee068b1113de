"""The recommender: rank digest papers against the user's library, explain each pick, learn from feedback.

See :mod:`zotrec.recommend.model` for the method and the 0-100 score scale (a typical random arXiv
paper scores ~25, a typical paper of your own library ~75), and :mod:`zotrec.feedback` for how
what the user did in Zotero becomes +1 / -1 / 0.
"""

from typing import Any

from zotrec.deferred import defer_scipy_stats

defer_scipy_stats()  # before any scikit-learn import (see zotrec.deferred)


def __getattr__(name: str) -> Any:
    """The model's names, imported on first use (scikit-learn takes a second to import)."""
    if name in __all__:
        from zotrec.recommend import model

        return getattr(model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "LibraryIndex",
    "Reason",
    "Recommendation",
    "Recommender",
    "Settings",
]
