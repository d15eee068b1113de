"""Topic labels for papers: the shipped arXiv-taxonomy model and personal collection/tag models."""

from zotrec.deferred import defer_scipy_stats

defer_scipy_stats()  # before any scikit-learn import (see zotrec.deferred)

from .model import (  # noqa: E402
    Topic,
    TopicModel,
    load_topic_model,
    save_topic_model,
    shipped_model_path,
    train_topic_model,
)

__all__ = [
    "Topic",
    "TopicModel",
    "load_topic_model",
    "save_topic_model",
    "shipped_model_path",
    "train_topic_model",
]
