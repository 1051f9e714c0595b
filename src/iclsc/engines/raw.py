"""The raw extract as the engines that cannot read files in place receive it.

The dbt source `iclsc` (models/staging/iclsc/_iclsc__sources.yml) is the one description:
its schema names where the loaded tables go, each table's `meta.raw_path` says which files
feed it (a glob below the raw directory) and its documented columns are the header every
file must carry. A loaded table holds every column as text (an empty field is null, quoted
or not, as DuckDB reads it), then `source_file` (the path below the raw directory) and
`source_record` (1 = first record after the header), as the macro `raw_records` gives them
on DuckDB.
"""

from __future__ import annotations

import codecs
import csv
import glob
import io
from dataclasses import dataclass
from pathlib import Path

import yaml

from iclsc import project_dir
from iclsc.engines import EngineError

SOURCES_FILE = Path("models/staging/iclsc/_iclsc__sources.yml")
SOURCE_NAME = "iclsc"
# Columns the engines add to each raw row; DuckDB's read_csv adds `filename`.
ADDED_COLUMNS = ("filename", "source_file", "source_record")
READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class RawTable:
    name: str
    raw_path: str
    columns: tuple[str, ...]

    def files(self, raw_dir: Path) -> list[tuple[Path, str]]:
        """The table's files, each with its path below the raw directory, in path order."""
        found = sorted(glob.glob(str(raw_dir / self.raw_path)))
        if not found:
            raise EngineError(f"{raw_dir / self.raw_path}: no file for raw table {self.name}")
        return [(Path(path), Path(path).relative_to(raw_dir).as_posix()) for path in found]


@dataclass(frozen=True)
class RawSource:
    schema: str
    tables: tuple[RawTable, ...]


def raw_source(sources_file: Path | None = None) -> RawSource:
    path = sources_file or project_dir() / SOURCES_FILE
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    source = next((s for s in document["sources"] if s["name"] == SOURCE_NAME), None)
    if source is None or not source.get("schema"):
        raise EngineError(f"{path}: source {SOURCE_NAME} with a schema is missing")
    tables = []
    for table in source["tables"]:
        raw_path = (table.get("meta") or {}).get("raw_path")
        if not raw_path:
            raise EngineError(f"{path}: table {table['name']} has no meta.raw_path")
        columns = tuple(
            column["name"]
            for column in table.get("columns", [])
            if column["name"] not in ADDED_COLUMNS
        )
        tables.append(RawTable(table["name"], raw_path, columns))
    return RawSource(source["schema"], tuple(tables))


def check_file(path: Path, relative: str, table: RawTable) -> None:
    """Fails, naming the file and line, unless the file is UTF-8 with the documented header.

    PostgreSQL would stop on bad UTF-8 too, but Spark would replace the bytes silently;
    checking here gives both engines the same refusal as DuckDB's reader.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as stream:
        while chunk := stream.read(READ_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                line += chunk[: error.start].count(b"\n")
                raise EngineError(f"{relative}, line {line}: not valid UTF-8") from None
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise EngineError(f"{relative}: ends inside a UTF-8 character") from None
    with path.open(encoding="utf-8-sig", newline="") as text:
        header = next(csv.reader(io.StringIO(text.readline())), [])
    if tuple(header) != table.columns:
        raise EngineError(
            f"{relative}: header {','.join(header)!r} differs from the contract's "
            f"{','.join(table.columns)!r}"
        )
