"""``llmpulse experiments run|list|compare``.

    llmpulse experiments run --dataset NAME --task module:function \\
        [--evaluator module:function ...] [--name NAME] [--concurrency N]   # prints the run id
    llmpulse experiments list [--dataset NAME]
    llmpulse experiments compare --baseline RUN --candidate RUN [--max-drop 0.02]

``compare`` is the offline CI gate. A run is its id, or a name (the newest run of that
name). Exit codes: 0 no evaluator regressed; 1 an evaluator regressed: its mean score
dropped by more than ``--max-drop`` and the drop is not noise (the lower bound of the
paired bootstrap interval of the drop, over the items both runs share, is above zero);
2 the runs share no items (nothing to compare); 3 the comparison could not be made
(unknown run, collector unreachable).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from llmpulse_collector.evaluation.client import Api, CliError, add_connection_args

__all__ = ["add_experiments_parser", "format_comparison", "load_callable"]

EXIT_REGRESSED = 1
EXIT_NO_SHARED_ITEMS = 2
EXIT_ERROR = 3


def load_callable(ref: str) -> Callable[..., Any]:
    """``package.module:function`` (or ``module:Class.attr``), imported from the current
    directory too."""
    module_name, _, attr = ref.partition(":")
    if not module_name or not attr:
        raise CliError(f"{ref!r}: expected module:function", 2)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise CliError(f"cannot import {module_name!r}: {exc}", 2) from exc
    for part in attr.split("."):
        try:
            target = getattr(target, part)
        except AttributeError as exc:
            raise CliError(f"{module_name!r} has no {attr!r}", 2) from exc
    if not callable(target):
        raise CliError(f"{ref!r} is not callable", 2)
    return target  # type: ignore[no-any-return]


def _run(args: argparse.Namespace) -> int:
    import llmpulse
    from llmpulse._http import ApiError

    api = Api(args)
    api.close()
    task = load_callable(args.task)
    evaluators = [load_callable(ref) for ref in args.evaluator or []]
    try:
        metadata = json.loads(args.metadata) if args.metadata else {}
    except ValueError as exc:
        raise CliError(f"--metadata is not JSON: {exc}", 2) from exc
    llmpulse.configure(endpoint=api.url, api_key=api.key)
    try:
        result = llmpulse.experiment(
            args.dataset,
            task,
            evaluators,
            name=args.name,
            metadata=metadata,
            concurrency=args.concurrency,
            dataset_version=args.dataset_version,
            endpoint=api.url,
            api_key=api.key,
        )
    except ApiError as exc:
        raise CliError(str(exc)) from exc
    finally:
        llmpulse.shutdown()
    print(f"experiment {result.name}: {len(result.results)} items, "
          f"{result.errors} errors", file=sys.stderr)  # fmt: skip
    for name, stats in result.summary().items():
        print(f"  {name}: mean {_num(stats['mean_score'])}, "
              f"pass rate {_num(stats['pass_rate'])}", file=sys.stderr)  # fmt: skip
    print(result.run_id)
    return 0


def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _list(args: argparse.Namespace) -> int:
    api = Api(args)
    try:
        runs = api.get_all("/api/v1/experiments", "experiments", dataset=args.dataset)[
            "experiments"
        ]
    finally:
        api.close()
    rows = [("NAME", "STATUS", "DATASET", "ITEMS", "ERRORS", "SCORES", "CREATED", "ID")]
    for r in runs:
        scores = ", ".join(f"{e['name']}={_num(e['mean_score'])}" for e in r["evaluators"])
        dataset = f"{r['dataset_name']}@v{r['dataset_version']}" if r["dataset_name"] else "-"
        rows.append((r["name"], r["status"], dataset, str(r["items"]), str(r["errors"]),
                     scores or "-", r["created_at"][:19], r["id"]))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return 0


def format_comparison(result: dict[str, Any], max_items: int = 10) -> str:
    """The comparison as a plain-text table (what ``compare`` prints)."""
    base, cand = result["baseline"], result["candidate"]
    lines = [
        f"baseline  {base['name']} ({base['id']}): {base['items']} items, {base['errors']} errors",
        f"candidate {cand['name']} ({cand['id']}): {cand['items']} items, {cand['errors']} errors",
        f"shared items: {result['shared_items']} (only baseline {result['only_baseline']}, "
        f"only candidate {result['only_candidate']})",
        "",
    ]
    gate = result["gate"]
    pct = round(gate["confidence"] * 100)
    rows = [("EVALUATOR", "BASELINE", "CANDIDATE", "PASS RATE", "DROP", f"{pct}% CI", "PAIRS",
             "VERDICT")]  # fmt: skip
    for e in result["evaluators"]:
        b, c = e["baseline"] or {}, e["candidate"] or {}
        ci = (
            f"[{_num(e['drop_ci_low'])}, {_num(e['drop_ci_high'])}]"
            if e["drop_ci_low"] is not None
            else "-"
        )
        rate = f"{_num(b.get('pass_rate'))} -> {_num(c.get('pass_rate'))}"
        verdict = "REGRESSED" if e["regressed"] else "ok"
        rows.append((e["name"], _num(b.get("mean_score")), _num(c.get("mean_score")), rate,
                     _num(e["drop"]), ci, str(e["paired"]), verdict))  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lat_b, lat_c = base["latency_ms"], cand["latency_ms"]
    lines += [
        "",
        f"latency ms (mean / p95): {_num(lat_b['mean'], 1)} / {_num(lat_b['p95'], 1)} -> "
        f"{_num(lat_c['mean'], 1)} / {_num(lat_c['p95'], 1)}",
        f"cost usd: {base['cost_usd']:.6f} -> {cand['cost_usd']:.6f}",
        f"items regressed: {result['regressed_items']}, improved: {result['improved_items']}",
    ]
    for item in [i for i in result["items"] if i["regressed"]][:max_items]:
        text = json.dumps(item["input"])
        lines.append(
            f"  - {item['item_id']}: {', '.join(item['regressed_evaluators'])} "
            f"(input {text[:60] + '...' if len(text) > 60 else text})"
        )
    lines += [
        "",
        f"gate (max drop {gate['max_drop']}): "
        + ("FAILED: " + ", ".join(gate["regressed_evaluators"]) if gate["failed"] else "passed"),
    ]
    return "\n".join(lines)


def _compare(args: argparse.Namespace) -> int:
    api = Api(args)
    try:
        result = api.get_all(
            "/api/v1/experiments/compare",
            "items",
            baseline=args.baseline,
            candidate=args.candidate,
            max_drop=args.max_drop,
            confidence=args.confidence,
        )
    except CliError as exc:
        raise CliError(str(exc), EXIT_ERROR) from exc
    finally:
        api.close()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(format_comparison(result))
    if result["shared_items"] == 0:
        print("error: the runs share no items: nothing to compare", file=sys.stderr)
        return EXIT_NO_SHARED_ITEMS
    return EXIT_REGRESSED if result["gate"]["failed"] else 0


def _guarded(action: Callable[[argparse.Namespace], int], error_code: int = 1) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return action(args)
        except CliError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return exc.code if exc.code != 1 else error_code

    return run


def add_experiments_parser(sub: Any) -> None:
    p = sub.add_parser("experiments", help="run experiments over datasets and compare runs")
    esub = p.add_subparsers(dest="action", required=True)

    r = esub.add_parser("run", help="run a Python task over a dataset; prints the run id")
    r.add_argument("--dataset", required=True, help="dataset name or id")
    r.add_argument("--task", required=True, help="module:function taking an item's input")
    r.add_argument("--evaluator", action="append", help="module:function (repeatable)")
    r.add_argument("--name", help="run name (default: the task's name)")
    r.add_argument("--concurrency", type=int, default=8)
    r.add_argument("--dataset-version", type=int, help="default: the latest")
    r.add_argument("--metadata", help="a JSON object stored with the run")
    add_connection_args(r)
    r.set_defaults(func=_guarded(_run))

    ls = esub.add_parser("list", help="experiment runs, newest first")
    ls.add_argument("--dataset", help="only runs of this dataset")
    add_connection_args(ls)
    ls.set_defaults(func=_guarded(_list))

    c = esub.add_parser(
        "compare",
        help="compare two runs; exit 1 on a regression, 2 when they share no items",
    )
    c.add_argument("--baseline", required=True, help="run id or name")
    c.add_argument("--candidate", required=True, help="run id or name")
    c.add_argument("--max-drop", type=float, default=0.0, help="allowed mean score drop")
    c.add_argument("--confidence", type=float, default=0.95, help="of the bootstrap interval")
    c.add_argument("--json", action="store_true", help="print the API's JSON answer")
    add_connection_args(c)
    c.set_defaults(func=_guarded(_compare, EXIT_ERROR))
