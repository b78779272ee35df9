"""`webmath sql "SELECT ..."`: Spark SQL over the warehouse, every table registered as a view by its name, and
beside each pipeline table that holds no text a view `<table>_text` of it joined with its pages' text."""
from __future__ import annotations

from pyspark.sql import SparkSession

from jobs import tables
from jobs.config import ConfigError


def register(spark: SparkSession, warehouse: str) -> list[str]:
    """Register every table of the warehouse that exists as a temporary view, and `<table>_text` for each
    pipeline table without text; returns the names."""
    names = [name for name in tables.TABLES if tables.exists(spark, warehouse, name)]
    for name in names:
        tables.read(spark, warehouse, name).createOrReplaceTempView(name)
    views = []
    for name in names:
        if name in tables.PIPELINE_TABLES and tables.text_table(name) != name and tables.text_table(name) in names:
            tables.read_text(spark, warehouse, name).createOrReplaceTempView(f"{name}_text")
            views.append(f"{name}_text")
    return names + views


def run(spark: SparkSession, warehouse: str, query: str, limit: int = 50) -> str:
    """The query's first `limit` rows as an aligned text table, with the row count."""
    from pyspark.errors import AnalysisException, ParseException

    names = register(spark, warehouse)
    if not names:
        raise ConfigError(f"no tables in {warehouse}")
    try:
        df = spark.sql(query)
        rows = df.limit(limit + 1).collect()
    except (AnalysisException, ParseException) as exc:
        first = str(exc).strip().splitlines()[0]
        raise ConfigError(f"sql: {first} (tables: {', '.join(names)})") from None
    header = df.columns
    cells = [[_cell(v) for v in row] for row in rows[:limit]]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in cells]
    more = f"first {limit} rows shown" if len(rows) > limit else f"{len(rows)} row(s)"
    return "\n".join(lines + [f"({more})"])


def _cell(value) -> str:
    text = "NULL" if value is None else str(value)
    text = text.replace("\n", "\\n")
    return text if len(text) <= 80 else text[:77] + "..."
