"""``llmpulse.experiment()``: run a task over a dataset, score it, store the run.

    result = llmpulse.experiment(
        "refund-questions",                 # a stored dataset's name, a Dataset, or a list
        answer,                             # task(input) -> output (sync or async)
        evaluators=[checks.is_json, exact_match, judge],
        name="prompt-v2",
        concurrency=8,
    )

Each item runs in a trace of its own: a root span ``experiment <name>`` tagged
``experiment:<name>`` with the run id and the item id as attributes; evaluators run
inside it, so an LLM judge's calls are child spans (``evaluator``) costed apart from
the task's. An evaluator is a function whose parameters are picked by name among
``output`` (also the first parameter, whatever its name), ``input``, ``expected``
(or ``expected_output``), ``metadata`` and ``item``; it returns a ``bool``, a number,
``(score, reason)``, a dict (``score``, ``passed``, ``label``, ``reason``) or ``None``
(no score). The run, its per-item outputs, latencies and scores are stored through the
collector's ``/api/v1/experiments`` (``upload=False``: kept local).
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, TextIO, TypeVar

from opentelemetry import context as otel_context

from ._config import flush
from ._context import context
from ._datasets import Dataset, DatasetItem
from ._evals import assertion
from ._http import ApiClient, quote
from ._spans import span

__all__ = ["ExperimentResult", "ItemResult", "Score", "experiment"]

_ARGUMENTS = frozenset({"output", "input", "expected", "expected_output", "metadata", "item"})
_UPLOAD_BATCH = 500
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Score:
    name: str
    score: float | None
    passed: bool | None = None
    label: str = ""
    reason: str = ""


@dataclass(slots=True)
class ItemResult:
    item: DatasetItem
    output: Any
    error: str | None
    latency_ms: float
    trace_id: str | None
    scores: dict[str, Score] = field(default_factory=dict)


@dataclass(slots=True)
class ExperimentResult:
    """What ``experiment()`` returns: the run id (``None`` when not uploaded) and one
    result per item, in the dataset's order."""

    name: str
    run_id: str | None
    results: list[ItemResult]

    def summary(self) -> dict[str, dict[str, float | int | None]]:
        """Per evaluator: ``count``, ``mean_score`` and ``pass_rate`` (over verdicts)."""
        out: dict[str, dict[str, float | int | None]] = {}
        names = sorted({n for r in self.results for n in r.scores})
        for name in names:
            got = [r.scores[name] for r in self.results if name in r.scores]
            scored = [s.score for s in got if s.score is not None]
            judged = [s.passed for s in got if s.passed is not None]
            out[name] = {
                "count": len(got),
                "mean_score": sum(scored) / len(scored) if scored else None,
                "pass_rate": sum(judged) / len(judged) if judged else None,
            }
        return out

    @property
    def errors(self) -> int:
        return sum(1 for r in self.results if r.error is not None)


def to_score(name: str, value: Any) -> Score | None:
    """An evaluator's return value as a ``Score`` (``None``: no score)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return Score(name, 1.0 if value else 0.0, value)
    if isinstance(value, int | float):
        return Score(name, float(value))
    if isinstance(value, tuple) and len(value) == 2:
        base = to_score(name, value[0])
        if base is None:
            return None
        return Score(name, base.score, base.passed, base.label, str(value[1] or ""))
    if isinstance(value, Mapping):
        passed = value.get("passed")
        score = value.get("score")
        if score is None and passed is not None:
            score = 1.0 if passed else 0.0
        return Score(
            name,
            None if score is None else float(score),
            None if passed is None else bool(passed),
            str(value.get("label") or ""),
            str(value.get("reason") or ""),
        )
    raise TypeError(
        f"evaluator {name!r} returned {type(value).__name__}: return a bool, a number, "
        "(score, reason), a dict or None"
    )


class _Evaluator:
    """An evaluator with its arguments bound by parameter name, once."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.name = str(getattr(fn, "name", None) or getattr(fn, "__name__", type(fn).__name__))
        self.args: list[tuple[str, str]] = []  # (parameter, what it gets)
        try:
            params = list(inspect.signature(fn).parameters.values())
        except (TypeError, ValueError):  # a builtin without a signature: gets the output
            self.args, self.output_only = [("output", "output")], True
            return
        for i, p in enumerate(params):
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            if p.name in _ARGUMENTS:
                what = "expected_output" if p.name == "expected" else p.name
            elif i == 0:
                what = "output"
            elif p.default is not p.empty:
                continue
            else:
                raise TypeError(
                    f"evaluator {self.name!r}: cannot fill parameter {p.name!r}; name it "
                    "one of output, input, expected, metadata, item"
                )
            self.args.append((p.name, what))
        first = params[0] if params else None
        self.output_only = (
            first is not None
            and first.kind is not first.KEYWORD_ONLY
            and self.args == [(first.name, "output")]
        )

    def call(self, item: DatasetItem, output: Any) -> Any:
        values = {
            "output": output,
            "input": item.input,
            "expected_output": item.expected_output,
            "metadata": item.metadata,
            "item": item,
        }
        if self.output_only:
            return self.fn(output)
        return self.fn(**{param: values[what] for param, what in self.args})


def _parameters(fn: Callable[..., Any]) -> list[str]:
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):  # a builtin without a signature
        return []


def _failed(name: str, exc: BaseException) -> Score:
    return Score(name, None, None, "error", f"{type(exc).__name__}: {exc}")


class _Progress:
    """``name 37/100`` on stderr, rewritten in place, when stderr is a terminal."""

    def __init__(self, label: str, total: int, enabled: bool | None, stream: TextIO) -> None:
        self.label, self.total, self.stream = label, total, stream
        self.enabled = stream.isatty() if enabled is None else enabled
        self.done = 0
        self._shown = 0.0

    def step(self) -> None:
        self.done += 1
        now = time.monotonic()
        if self.enabled and (now - self._shown > 0.1 or self.done == self.total):
            self._shown = now
            width = 30
            filled = width * self.done // max(self.total, 1)
            bar = "#" * filled + "." * (width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total}")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _item_id(item: Mapping[str, Any], seen: dict[str, int]) -> str:
    if item.get("id"):
        return str(item["id"])
    digest = hashlib.sha1(
        json.dumps(
            [item.get("input"), item.get("expected_output")], sort_keys=True, default=str
        ).encode()
    ).hexdigest()[:16]
    seen[digest] = seen.get(digest, 0) + 1
    return digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"


def _items(
    dataset: str | Dataset | Iterable[DatasetItem | Mapping[str, Any]],
    version: int | None,
    client: ApiClient | None,
) -> tuple[list[DatasetItem], Dataset | None]:
    if isinstance(dataset, str):
        client = client or ApiClient()
        dataset = Dataset(client.get(f"/api/v1/datasets/{quote(dataset)}"), client)
    if isinstance(dataset, Dataset):
        return dataset.items(version), dataset
    items: list[DatasetItem] = []
    seen: dict[str, int] = {}
    for entry in dataset:
        if isinstance(entry, DatasetItem):
            items.append(entry)
        elif isinstance(entry, Mapping) and "input" in entry:
            items.append(
                DatasetItem(
                    id=_item_id(entry, seen),
                    input=entry["input"],
                    expected_output=entry.get("expected_output"),
                    metadata=entry.get("metadata") or {},
                )
            )
        else:
            raise TypeError(
                f"a dataset item is a DatasetItem or a dict with 'input', got {entry!r}"
            )
    return items, None


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def _result_body(r: ItemResult) -> dict[str, Any]:
    return {
        "item_id": r.item.id,
        "trace_id": r.trace_id or "",
        "input": _jsonable(r.item.input),
        "expected_output": _jsonable(r.item.expected_output),
        "output": _jsonable(r.output),
        "error": (r.error or "")[:10_000],
        "latency_ms": r.latency_ms,
        "scores": [
            {
                "name": s.name,
                "score": s.score,
                "passed": s.passed,
                "label": s.label[:200],
                "reason": s.reason[:10_000],
            }
            for s in r.scores.values()
        ],
    }


class _Runner:
    """Runs one item: a new trace, the task, the evaluators."""

    def __init__(
        self,
        name: str,
        run_id: str | None,
        dataset_id: str | None,
        task: Callable[..., Any],
        evaluators: Sequence[_Evaluator],
    ) -> None:
        self.name = name
        self.task = task
        self.evaluators = evaluators
        self.pass_item = _parameters(task)[:1] == ["item"]
        self.attributes = {"llmpulse.experiment.name": name}
        if run_id:
            self.attributes["llmpulse.experiment.run_id"] = run_id
        if dataset_id:
            self.attributes["llmpulse.dataset.id"] = dataset_id
        self.tags = [f"experiment:{name}"]

    def _attributes(self, item: DatasetItem) -> dict[str, str]:
        return {**self.attributes, "llmpulse.dataset.item_id": item.id}

    def _record(self, scores: dict[str, Score]) -> None:
        for s in scores.values():
            if s.passed is not None:
                assertion(s.name, s.passed, score=s.score, explanation=s.reason or None)

    def _score_sync(self, item: DatasetItem, output: Any) -> dict[str, Score]:
        scores: dict[str, Score] = {}
        for ev in self.evaluators:
            try:
                value = ev.call(item, output)
                if inspect.isawaitable(value):
                    value = _run_coroutine(_awaited(value))
                got = to_score(ev.name, value)
            except Exception as exc:
                got = _failed(ev.name, exc)
            if got is not None:
                scores[ev.name] = got
        return scores

    def run(self, item: DatasetItem) -> ItemResult:
        token = otel_context.attach(otel_context.Context())  # each item: a new trace
        trace_id: str | None = None
        output: Any = None
        error: str | None = None
        scores: dict[str, Score] = {}
        start = time.perf_counter()
        latency = 0.0
        try:
            with (
                context(tags=self.tags),
                span(f"experiment {self.name}", "chain", attributes=self._attributes(item)) as s,
            ):
                trace_id = s.trace_id
                s.set_input(item.input)
                try:
                    output = self.task(item if self.pass_item else item.input)
                finally:
                    latency = (time.perf_counter() - start) * 1000
                s.set_output(output)
                scores = self._score_sync(item, output)
                self._record(scores)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        finally:
            otel_context.detach(token)
        return ItemResult(item, output, error, latency, trace_id, scores)

    async def run_async(self, item: DatasetItem) -> ItemResult:
        token = otel_context.attach(otel_context.Context())
        trace_id: str | None = None
        output: Any = None
        error: str | None = None
        scores: dict[str, Score] = {}
        start = time.perf_counter()
        latency = 0.0
        try:
            with context(tags=self.tags):
                async with span(
                    f"experiment {self.name}", "chain", attributes=self._attributes(item)
                ) as s:
                    trace_id = s.trace_id
                    s.set_input(item.input)
                    try:
                        output = await self.task(item if self.pass_item else item.input)
                    finally:
                        latency = (time.perf_counter() - start) * 1000
                    s.set_output(output)
                    for ev in self.evaluators:
                        try:
                            value = ev.call(item, output)
                            if inspect.isawaitable(value):
                                value = await value
                            got = to_score(ev.name, value)
                        except Exception as exc:
                            got = _failed(ev.name, exc)
                        if got is not None:
                            scores[ev.name] = got
                    self._record(scores)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        finally:
            otel_context.detach(token)
        return ItemResult(item, output, error, latency, trace_id, scores)


async def _awaited(value: Awaitable[T]) -> T:
    return await value


def _run_coroutine(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion, also when this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # handed back to the caller below
            box["error"] = exc

    thread = threading.Thread(target=target, name="llmpulse-experiment")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    result: T = box["value"]
    return result


class _Uploader:
    """Posts finished results in batches (from the thread that runs the experiment)."""

    def __init__(self, client: ApiClient | None, run_id: str | None) -> None:
        self.client, self.run_id = client, run_id
        self.pending: list[ItemResult] = []

    def add(self, result: ItemResult) -> None:
        if self.client is None:
            return
        self.pending.append(result)
        if len(self.pending) >= _UPLOAD_BATCH:
            self.send()

    def send(self) -> None:
        if self.client is None or not self.pending:
            return
        body = {"results": [_result_body(r) for r in self.pending]}
        self.pending = []
        self.client.post(f"/api/v1/experiments/{self.run_id}/results", body)


def experiment(
    dataset: str | Dataset | Iterable[DatasetItem | Mapping[str, Any]],
    task: Callable[..., Any],
    evaluators: Sequence[Callable[..., Any]] = (),
    *,
    name: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    concurrency: int = 8,
    dataset_version: int | None = None,
    upload: bool = True,
    progress: bool | None = None,
    endpoint: str | None = None,
    api_key: str | None = None,
) -> ExperimentResult:
    """Run ``task`` over every item of ``dataset``, score each output with
    ``evaluators`` and store the run (see the module docstring). ``concurrency``
    items run at once (threads; an ``async def`` task runs on an event loop).
    ``progress``: a bar on stderr (default: when stderr is a terminal).
    Raises ``ApiError`` when the collector refuses the dataset or the run."""
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    run_name = str(name or getattr(task, "__name__", None) or "experiment")
    bound = [_Evaluator(fn) for fn in evaluators]
    names = [ev.name for ev in bound]
    if len(set(names)) != len(names):
        raise ValueError(f"evaluator names must be unique, got {names}")
    client = ApiClient(endpoint, api_key) if upload or isinstance(dataset, str) else None
    items, stored = _items(dataset, dataset_version, client)
    run_id: str | None = None
    if upload and client is not None:
        body: dict[str, Any] = {"name": run_name, "metadata": dict(metadata or {})}
        if stored is not None:
            body["dataset"] = stored.id
            body["dataset_version"] = dataset_version
        run_id = client.post("/api/v1/experiments", body)["id"]
    runner = _Runner(run_name, run_id, stored.id if stored else None, task, bound)
    uploader = _Uploader(client if upload else None, run_id)
    bar = _Progress(f"experiment {run_name}", len(items), progress, sys.stderr)
    status = "failed"
    try:
        if inspect.iscoroutinefunction(task):
            results = _run_coroutine(_run_all_async(runner, items, concurrency, bar, uploader))
        else:
            results = _run_all(runner, items, concurrency, bar, uploader)
        uploader.send()
        status = "completed"
    finally:
        bar.close()
        if run_id is not None and client is not None:
            flush()  # the items' traces reach the collector before the run is complete
            client.post(f"/api/v1/experiments/{run_id}/status", {"status": status})
    return ExperimentResult(run_name, run_id, results)


def _run_all(
    runner: _Runner,
    items: list[DatasetItem],
    concurrency: int,
    bar: _Progress,
    uploader: _Uploader,
) -> list[ItemResult]:
    results: list[ItemResult | None] = [None] * len(items)
    if concurrency == 1:
        for i, item in enumerate(items):
            results[i] = done = runner.run(item)
            uploader.add(done)
            bar.step()
    else:
        with ThreadPoolExecutor(concurrency, thread_name_prefix="llmpulse-experiment") as pool:
            futures = {pool.submit(runner.run, item): i for i, item in enumerate(items)}
            for future in as_completed(futures):
                results[futures[future]] = done = future.result()
                uploader.add(done)
                bar.step()
    return [r for r in results if r is not None]


async def _run_all_async(
    runner: _Runner,
    items: list[DatasetItem],
    concurrency: int,
    bar: _Progress,
    uploader: _Uploader,
) -> list[ItemResult]:
    gate = asyncio.Semaphore(concurrency)
    results: list[ItemResult | None] = [None] * len(items)

    async def one(i: int, item: DatasetItem) -> tuple[int, ItemResult]:
        async with gate:
            return i, await runner.run_async(item)

    for next_done in asyncio.as_completed([one(i, item) for i, item in enumerate(items)]):
        i, done = await next_done
        results[i] = done
        uploader.add(done)  # a full batch is sent at once (briefly blocking our own loop)
        bar.step()
    return [r for r in results if r is not None]
