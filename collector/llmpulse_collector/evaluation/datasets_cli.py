"""``llmpulse datasets create|add|list|export``.

    llmpulse datasets create NAME [--description TEXT]          # prints the dataset id
    llmpulse datasets add NAME --file items.jsonl|items.csv      # prints the new version
    llmpulse datasets add NAME --trace TRACE_ID [--trace ...] [--output-as-expected]
    llmpulse datasets list
    llmpulse datasets export NAME [--format jsonl|csv] [--version N] [-o FILE]

JSONL: one object per line with ``input`` and optional ``expected_output``,
``metadata``, ``id``, ``source_trace_id``, ``source_span_id`` (what ``export`` writes).
CSV: a header row with the same column names; a cell that starts with ``{`` or ``[``
is read as JSON, an empty cell as nothing, anything else as text.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from llmpulse_collector.evaluation.client import Api, CliError, add_connection_args, quote_ref

__all__ = ["add_datasets_parser", "read_items"]

_FIELDS = ("id", "input", "expected_output", "metadata", "source_trace_id", "source_span_id")


def _csv_value(cell: str) -> Any:
    if cell == "":
        return None
    if cell.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(cell)
        except ValueError:
            return cell
    return cell


def read_items(path: Path, fmt: str | None = None) -> list[dict[str, Any]]:
    """Items from a JSONL or CSV file (by ``fmt`` or the file's extension)."""
    kind = fmt or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc}", 2) from exc
    rows: list[dict[str, Any]] = []
    if kind == "csv":
        reader = csv.DictReader(io.StringIO(text))
        if reader.fieldnames is None or "input" not in reader.fieldnames:
            raise CliError(f"{path}: the CSV header needs an 'input' column", 2)
        for row in reader:
            rows.append({k: _csv_value(v or "") for k, v in row.items() if k in _FIELDS})
    else:
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise CliError(f"{path}:{n}: not JSON: {exc}", 2) from exc
            if not isinstance(row, dict) or "input" not in row:
                raise CliError(f"{path}:{n}: each line is an object with an 'input'", 2)
            rows.append({k: v for k, v in row.items() if k in _FIELDS})
    items = []
    for n, row in enumerate(rows, 1):
        item = {k: v for k, v in row.items() if v is not None}
        if "input" not in item:
            raise CliError(f"{path}: item {n} has no input", 2)
        if "metadata" in item and not isinstance(item["metadata"], dict):
            raise CliError(f"{path}: item {n}: metadata must be a JSON object", 2)
        items.append(item)
    if not items:
        raise CliError(f"{path}: no items", 2)
    return items


def _create(api: Api, args: argparse.Namespace) -> int:
    created = api.post("/api/v1/datasets", {"name": args.name, "description": args.description})
    print(created["id"])
    return 0


def _add(api: Api, args: argparse.Namespace) -> int:
    ref = quote_ref(args.name)
    if args.file and args.trace:
        raise CliError("pass --file or --trace, not both", 2)
    if args.file:
        items = read_items(Path(args.file), args.format)
        answer: dict[str, Any] = {}
        for start in range(0, len(items), 5_000):
            answer = api.post(
                f"/api/v1/datasets/{ref}/items", {"items": items[start : start + 5_000]}
            )
        added = len(items)
    elif args.trace:
        refs = [
            {"trace_id": t.split("/")[0], **({"span_id": t.split("/")[1]} if "/" in t else {})}
            for t in args.trace
        ]
        body = {"traces": refs, "output_as_expected": args.output_as_expected}
        answer = api.post(f"/api/v1/datasets/{ref}/items/from-traces", body)
        added = answer["added"]
    else:
        raise CliError("pass --file FILE or --trace TRACE_ID", 2)
    print(f"added {added} items to {args.name}: version {answer['version']}", file=sys.stderr)
    print(answer["version"])
    return 0


def _list(api: Api, _: argparse.Namespace) -> int:
    datasets = api.get_all("/api/v1/datasets", "datasets")["datasets"]
    rows = [("NAME", "ITEMS", "VERSION", "CREATED", "ID")] + [
        (d["name"], str(d["item_count"]), str(d["version"]), d["created_at"][:19], d["id"])
        for d in datasets
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    return 0


def _export(api: Api, args: argparse.Namespace) -> int:
    text = api.get(
        f"/api/v1/datasets/{quote_ref(args.name)}/export",
        format=args.format or "jsonl",
        version=args.version,
    )
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _runner(action: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            api = Api(args)
            try:
                result: int = action(api, args)
            finally:
                api.close()
        except CliError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return exc.code
        return result

    return run


def add_datasets_parser(sub: Any) -> None:
    p = sub.add_parser("datasets", help="create, fill, list and export datasets")
    dsub = p.add_subparsers(dest="action", required=True)

    c = dsub.add_parser("create", help="create a dataset; prints its id")
    c.add_argument("name")
    c.add_argument("--description", default="")
    add_connection_args(c)
    c.set_defaults(func=_runner(_create))

    a = dsub.add_parser("add", help="add items from a file or traces; prints the new version")
    a.add_argument("name", help="dataset name or id")
    a.add_argument("--file", help="JSONL or CSV items (see 'export')")
    a.add_argument("--format", choices=("jsonl", "csv"), help="default: by file extension")
    a.add_argument("--trace", action="append", help="TRACE_ID or TRACE_ID/SPAN_ID (repeatable)")
    a.add_argument(
        "--output-as-expected",
        action="store_true",
        help="with --trace: use the production output as the expected output",
    )
    add_connection_args(a)
    a.set_defaults(func=_runner(_add))

    ls = dsub.add_parser("list", help="datasets of the project")
    add_connection_args(ls)
    ls.set_defaults(func=_runner(_list))

    e = dsub.add_parser("export", help="write the items as JSONL (default) or CSV")
    e.add_argument("name", help="dataset name or id")
    e.add_argument("--format", choices=("jsonl", "csv"))
    e.add_argument("--version", type=int, help="a version number (default: the latest)")
    e.add_argument("-o", "--output", help="a file (default: stdout)")
    add_connection_args(e)
    e.set_defaults(func=_runner(_export))
