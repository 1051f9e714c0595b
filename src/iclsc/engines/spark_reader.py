"""The Spark warehouse read from a child process, so that the reading ends with the process.

A local Spark session holds its Hive metastore (embedded Derby) until its JVM exits, and
the JVM lives as long as the Python process that started it. The publication reads the
warehouse, then runs `dbt docs generate`, which opens the same metastore in another
process: reading in a child process that exits when the reader closes releases it.
"""

from __future__ import annotations

import multiprocessing


def _serve(connection) -> None:
    from iclsc.warehouse import SparkSessionReader

    reader = SparkSessionReader()
    while True:
        sql = connection.recv()
        if sql is None:
            break
        try:
            connection.send(("ok", reader.query(sql)))
        except Exception as error:  # the caller raises it with the engine's message
            connection.send(("error", f"{type(error).__name__}: {error}"))
    connection.close()


class ChildReader:
    def __init__(self):
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child,), daemon=True)
        self._process.start()
        child.close()

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        self._connection.send(sql)
        status, payload = self._connection.recv()
        if status != "ok":
            raise RuntimeError(f"Spark: {payload}")
        return payload

    def close(self) -> None:
        if self._process.is_alive():
            self._connection.send(None)
            self._process.join(timeout=120)
        if self._process.is_alive():
            self._process.terminate()
        self._connection.close()
