"""The evaluation loop's routers (datasets, experiments, review queues), in one list so
the app factory includes them with one line."""

from __future__ import annotations

from fastapi import APIRouter

from llmpulse_collector.api import datasets, experiments, review_queues

__all__ = ["ROUTERS"]

ROUTERS: list[APIRouter] = [datasets.router, experiments.router, review_queues.router]
