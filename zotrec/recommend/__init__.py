"""The recommender: rank digest papers against the user's library, explain each pick, learn from feedback.

See :mod:`zotrec.recommend.model` for the method and the 0-100 score scale (a typical random arXiv
paper scores ~25, a typical paper of your own library ~75), and :mod:`zotrec.feedback` for how
what the user did in Zotero becomes +1 / -1 / 0.
"""

from zotrec.recommend.model import LibraryIndex, Reason, Recommendation, Recommender, Settings

__all__ = [
    "LibraryIndex",
    "Reason",
    "Recommendation",
    "Recommender",
    "Settings",
]
