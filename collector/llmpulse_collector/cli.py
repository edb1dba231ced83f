"""The ``llmpulse`` command line.

    llmpulse collector [--host H] [--port P] [--data-dir DIR] [--clickhouse-url URL]
    llmpulse up [--data-dir DIR] [--demo] [--port P] [--dashboard-port P]
    llmpulse dashboard [--port P] [--collector URL] [--api-key KEY]
    llmpulse projects create NAME
    llmpulse keys create --project NAME [--scope ingest|read|admin]
    llmpulse keys create-operator
    llmpulse alerts check --rules FILE [--collector URL] [--api-key KEY]
    llmpulse alerts test [--rules FILE | --webhook URL | --slack URL]
    llmpulse datasets create|add|list|export ...      (see evaluation/datasets_cli.py)
    llmpulse experiments run|list|compare ...         (see evaluation/experiments_cli.py)

Commands that create things print only the new thing on stdout, so scripts can
capture it; everything else goes to stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["main"]


def _settings_from(args: argparse.Namespace) -> Any:
    from llmpulse_collector.settings import Settings

    overrides: dict[str, Any] = {}
    for name in ("host", "port", "data_dir", "clickhouse_url"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = Path(value) if name == "data_dir" else value
    return Settings(**overrides)


def _add_storage_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="directory for embedded storage (default ./.llmpulse)")
    parser.add_argument(
        "--clickhouse-url", help="chdb:///path or http(s)://user:pass@host:8123 (a server)"
    )


def _cmd_collector(args: argparse.Namespace) -> int:
    import uvicorn

    from llmpulse_collector.app import create_app

    settings = _settings_from(args)
    # httptools and uvloop (collector extra) when installed: a cheaper HTTP parser and
    # event loop; no access log, a line per request is pure overhead on the ingest path.
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        access_log=False,
        http="auto",
        loop="auto",
        timeout_graceful_shutdown=10,
    )
    return 0


def _cmd_up(args: argparse.Namespace) -> int:
    from llmpulse_collector.up import run_up

    return run_up(_settings_from(args), demo=args.demo, dashboard_port=args.dashboard_port)


def _cmd_dashboard(args: argparse.Namespace) -> int:
    """Replace this process with the dashboard server (``llmpulse_dashboard.serve``)."""
    import importlib.util

    if importlib.util.find_spec("llmpulse_dashboard.serve") is None or (
        importlib.util.find_spec("streamlit") is None
    ):
        print("error: the dashboard is not installed: pip install 'llmpulse[dashboard]'",
              file=sys.stderr)  # fmt: skip
        return 2
    env = dict(os.environ)
    if args.collector:
        env["LLMPULSE_API_URL"] = args.collector
    if args.api_key:
        env["LLMPULSE_API_KEY"] = args.api_key
    from llmpulse_collector.up import dashboard_command

    os.execve(sys.executable, dashboard_command(args.port, args.host), env)


class _NoProject(Exception):
    pass


class _StoreAdmin:
    """Projects and keys straight in storage (the collector must not be running on it)."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def create_project(self, name: str) -> str:
        from llmpulse_collector.store.keys import create_project

        return create_project(self._store, name)

    def create_key(self, project: str, scope: str) -> str:
        from llmpulse_collector.store.keys import create_key, list_projects, project_slug

        project_id = project_slug(project)
        if project_id not in {p.project_id for p in list_projects(self._store)}:
            raise _NoProject(project)
        return create_key(self._store, project_id, scope)  # type: ignore[arg-type]

    def close(self) -> None:
        self._store.close()


class _HttpAdmin:
    """Projects and keys through a running collector's admin API."""

    def __init__(self, url: str, api_key: str) -> None:
        import httpx

        self._http = httpx.Client(
            base_url=url.rstrip("/"), headers={"Authorization": f"Bearer {api_key}"}, timeout=30
        )

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = self._http.post(path, json=body)
        if resp.status_code == 404:
            raise _NoProject(body.get("project", ""))
        if resp.status_code >= 400:
            message = resp.json().get("error", {}).get("message", resp.text)
            raise SystemExit(f"error: {resp.status_code} from the collector: {message}")
        result: dict[str, Any] = resp.json()
        return result

    def create_project(self, name: str) -> str:
        return str(self._post("/api/v1/projects", {"name": name})["project_id"])

    def create_key(self, project: str, scope: str) -> str:
        from llmpulse_collector.store.keys import project_slug

        return str(
            self._post("/api/v1/keys", {"scope": scope, "project": project_slug(project)})["key"]
        )

    def close(self) -> None:
        self._http.close()


def _admin(args: argparse.Namespace) -> _StoreAdmin | _HttpAdmin:
    """Storage directly, or the running collector's API when given (or when it owns the
    embedded store and ``llmpulse up`` left an admin key in the data directory)."""
    import json

    if args.collector:
        key = (
            args.api_key
            or os.environ.get("LLMPULSE_OPERATOR_KEY")
            or os.environ.get("LLMPULSE_ADMIN_KEY")
        )
        if not key:
            raise SystemExit(
                "error: --collector needs --api-key (the operator key, or a project's admin "
                "key for its own keys) or LLMPULSE_OPERATOR_KEY"
            )
        return _HttpAdmin(args.collector, key)
    settings = _settings_from(args)
    try:
        return _StoreAdmin(_open_store(settings))
    except SystemExit:
        creds = settings.data_dir / "credentials.json"
        if settings.clickhouse_url is None and creds.exists():
            data = json.loads(creds.read_text())
            if data.get("operator_key") and data.get("collector_url"):
                return _HttpAdmin(data["collector_url"], data["operator_key"])
        raise


def _cmd_projects_create(args: argparse.Namespace) -> int:
    admin = _admin(args)
    try:
        print(admin.create_project(args.name))
    finally:
        admin.close()
    return 0


def _cmd_keys_create(args: argparse.Namespace) -> int:
    admin = _admin(args)
    try:
        print(admin.create_key(args.project, args.scope))
    except _NoProject:
        print(
            f"error: no project '{args.project}'; create it with "
            f"'llmpulse projects create {args.project}'",
            file=sys.stderr,
        )
        return 2
    finally:
        admin.close()
    return 0


def _cmd_keys_create_operator(args: argparse.Namespace) -> int:
    from llmpulse_collector.store.keys import create_operator_key

    store = _open_store(_settings_from(args))
    try:
        print(create_operator_key(store))
    finally:
        store.close()
    return 0


def _open_store(settings: Any) -> Any:
    from llmpulse_collector.store import Store

    if settings.clickhouse_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        store = Store.open(
            settings.resolved_clickhouse_url,
            database=settings.clickhouse_database,
            cluster=settings.clickhouse_cluster,
        )
    except Exception as exc:
        raise SystemExit(
            f"error: cannot open storage at {settings.resolved_clickhouse_url}: {exc}\n"
            "An embedded store can be opened by one process only: stop the collector, or "
            "pass --collector URL --api-key ADMIN_KEY to go through it."
        ) from exc
    store.migrate(retention_days=settings.retention_days)
    return store


def _add_admin_args(parser: argparse.ArgumentParser) -> None:
    _add_storage_args(parser)
    parser.add_argument("--collector", help="URL of a running collector to go through")
    parser.add_argument(
        "--api-key", help="the operator key of that collector (or a project's admin key)"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llmpulse", description="Tracing and monitoring for LLM applications."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("collector", help="serve OTLP/HTTP ingestion and the query API")
    p.add_argument("--host", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="listen port (default 4318)")
    _add_storage_args(p)
    p.set_defaults(func=_cmd_collector)

    p = sub.add_parser("up", help="start the collector and dashboard on embedded storage")
    p.add_argument("--demo", action="store_true", help="feed realistic demo traffic")
    p.add_argument("--host", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="collector port (default 4318)")
    p.add_argument("--dashboard-port", type=int, default=8501, help="dashboard port")
    _add_storage_args(p)
    p.set_defaults(func=_cmd_up)

    p = sub.add_parser("dashboard", help="serve the dashboard for a running collector")
    p.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8501, help="dashboard port (default 8501)")
    p.add_argument("--collector", help="collector URL (default $LLMPULSE_API_URL or :4318)")
    p.add_argument("--api-key", help="a read key (default $LLMPULSE_API_KEY; several projects: "
                   "LLMPULSE_API_KEYS=k1,k2)")  # fmt: skip
    p.set_defaults(func=_cmd_dashboard)

    p = sub.add_parser("projects", help="manage projects")
    psub = p.add_subparsers(dest="action", required=True)
    pc = psub.add_parser("create", help="create a project; prints its id")
    pc.add_argument("name")
    _add_admin_args(pc)
    pc.set_defaults(func=_cmd_projects_create)

    p = sub.add_parser("keys", help="manage API keys")
    ksub = p.add_subparsers(dest="action", required=True)
    kc = ksub.add_parser("create", help="create an API key; prints the key alone")
    kc.add_argument("--project", required=True)
    kc.add_argument("--scope", choices=("ingest", "read", "admin"), default="ingest")
    _add_admin_args(kc)
    kc.set_defaults(func=_cmd_keys_create)
    ko = ksub.add_parser(
        "create-operator",
        help="create an instance-wide operator key (straight in storage); prints the key",
    )
    _add_storage_args(ko)
    ko.set_defaults(func=_cmd_keys_create_operator)
    _add_alerts_parser(sub)
    _add_evaluation_parsers(sub)
    return parser


def _add_alerts_parser(sub: Any) -> None:
    from llmpulse_collector.alerts.cli import add_alerts_parser

    add_alerts_parser(sub)


def _add_evaluation_parsers(sub: Any) -> None:
    from llmpulse_collector.evaluation.datasets_cli import add_datasets_parser
    from llmpulse_collector.evaluation.experiments_cli import add_experiments_parser

    add_datasets_parser(sub)
    add_experiments_parser(sub)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # httpx logs every request at INFO: the commands' own clients (the demo's seeding,
    # the admin and evaluation commands) would fill the console with one line a request
    logging.getLogger("httpx").setLevel(logging.WARNING)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
