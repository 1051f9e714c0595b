"""Structured run logs: one JSON object per line, to stderr and to the run's log file.

Every line has `ts` (UTC, ISO 8601), `level`, `event` and `run_id`; the other keys depend on
the event. Cron mails, an orchestrator's log view and `jq` read the same lines.
"""

from __future__ import annotations

import json
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

LEVELS = ("debug", "info", "warning", "error")


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RunLog:
    def __init__(self, run_id: str, path: Path | None = None, stream: TextIO | None = None):
        self.run_id = run_id
        self.path = path
        self._stream = stream if stream is not None else sys.stderr
        self._file = None
        self._guard = threading.Lock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("a", encoding="utf-8")

    def event(self, event: str, level: str = "info", **fields) -> dict:
        if level not in LEVELS:
            raise ValueError(f"log level {level!r} is not one of {LEVELS}")
        record = {"ts": iso(utc_now()), "level": level, "event": event, "run_id": self.run_id}
        for key, value in fields.items():
            # The four keys every line has keep their meaning; a clashing field gets a suffix.
            record[f"{key}_" if key in record else key] = value
        line = json.dumps(record, ensure_ascii=False, default=str)
        with self._guard:
            if self._file is not None:
                self._file.write(line + "\n")
                self._file.flush()
            print(line, file=self._stream, flush=True)
        return record

    def info(self, event: str, **fields) -> dict:
        return self.event(event, "info", **fields)

    def warning(self, event: str, **fields) -> dict:
        return self.event(event, "warning", **fields)

    def error(self, event: str, **fields) -> dict:
        return self.event(event, "error", **fields)

    def close(self) -> None:
        with self._guard:
            if self._file is not None:
                self._file.close()
                self._file = None
