"""What a release may say about the machine that built it.

A release is public. The run summary, the run log and the dbt manifest it carries describe
the run, which reviewers need, but as written on the machine they also name its host, its
process ids and the absolute paths of the extract, the warehouse and the project: details of
the ministry's infrastructure that no reader needs. The public copies drop the host and
process keys and write every known directory as a placeholder (`<project>`, `<raw_dir>`,
...); the run's own log under ICLSC_LOG_DIR keeps everything for the operators.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from iclsc import project_dir

# Keys of a summary or log record that describe the machine, not the run.
MACHINE_KEYS = frozenset({"host", "pid"})


def known_directories(**named: Path | str | None) -> dict[str, str]:
    """Absolute directory -> placeholder, for the directories a run touches.

    `named` adds the run's own (publish_dir=..., log_dir=...); the project, the extract,
    dbt's target folder, the warehouse's folder and the home folder come from the
    environment."""
    candidates: dict[str, Path | str | None] = {
        "raw_dir": os.environ.get("ICLSC_RAW_DIR"),
        "target": os.environ.get("DBT_TARGET_PATH"),
        "warehouse": _parent(os.environ.get("ICLSC_DUCKDB_PATH")),
        **named,
        "project": project_dir(),
        "home": Path.home(),
    }
    directories: dict[str, str] = {}
    for name, value in candidates.items():
        if not value:
            continue
        path = Path(value)
        if not path.is_absolute():
            path = project_dir() / path
        for form in {str(path), str(path.resolve())}:
            # "/" or a one-letter directory would rewrite unrelated text.
            if len(form) > 1 and form not in directories:
                directories[form] = f"<{name}>"
    return directories


def _parent(value: str | None) -> Path | None:
    return Path(value).parent if value else None


def redact_text(text: str, directories: dict[str, str]) -> str:
    """Every known directory written as its placeholder; the longest first, so that a
    folder inside another keeps its own name."""
    for path in sorted(directories, key=len, reverse=True):
        text = text.replace(path, directories[path])
    return text


def redact_record(record, directories: dict[str, str]):
    """A JSON value without machine keys, its strings with placeholders for directories."""
    if isinstance(record, dict):
        return {
            key: redact_record(value, directories)
            for key, value in record.items()
            if key not in MACHINE_KEYS
        }
    if isinstance(record, list):
        return [redact_record(value, directories) for value in record]
    if isinstance(record, str):
        return redact_text(record, directories)
    return record


def write_public_json(data: dict, path: Path, directories: dict[str, str], **dump) -> None:
    path.write_text(
        json.dumps(redact_record(data, directories), ensure_ascii=False, **dump) + "\n",
        encoding="utf-8",
    )


def copy_public_jsonl(source: Path, destination: Path, directories: dict[str, str]) -> None:
    """A JSON-lines log, each record redacted; a line that is not JSON is redacted as text."""
    lines = []
    for line in source.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            lines.append(redact_text(line, directories))
            continue
        lines.append(json.dumps(redact_record(record, directories), ensure_ascii=False))
    destination.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
