"""``llmpulse datasets ...`` and ``llmpulse experiments ...`` against a real collector:
JSONL/CSV import and export, a run from a Python entry point, and the compare gate's
exit codes on real runs."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import httpx
import pytest

from llmpulse_collector.cli import main
from llmpulse_collector.evaluation import client
from tests.collector.evaluation_loop.conftest import Live

TASKS = """
ANSWERS = {"2+2": "4", "3+3": "6", "5+5": "10", "1+1": "2", "9+1": "10", "4+4": "8"}


def good(question):
    return ANSWERS[question]


def bad(question):
    return "no idea" if question in ("5+5", "9+1", "4+4") else ANSWERS[question]


def exact(output, expected):
    return output == expected


def short(output):
    return len(output) <= 3, f"{len(output)} chars"
"""


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_datasets_commands(live: Live, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "datasets", "create", "math", "--description", "sums")
    assert code == 0 and len(out.strip()) == 32
    jsonl = tmp_path / "items.jsonl"
    jsonl.write_text(
        json.dumps({"input": "2+2", "expected_output": "4", "metadata": {"level": 1}})
        + "\n\n"
        + json.dumps({"input": {"a": 3, "b": 3}, "expected_output": 6})
        + "\n"
    )
    code, out, err = _cli(capsys, "datasets", "add", "math", "--file", str(jsonl))
    assert (code, out.strip()) == (0, "1") and "added 2 items" in err
    csv_file = tmp_path / "more.csv"
    csv_file.write_text('input,expected_output,metadata\n5+5,10,{"level": 2}\n"[1, 2]",,\n')
    code, out, _ = _cli(capsys, "datasets", "add", "math", "--file", str(csv_file))
    assert (code, out.strip()) == (0, "2")

    code, out, _ = _cli(capsys, "datasets", "list")
    assert code == 0
    header, row = out.splitlines()
    assert header.split()[:3] == ["NAME", "ITEMS", "VERSION"]
    assert row.split()[:3] == ["math", "4", "2"]

    exported = tmp_path / "out.jsonl"
    assert _cli(capsys, "datasets", "export", "math", "-o", str(exported))[0] == 0
    rows = [json.loads(line) for line in exported.read_text().splitlines()]
    assert [(r["input"], r["expected_output"]) for r in rows] == [
        ("2+2", "4"), ({"a": 3, "b": 3}, 6), ("5+5", "10"), ([1, 2], None),
    ]  # fmt: skip
    assert rows[2]["metadata"] == {"level": 2}
    # an export reads back as the same items
    _cli(capsys, "datasets", "create", "copy")
    assert _cli(capsys, "datasets", "add", "copy", "--file", str(exported))[0] == 0
    code, out, _ = _cli(capsys, "datasets", "export", "copy", "--format", "csv", "--version", "1")
    assert out.splitlines()[0] == "id,input,expected_output,metadata,source_trace_id,source_span_id"
    assert len(out.splitlines()) == 5

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"expected_output": 1}\n')
    code, _, err = _cli(capsys, "datasets", "add", "math", "--file", str(bad))
    assert code == 2 and "input" in err
    code, _, err = _cli(capsys, "datasets", "export", "nope")
    assert code == 1 and "404" in err


def test_experiments_run_and_compare_gate(
    live: Live, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "math_tasks.py").write_text(textwrap.dedent(TASKS))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    items = tmp_path / "items.jsonl"
    answers = {"2+2": "4", "3+3": "6", "5+5": "10", "1+1": "2", "9+1": "10", "4+4": "8"}
    items.write_text("".join(
        json.dumps({"input": q, "expected_output": a}) + "\n" for q, a in answers.items()
    ))  # fmt: skip
    _cli(capsys, "datasets", "create", "sums")
    _cli(capsys, "datasets", "add", "sums", "--file", str(items))

    runs = {}
    for name in ("good", "bad"):
        code, out, err = _cli(
            capsys, "experiments", "run", "--dataset", "sums", "--task", f"math_tasks:{name}",
            "--evaluator", "math_tasks:exact", "--evaluator", "math_tasks:short",
            "--name", f"v-{name}", "--concurrency", "2",
        )  # fmt: skip
        assert code == 0, err
        runs[name] = out.strip()
        assert len(runs[name]) == 32 and "6 items, 0 errors" in err

    code, out, _ = _cli(capsys, "experiments", "list", "--dataset", "sums")
    assert code == 0 and [line.split()[0] for line in out.splitlines()] == [
        "NAME",
        "v-bad",
        "v-good",
    ]

    code, out, _ = _cli(
        capsys, "experiments", "compare", "--baseline", "v-good", "--candidate", runs["bad"],
        "--max-drop", "0.02",
    )  # fmt: skip
    assert code == 1, out
    exact = next(line for line in out.splitlines() if line.startswith("exact "))
    assert exact.split()[1:3] == ["1.000", "0.500"] and exact.endswith("REGRESSED")
    assert "items regressed: 3" in out and "gate (max drop 0.02): FAILED: exact" in out

    code, out, _ = _cli(capsys, "experiments", "compare", "--baseline", "v-good",
                        "--candidate", "v-good", "--max-drop", "0.02")  # fmt: skip
    assert code == 0 and "gate (max drop 0.02): passed" in out
    code, _, _ = _cli(capsys, "experiments", "compare", "--baseline", "v-good",
                      "--candidate", "v-bad", "--max-drop", "0.6")  # fmt: skip
    assert code == 0  # a drop of 0.5 is within a 0.6 margin

    # a run over other items shares nothing with the baseline: exit 2
    _cli(capsys, "datasets", "create", "other")
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"input": "7+7", "expected_output": "14"}) + "\n")
    _cli(capsys, "datasets", "add", "other", "--file", str(other))
    code, _, err = _cli(capsys, "experiments", "run", "--dataset", "other",
                        "--task", "math_tasks:good", "--name", "elsewhere")  # fmt: skip
    assert code == 0 and "1 items, 1 errors" in err  # the task raised: an item error
    code, _, err = _cli(capsys, "experiments", "compare", "--baseline", "v-good",
                        "--candidate", "elsewhere")  # fmt: skip
    assert code == 2 and "share no items" in err
    code, _, err = _cli(capsys, "experiments", "compare", "--baseline", "nope",
                        "--candidate", "v-good")  # fmt: skip
    assert code == 3 and "404" in err


def test_lists_follow_cursors_to_the_last_page(
    live: Live, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API's lists are pages: ``datasets list``, ``experiments list`` and
    ``experiments compare`` still show every row (here 2 rows per page)."""
    monkeypatch.setattr(client, "PAGE_LIMIT", 2)
    with httpx.Client(
        base_url=live.url, headers={"Authorization": f"Bearer {live.admin_key}"}
    ) as h:
        for i in range(5):
            assert h.post("/api/v1/datasets", json={"name": f"ds-{i}"}).status_code == 201
        runs = [
            h.post("/api/v1/experiments", json={"name": f"r-{i}"}).json()["id"] for i in range(5)
        ]
        for run_id, score in ((runs[0], 1.0), (runs[1], 0.0)):
            results = [
                {"item_id": f"i-{n}", "scores": [{"name": "acc", "score": score}]} for n in range(7)
            ]
            assert (
                h.post(
                    f"/api/v1/experiments/{run_id}/results", json={"results": results}
                ).status_code
                == 201
            )
        # one page of the API holds 2 of them
        assert len(h.get("/api/v1/datasets", params={"limit": 2}).json()["datasets"]) == 2

    code, out, _ = _cli(capsys, "datasets", "list")
    assert code == 0 and [line.split()[0] for line in out.splitlines()[1:]] == [
        f"ds-{i}" for i in range(5)
    ]
    code, out, _ = _cli(capsys, "experiments", "list")
    assert code == 0 and sorted(line.split()[0] for line in out.splitlines()[1:]) == [
        f"r-{i}" for i in range(5)
    ]
    code, out, _ = _cli(
        capsys, "experiments", "compare", "--baseline", runs[0], "--candidate", runs[1], "--json"
    )
    result = json.loads(out)
    assert code == 1 and result["regressed_items"] == 7
    assert sorted(i["item_id"] for i in result["items"]) == [f"i-{n}" for n in range(7)]
    assert result["total"] == 7 and result["next_cursor"] is None
