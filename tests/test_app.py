"""The application's lifespan: what it does to the process it runs in."""

from __future__ import annotations

import gc

from fastapi import FastAPI
from fastapi.testclient import TestClient


def test_the_startup_heap_is_frozen_while_serving_and_released_at_shutdown(app: FastAPI) -> None:
    gc.unfreeze()  # whatever an earlier test left
    assert gc.get_freeze_count() == 0
    with TestClient(app) as client:
        # The modules, the app, its routes and models: out of full collections' sight.
        assert gc.get_freeze_count() > 10_000
        in_generations = {id(o) for generation in range(3) for o in gc.get_objects(generation)}
        assert id(app.router) not in in_generations
        assert client.get("/healthz").status_code == 200
        # What is made while serving is collected as usual.
        made_later = [[]]
        assert id(made_later) in {id(o) for o in gc.get_objects()}
    # Stopped, the app leaves nothing uncollectable behind in a longer-lived process.
    assert gc.get_freeze_count() == 0
    assert id(app.router) in {id(o) for o in gc.get_objects()}
