"""The recommender: rank digest papers against the user's library, explain each pick, learn from feedback.

See :mod:`zotrec.recommend.model` for the method and the 0-100 score scale.
"""

from zotrec.recommend.model import LibraryIndex, Reason, Recommendation, Recommender, Settings

__all__ = ["LibraryIndex", "Reason", "Recommendation", "Recommender", "Settings"]
