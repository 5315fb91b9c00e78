"""Piccolo's entry point: the engine from settings and the registry of domain apps."""

from piccolo.conf.apps import AppRegistry

from core.db import make_engine
from core.settings import get_settings

DB = make_engine(get_settings().database_url)

APP_REGISTRY = AppRegistry(
    apps=[
        "core.piccolo_app",
        "roster.piccolo_app",
        "training.piccolo_app",
        "training.exams.piccolo_app",
        "certification.piccolo_app",
        "expert_pool.piccolo_app",
        "roster.review.piccolo_app",
    ]
)
