"""Who may change what: a project's admin key manages only its own project; the
operator key creates and lists projects and manages any project.

Every admin or operator route of the app is in ``ROUTES`` (a test checks the table
against the app), and each is tried across projects: project A's admin on project B's
resources is refused and changes nothing; B's admin and the operator succeed.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from fastapi.routing import APIRoute

from llmpulse_collector.api.auth import PROJECT_HEADER, Require
from llmpulse_collector.store.keys import create_key, create_project, hash_key
from tests.collector.api.conftest import Api, started_api

ALERT_RULE = {
    "metric": "error_rate",
    "window": "10m",
    "condition": {"kind": "threshold", "op": ">", "value": 0.05},
    "min_samples": 10,
}
_names = itertools.count()


@dataclass
class World:
    """Project A ("shop", the fixture's keys) and project B ("billing") with its admin."""

    api: Api
    b: str
    b_admin: str
    b_read: str

    def call(
        self, key: str, method: str, path: str, body: Any = None, project: str | None = None
    ) -> Any:
        headers = self.api.headers(key)
        if project is not None:
            headers[PROJECT_HEADER] = project
        return self.api.client.request(method, path, json=body, headers=headers)

    def b_state(self) -> dict[str, Any]:
        """Everything of B's an admin could change, as B's admin sees it."""

        def get(path: str) -> Any:
            resp = self.call(self.b_admin, "GET", path)
            assert resp.status_code == 200, resp.text
            return resp.json()

        return {
            "keys": get("/api/v1/keys"),
            "eval_rules": get("/api/v1/eval-rules"),
            "alert_rules": get("/api/v1/alerts/rules"),
            "projects": self.call(self.api.operator_key, "GET", "/api/v1/projects").json(),
        }


def _b_key(world: World) -> str:
    return hash_key(create_key(world.api.store, world.b, "read"))


def _b_eval_rule(world: World) -> str:
    body = {"name": f"rule-{next(_names)}", "check": {"type": "json"}}
    resp = world.call(world.b_admin, "POST", "/api/v1/eval-rules", body)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def _b_alert_rule(world: World) -> str:
    body = {**ALERT_RULE, "name": f"alert-{next(_names)}"}
    resp = world.call(world.b_admin, "POST", "/api/v1/alerts/rules", body)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # "{id}" is one of B's resources, made fresh for each request by ``make``
    ok: int = 200
    body: Callable[[World], Any] = lambda _w: None
    make: Callable[[World], str] | None = None
    #: an instance route (the operator's alone), not one of a project's
    instance: bool = False
    #: when A's admin names B only through the path or body (no header)
    attack_without_header: int | None = field(default=None)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    def request(
        self, world: World, key: str, *, header: bool = True, resource: str | None = None
    ) -> Any:
        """This route on B: a fresh resource of B's unless ``resource`` is given."""
        if self.make is not None:
            path = self.path.replace("{id}", resource or self.make(world))
        else:
            path = self.path
        return world.call(key, self.method, path, self.body(world), world.b if header else None)


ROUTES = [
    Route(
        "POST",
        "/api/v1/projects",
        201,
        body=lambda _w: {"name": f"new {next(_names)}"},
        instance=True,
        attack_without_header=403,
    ),
    Route("GET", "/api/v1/projects", instance=True, attack_without_header=403),
    Route(
        "POST",
        "/api/v1/keys",
        201,
        body=lambda w: {"scope": "read", "project": w.b},
        attack_without_header=403,
    ),
    Route("GET", "/api/v1/keys"),
    Route("DELETE", "/api/v1/keys/{id}", make=_b_key, attack_without_header=404),
    Route(
        "POST",
        "/api/v1/eval-rules",
        201,
        body=lambda _w: {"name": f"r{next(_names)}", "check": {"type": "json"}},
    ),
    Route("DELETE", "/api/v1/eval-rules/{id}", make=_b_eval_rule, attack_without_header=404),
    Route(
        "POST",
        "/api/v1/alerts/rules",
        201,
        body=lambda _w: {**ALERT_RULE, "name": f"a{next(_names)}"},
    ),
    Route(
        "PUT",
        "/api/v1/alerts/rules/{id}",
        body=lambda _w: {**ALERT_RULE, "name": f"a{next(_names)}", "severity": "critical"},
        make=_b_alert_rule,
        attack_without_header=404,
    ),
    Route("DELETE", "/api/v1/alerts/rules/{id}", make=_b_alert_rule, attack_without_header=404),
    Route("POST", "/api/v1/alerts/test", body=lambda _w: {}),
]


class _Sink(BaseHTTPRequestHandler):
    """A webhook that accepts every notification."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        self.received.append(json.loads(body))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def world(chdb_url: str) -> Iterator[World]:
    """One collector for the module: each test makes the resources it acts on."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    webhook = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        with started_api(chdb_url, alert_webhook_url=webhook) as api:
            b = create_project(api.store, "billing")
            admin, read = create_key(api.store, b, "admin"), create_key(api.store, b, "read")
            yield World(api, b, admin, read)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _scoped_routes(routes: list[Any]) -> set[str]:
    """``METHOD path`` of every route that needs an admin or operator key."""
    found: set[str] = set()
    for route in routes:
        included = getattr(route, "original_router", None)  # app.include_router(...)
        if included is not None:
            found |= _scoped_routes(included.routes)
        if not isinstance(route, APIRoute):
            continue
        stack = list(route.dependant.dependencies)
        while stack:
            dep = stack.pop()
            if isinstance(dep.call, Require) and dep.call.scope in ("admin", "operator"):
                path = re.sub(r"\{\w+\}", "{id}", route.path)
                found.update(f"{m} {path}" for m in route.methods)
            stack.extend(dep.dependencies)
    return found


def test_the_table_holds_every_admin_and_operator_route(world: World) -> None:
    app = world.api.client.app
    assert _scoped_routes(app.routes) == {str(r) for r in ROUTES}  # type: ignore[attr-defined]


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_only_the_projects_own_admin_and_the_operator_may(world: World, route: Route) -> None:
    target = route.make(world) if route.make is not None else None
    before = world.b_state()
    # A's admin names B in the header, then (where the route allows) through B's ids
    attack = route.request(world, world.api.admin_key, resource=target)
    assert attack.status_code == 403, attack.text
    if route.attack_without_header is not None:
        attack = route.request(world, world.api.admin_key, header=False, resource=target)
        assert attack.status_code == route.attack_without_header, attack.text
    assert world.b_state() == before  # nothing of B's changed
    assert world.call(world.b_read, "GET", "/api/v1/traces").status_code == 200

    own = route.request(world, world.b_admin, resource=target)
    assert own.status_code == (403 if route.instance else route.ok), own.text
    operator = route.request(world, world.api.operator_key)
    assert operator.status_code == route.ok, operator.text


def test_what_the_operator_does_lands_in_the_project_it_names(world: World) -> None:
    operator = world.api.operator_key
    created = world.call(
        operator,
        "POST",
        "/api/v1/eval-rules",
        {"name": "by the operator", "check": {"type": "json"}},
        world.b,
    )
    assert created.status_code == 201
    in_b = world.call(world.b_read, "GET", "/api/v1/eval-rules").json()["rules"]
    in_a = world.call(world.api.read_key, "GET", "/api/v1/eval-rules").json()["rules"]
    assert "by the operator" in {r["name"] for r in in_b}
    assert "by the operator" not in {r["name"] for r in in_a}

    listed = world.call(operator, "GET", "/api/v1/keys", project=world.b).json()["keys"]
    assert {k["scope"] for k in listed} == {"admin", "read"}

    sent = world.call(operator, "POST", "/api/v1/alerts/test", {}, world.b)
    assert sent.json() == {"sent": {"webhook": True}}
    assert _Sink.received[-1]["project_id"] == world.b


def test_an_admin_lists_only_its_own_projects_keys(world: World) -> None:
    listed = world.call(world.api.admin_key, "GET", "/api/v1/keys").json()["keys"]
    b_keys = world.call(world.b_admin, "GET", "/api/v1/keys").json()["keys"]
    assert listed and b_keys
    assert not {k["key_id"] for k in listed} & {k["key_id"] for k in b_keys}


def test_an_operator_key_must_name_an_existing_project(world: World) -> None:
    operator = world.api.operator_key
    unnamed = world.call(operator, "GET", "/api/v1/eval-rules")
    assert unnamed.status_code == 400
    assert PROJECT_HEADER in unnamed.json()["error"]["message"]
    assert world.call(operator, "GET", "/api/v1/keys", project="nope").status_code == 404
    # it sends no spans: ingest keys belong to a project
    assert world.api.send(_empty_export(), key=operator).status_code == 403


def _empty_export() -> Any:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    return ExportTraceServiceRequest()


def test_api_keys_cannot_mint_operator_keys(world: World) -> None:
    for key in (world.b_admin, world.api.operator_key):
        resp = world.call(key, "POST", "/api/v1/keys", {"scope": "operator", "project": world.b})
        assert resp.status_code == 400
