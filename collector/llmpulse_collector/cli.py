"""The ``llmpulse`` command line.

    llmpulse collector [--host H] [--port P] [--data-dir DIR] [--clickhouse-url URL]
    llmpulse up [--data-dir DIR] [--demo] [--port P] [--dashboard-port P]
    llmpulse projects create NAME
    llmpulse keys create --project NAME [--scope ingest|read|admin]

Commands that create things print only the new thing on stdout, so scripts can
capture it; everything else goes to stderr.
"""

from __future__ import annotations

import argparse
import logging
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
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        timeout_graceful_shutdown=10,
    )
    return 0


def _cmd_up(args: argparse.Namespace) -> int:
    from llmpulse_collector.up import run_up

    return run_up(_settings_from(args), demo=args.demo, dashboard_port=args.dashboard_port)


def _cmd_projects_create(args: argparse.Namespace) -> int:
    from llmpulse_collector.store.keys import create_project

    settings = _settings_from(args)
    store = _open_store(settings)
    try:
        print(create_project(store, args.name))
    finally:
        store.close()
    return 0


def _cmd_keys_create(args: argparse.Namespace) -> int:
    from llmpulse_collector.store.keys import create_key, list_projects

    settings = _settings_from(args)
    store = _open_store(settings)
    try:
        projects = {p.project_id for p in list_projects(store)} | {
            p.name for p in list_projects(store)
        }
        if args.project not in projects:
            print(
                f"error: no project '{args.project}'; create it with "
                f"'llmpulse projects create {args.project}'",
                file=sys.stderr,
            )
            return 2
        print(create_key(store, args.project, args.scope))
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
            "An embedded store can be opened by one process only: stop the collector first."
        ) from exc
    store.migrate(retention_days=settings.retention_days)
    return store


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

    p = sub.add_parser("projects", help="manage projects")
    psub = p.add_subparsers(dest="action", required=True)
    pc = psub.add_parser("create", help="create a project; prints its id")
    pc.add_argument("name")
    _add_storage_args(pc)
    pc.set_defaults(func=_cmd_projects_create)

    p = sub.add_parser("keys", help="manage API keys")
    ksub = p.add_subparsers(dest="action", required=True)
    kc = ksub.add_parser("create", help="create an API key; prints the key alone")
    kc.add_argument("--project", required=True)
    kc.add_argument("--scope", choices=("ingest", "read", "admin"), default="ingest")
    _add_storage_args(kc)
    kc.set_defaults(func=_cmd_keys_create)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
