"""`webmath maintain`: Delta housekeeping of every table in the warehouse.

Compaction (OPTIMIZE) rewrites the many small files that nightly slice replaces leave into few large ones, in
one commit that changes no row; VACUUM then deletes the files no version within the retention still needs.
The retention (`maintain.vacuum_retention_hours`) may not be shorter than Delta's own safe default of 7 days:
a shorter one can delete files that a reader or a running refresh still reads.
"""
from __future__ import annotations

from pyspark.sql import SparkSession

from jobs import tables


def _files(table) -> int:
    return int(table.detail().first()["numFiles"])


def run(spark: SparkSession, cfg: dict) -> list[dict]:
    from delta.tables import DeltaTable

    warehouse = cfg["run"]["warehouse"]
    hours = cfg["maintain"]["vacuum_retention_hours"]
    out = []
    for name in tables.TABLES:
        if not tables.exists(spark, warehouse, name):
            continue
        table = DeltaTable.forPath(spark, tables.path(warehouse, name))
        before = _files(table)
        if cfg["maintain"]["optimize"]:
            table.optimize().executeCompaction()
        after = _files(table)
        table.vacuum(float(hours))
        version = table.history(1).select("version").first()["version"]
        out.append({"table": name, "files_before": before, "files_after": after, "version": version})
    return out


def format_report(rows: list[dict]) -> str:
    lines = [f"{'table':<16}{'files before':>14}{'after':>8}{'version':>9}"]
    lines += [f"{r['table']:<16}{r['files_before']:>14,}{r['files_after']:>8,}{r['version']:>9}" for r in rows]
    return "\n".join(lines)
