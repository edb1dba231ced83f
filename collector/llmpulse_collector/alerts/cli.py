"""``llmpulse alerts check`` (a regression gate for CI) and ``llmpulse alerts test``.

``check`` validates the rules file locally, has the collector evaluate the rules once
(``POST /api/v1/alerts/evaluate``: the collector owns the store), prints a table and
returns (``EXIT_*``): 1 when any rule fires, 3 when no rule fires but one had too little
data to decide (a gate whose traces never arrived must not pass; ``--allow-no-data``
accepts it), 2 on errors, 0 when every rule was measured and none fires.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from llmpulse_collector.alerts.notifiers import Notifier
from llmpulse_collector.alerts.rules import NotifierConfig, RuleFile, load_rules_file

__all__ = ["add_alerts_parser", "check", "send_test"]

DEFAULT_COLLECTOR = "http://127.0.0.1:4318"

EXIT_OK = 0
EXIT_FIRING = 1  # a regression
EXIT_ERROR = 2  # invalid rules file, unreachable collector, bad key
EXIT_NO_DATA = 3  # nothing fires, but some rule could not be measured


def _rules(path: str) -> RuleFile:
    try:
        return load_rules_file(Path(path))
    except ValueError as exc:
        raise SystemExit(f"error: invalid rules file {path}:\n{exc}") from exc


def _collector(args: argparse.Namespace) -> tuple[str, str]:
    url = (
        args.collector
        or os.environ.get("LLMPULSE_COLLECTOR_URL")
        or os.environ.get("LLMPULSE_API_URL")  # as the dashboard
        or DEFAULT_COLLECTOR
    )
    key = args.api_key or os.environ.get("LLMPULSE_API_KEY")
    if not key:
        raise SystemExit("error: pass --api-key (a read key) or set LLMPULSE_API_KEY")
    return url.rstrip("/"), key


def _post(url: str, key: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    import httpx

    try:
        resp = httpx.post(
            f"{url}{path}", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=120
        )
    except httpx.HTTPError as exc:
        raise SystemExit(f"error: cannot reach the collector at {url}: {exc}") from exc
    if resp.status_code >= 400:
        try:
            message = resp.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = resp.text
        raise SystemExit(f"error: {resp.status_code} from the collector: {message}")
    result: dict[str, Any] = resp.json()
    return result


def _cell(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def _table(results: list[dict[str, Any]]) -> str:
    header = ["RULE", "METRIC", "STATUS", "VALUE", "BASELINE", "CHANGE", "THRESHOLD", "SAMPLES"]
    rows = [header]
    for r in results:
        change = r.get("change")
        rows.append(
            [
                r["rule_name"],
                r["metric"],
                r["status"].upper(),
                _cell(r.get("value")),
                _cell(r.get("baseline")),
                "-" if change is None else f"{change:+.3g}",
                r.get("threshold") or "-",
                str(r.get("samples", 0)),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _verdict(results: list[dict[str, Any]], *, allow_no_data: bool) -> tuple[int, str]:
    """The exit code and the line that explains it."""
    firing = [r for r in results if r["status"] == "firing"]
    no_data = [r for r in results if r["status"] == "insufficient_data"]
    if firing:
        return EXIT_FIRING, f"{len(firing)} of {len(results)} rule(s) firing"
    if no_data and not allow_no_data:
        names = ", ".join(repr(r["rule_name"]) for r in no_data)
        return EXIT_NO_DATA, (
            f"no rule fires, but {len(no_data)} of {len(results)} rule(s) had too little data "
            f"to decide ({names}): did the traces arrive? (--allow-no-data accepts this)"
        )
    if no_data:
        return EXIT_OK, f"no rule fires ({len(no_data)} without enough data, allowed)"
    return EXIT_OK, "no rule fires"


def check(args: argparse.Namespace) -> int:
    try:
        parsed = _rules(args.rules)
        rules = [r.model_dump(exclude={"project"}, exclude_none=True) for r in parsed.rules]
        if not rules:
            print(f"error: no rules in {args.rules}", file=sys.stderr)
            return EXIT_ERROR
        url, key = _collector(args)
        body: dict[str, Any] = {"rules": rules}
        if args.at:
            body["at"] = args.at
        answer = _post(url, key, "/api/v1/alerts/evaluate", body)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return EXIT_ERROR
    results: list[dict[str, Any]] = answer["results"]
    if args.json:
        print(json.dumps(answer, indent=2))
    else:
        print(_table(results))
        for r in results:
            if r["status"] != "ok":
                label = "NO DATA" if r["status"] == "insufficient_data" else r["status"].upper()
                print(f"\n{label}: [{r['rule_name']}] {r['message']}")
                if r.get("link"):
                    print(f"  {r['link']}")
    code, summary = _verdict(results, allow_no_data=args.allow_no_data)
    print(f"\n{summary}", file=sys.stderr)
    return code


def send_test(args: argparse.Namespace) -> int:
    from llmpulse_collector.api.alerts import test_payload

    notifiers: list[Notifier] = []
    try:
        if args.rules:
            notifiers += [Notifier.from_config(n) for n in _rules(args.rules).notifiers]
        if args.webhook:
            notifiers.append(
                Notifier.from_config(
                    NotifierConfig(name="webhook", type="webhook", url=args.webhook)
                )
            )
        if args.slack:
            notifiers.append(
                Notifier.from_config(NotifierConfig(name="slack", type="slack", url=args.slack))
            )
        if args.notifier:
            notifiers = [n for n in notifiers if n.name == args.notifier]
        if not notifiers:
            if args.collector or os.environ.get("LLMPULSE_COLLECTOR_URL"):
                url, key = _collector(args)
                body = {"notifier": args.notifier} if args.notifier else {}
                sent = _post(url, key, "/api/v1/alerts/test", body)["sent"]
            else:
                print(
                    "error: no notifier: pass --rules FILE, --webhook URL, --slack URL or "
                    "--collector URL (its configured notifiers)",
                    file=sys.stderr,
                )
                return 2
        else:
            payload = test_payload("test", None)
            sent = {n.name: n.send(payload) for n in notifiers}
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2
    for name, ok in sent.items():
        print(f"{name}: {'sent' if ok else 'FAILED'}")
    return 0 if all(sent.values()) else 1


def add_alerts_parser(sub: Any) -> None:
    """``llmpulse alerts check|test``."""
    p = sub.add_parser("alerts", help="alert rules: a CI regression gate, test notifications")
    asub = p.add_subparsers(dest="action", required=True)
    c = asub.add_parser(
        "check",
        help="evaluate rules once; exit 1 when any fires, 3 when one has too little data",
    )
    c.add_argument("--rules", required=True, help="YAML rules file (see docs/alerts.md)")
    c.add_argument(
        "--collector",
        help=f"collector URL (default $LLMPULSE_COLLECTOR_URL or {DEFAULT_COLLECTOR})",
    )
    c.add_argument("--api-key", help="a read key (default $LLMPULSE_API_KEY)")
    c.add_argument("--at", help="evaluate as of this time (ISO 8601 or unix seconds)")
    c.add_argument("--json", action="store_true", help="print the collector's JSON answer")
    c.add_argument(
        "--allow-no-data",
        action="store_true",
        help="pass (exit 0) when no rule fires even if some had too little data to decide",
    )
    c.set_defaults(func=check)
    t = asub.add_parser("test", help="send a test notification")
    t.add_argument("--rules", help="YAML rules file: send through its notifiers")
    t.add_argument("--webhook", help="a generic JSON webhook URL")
    t.add_argument("--slack", help="a Slack incoming-webhook URL")
    t.add_argument("--notifier", help="only the notifier with this name")
    t.add_argument("--collector", help="send through this collector's notifiers instead")
    t.add_argument("--api-key", help="an admin key of that collector")
    t.set_defaults(func=send_test)
