"""Spark: the local session, the pseudonymisation pads, and the raw load (spark.read.csv).

dbt-spark's `session` method runs dbt's SQL in the SparkSession of its own process, which
it takes with getOrCreate(): `python -m iclsc dbt` starts that session first, with the
settings below, so dbt, the raw load and the publisher's reader all see one warehouse
(ICLSC_SPARK_DIR: a Hive metastore in Derby and Parquet tables, default warehouse/spark).

The pseudonymisation pads never pass through SQL text nor the JVM's command line (where
settings given before the session starts would go, visible to every user of the machine):
they are handed to the running session as the global temporary view
`global_temp.iclsc_hmac_pads`, built from Python values, that the macro `pseudonymize`
reads.
"""

from __future__ import annotations

import atexit
import os
import urllib.parse
from pathlib import Path

from iclsc import project_dir
from iclsc.engines import EngineError
from iclsc.engines.raw import check_file, raw_source
from iclsc.pseudonym import hmac_pads, key_from_env

PADS_VIEW = "iclsc_hmac_pads"
LOG4J_CONFIG = Path(__file__).with_name("spark-log4j2.properties")

_session = None


def spark_dir() -> Path:
    path = Path(os.environ.get("ICLSC_SPARK_DIR", "warehouse/spark"))
    return (path if path.is_absolute() else project_dir() / path).resolve()


def session_settings(directory: Path) -> dict[str, str]:
    """Settings of the local session; none of them is secret."""
    java_options = [
        f"-Dderby.system.home={directory / 'metastore'}",
        f"-Dlog4j2.configurationFile={LOG4J_CONFIG.as_uri()}",
    ]
    return {
        "spark.master": os.environ.get("ICLSC_SPARK_MASTER", "local[2]"),
        "spark.app.name": "iclsc",
        "spark.driver.memory": os.environ.get("ICLSC_SPARK_DRIVER_MEMORY", "2g"),
        "spark.driver.extraJavaOptions": " ".join(java_options),
        "spark.sql.warehouse.dir": str(directory / "tables"),
        "spark.sql.catalogImplementation": "hive",
        "spark.sql.sources.default": "parquet",
        "spark.sql.legacy.createHiveTableByDefault": "false",
        # Few, small shuffles suit one machine; adaptive execution merges them further.
        "spark.sql.shuffle.partitions": os.environ.get("ICLSC_SPARK_SHUFFLE_PARTITIONS", "2"),
        "spark.sql.adaptive.enabled": "true",
        # ANSI semantics: overflow and invalid casts fail instead of returning wrong values.
        "spark.sql.ansi.enabled": "true",
        "spark.sql.session.timeZone": "UTC",
        # Complementary suppression chains its rounds as cached temporary views: each view
        # keeps its analysed plan, so a round does not analyse all the rounds before it again.
        "spark.sql.legacy.storeAnalyzedPlanForView": "true",
        # No ${...} substitution: SQL text cannot pull settings or environment variables in.
        "spark.sql.variable.substitute": "false",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
    }


def session():
    """The process's SparkSession, started once with the project's settings."""
    global _session
    if _session is not None:
        return _session
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError(
            "ICLSC_TARGET=spark needs the spark extra: pip install -e '.[spark]'"
        ) from None
    directory = spark_dir()
    (directory / "metastore").mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder.enableHiveSupport()
    for name, value in session_settings(directory).items():
        builder = builder.config(name, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    _session = spark
    atexit.register(stop)
    return spark


def register_pads(spark) -> None:
    """Hands the HMAC pads of ICLSC_PSEUDO_KEY to the session (the macro pseudonymize)."""
    inner, outer = hmac_pads(key_from_env())
    pads = spark.createDataFrame([(bytearray(inner), bytearray(outer))], "ipad binary, opad binary")
    pads.createOrReplaceGlobalTempView(PADS_VIEW)


def stop() -> None:
    global _session
    if _session is not None:
        _session.stop()
        _session = None


def _relative_paths(spark, files: list[tuple[Path, str]]):
    """A small table from the file names Spark reports to the paths below the raw dir."""
    rows = [(path.resolve().as_uri(), relative) for path, relative in files]
    # Spark reports file:/ URIs with or without the authority slashes depending on version.
    rows += [(uri.replace("file:///", "file:/", 1), relative) for uri, relative in rows]
    rows += [(urllib.parse.unquote(uri), relative) for uri, relative in rows]
    return spark.createDataFrame(sorted(set(rows)), "scanned_file string, source_file string")


def load_raw(raw_dir: Path, log=print) -> dict[str, int]:
    """Replaces the raw tables with the extract's files (one Parquet table per raw table)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    spark = session()
    source = raw_source()
    spark.sql(f"create database if not exists `{source.schema}`")
    counts = {}
    for table in source.tables:
        files = table.files(raw_dir)
        for path, relative in files:
            check_file(path, relative, table)
        schema = StructType([StructField(c, StringType(), True) for c in table.columns])
        scanned = (
            spark.read.schema(schema)
            .option("header", True)
            .option("enforceSchema", True)
            .option("multiLine", True)  # a quoted field may hold a line break
            .option("quote", '"')
            .option("escape", '"')
            .option("encoding", "UTF-8")
            .option("mode", "FAILFAST")  # a malformed record stops the load, as on DuckDB
            .csv([str(path) for path, _ in files])
            # File and scan position are taken in the scan itself, before any shuffle:
            # within a file, scan order is file order.
            .select(
                *table.columns,
                F.input_file_name().alias("scanned_file"),
                F.input_file_block_start().alias("scanned_block"),
                F.monotonically_increasing_id().alias("scanned_position"),
            )
        )
        numbered = (
            scanned.join(F.broadcast(_relative_paths(spark, files)), "scanned_file", "left")
            .withColumn(
                "source_record",
                F.row_number()
                .over(
                    Window.partitionBy("scanned_file").orderBy("scanned_block", "scanned_position")
                )
                .cast("bigint"),
            )
            .select(*table.columns, "source_file", "source_record")
        )
        try:
            numbered.write.mode("overwrite").format("parquet").saveAsTable(
                f"`{source.schema}`.`{table.name}`"
            )
        except Exception as error:
            raise EngineError(f"{table.raw_path}: {str(error).splitlines()[0]}") from None
        loaded = spark.table(f"`{source.schema}`.`{table.name}`")
        unmatched = loaded.where("source_file is null").count()
        if unmatched:
            raise EngineError(f"{table.name}: {unmatched} rows whose file Spark did not name")
        counts[table.name] = loaded.count()
        log(f"loaded {counts[table.name]} rows into {source.schema}.{table.name}")
    return counts
