"""Topic labels for papers: the shipped arXiv-taxonomy model and personal collection/tag models."""

from .model import (
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
