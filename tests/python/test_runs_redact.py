"""The public copies of a run's records name no machine detail (iclsc.runs.redact)."""

import json

from iclsc import project_dir
from iclsc.runs.redact import copy_public_jsonl, known_directories, redact_record


def test_directories_become_placeholders_the_innermost_first(tmp_path, monkeypatch):
    publish = tmp_path / "pub"
    monkeypatch.setenv("ICLSC_RAW_DIR", str(tmp_path / "raw"))
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    directories = known_directories(publish_dir=publish, log_dir=publish / "logs")
    record = {
        "host": "db-prod-07",
        "pid": 4242,
        "release": {"dir": f"{publish}/2026", "logs": f"{publish}/logs/run.jsonl"},
        "messages": [f"read {tmp_path}/raw/transmissions", f"compiled {project_dir()}/target"],
        "rows": 12,
    }
    assert redact_record(record, directories) == {
        "release": {"dir": "<publish_dir>/2026", "logs": "<log_dir>/run.jsonl"},
        "messages": ["read <raw_dir>/transmissions", "compiled <project>/target"],
        "rows": 12,
    }


def test_a_log_is_redacted_line_by_line_and_keeps_every_line(tmp_path, monkeypatch):
    monkeypatch.setenv("ICLSC_RAW_DIR", str(tmp_path / "raw"))
    source = tmp_path / "run.jsonl"
    lines = [
        json.dumps({"event": "run_started", "host": "h", "pid": 1, "log_dir": str(tmp_path)}),
        f"not json: {tmp_path}/raw/x.csv",
        json.dumps({"event": "dbt", "msg": f"reading {tmp_path}/raw/usagers.csv"}),
    ]
    source.write_text("\n".join(lines) + "\n")
    copy = tmp_path / "public.jsonl"
    copy_public_jsonl(source, copy, known_directories(log_dir=tmp_path))
    written = copy.read_text().splitlines()
    assert len(written) == 3
    assert json.loads(written[0]) == {"event": "run_started", "log_dir": "<log_dir>"}
    assert written[1] == "not json: <raw_dir>/x.csv"
    assert json.loads(written[2])["msg"] == "reading <raw_dir>/usagers.csv"
    assert str(tmp_path) not in copy.read_text()
