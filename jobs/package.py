"""`make package`: the folder spark-submit needs, byte for byte the same from the same sources.

    dist/webmath.zip        the `jobs` and `udfs` packages, for --py-files (sorted entries, fixed timestamps)
                            (not the benchmarks, bench/: they run from a checkout)
    dist/main.py            the driver's entry script: spark-submit dist/main.py run --conf dist/conf/cluster.toml
    dist/conf/              defaults, profiles and word lists (main.py points WEBMATH_CONF here)
    dist/models/*.bin       the models the scoring stages name (classifier.model_dir: read on the driver,
                            shipped to the executors by the stage itself)
    dist/data/benchmarks/   the benchmark files the registry names (read on the driver, broadcast)
    dist/requirements.txt   what the Python of driver and executors needs besides Spark and Delta

Relative paths of conf/defaults.toml are relative to the folder that holds conf/, so the same defaults find
the models and benchmark files of the repository and of dist/.

    python -m jobs.package [--out dist] [--models DIR]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import zipfile
from pathlib import Path

os.environ.pop("WEBMATH_CONF", None)   # the repository's conf/ is what gets packaged

from jobs import config  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

PACKAGES = ("jobs", "udfs")
# Python of the cluster: Spark (pyspark) and Delta (the delta-spark jar carries its Python package) come with
# the submit line or the image.
PROVIDED = ("pyspark", "delta-spark")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)   # the earliest time a zip entry can hold
MAIN = '''"""spark-submit entry point of a webmath package (`make package`): `jobs` and `udfs` come from webmath.zip
(--py-files); conf/, models/ and data/benchmarks/ from the folder of this file."""
import os
import sys
from pathlib import Path

os.environ.setdefault("WEBMATH_CONF", str(Path(__file__).resolve().parent / "conf"))

from jobs.cli import main  # noqa: E402

sys.exit(main())
'''


def write_zip(target: Path) -> list[str]:
    names = sorted(str(p.relative_to(ROOT)) for package in PACKAGES for p in (ROOT / package).rglob("*.py"))
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in names:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, (ROOT / name).read_bytes())
    return names


def requirements() -> str:
    project = config.tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["s3"]
    kept = [d for d in wanted if re.match(r"[A-Za-z0-9._-]+", d).group() not in PROVIDED]
    return "# webmath's runtime dependencies besides Spark and Delta (from pyproject.toml)\n" + "\n".join(kept) + "\n"


def shipped_files(models: Path) -> list[tuple[Path, str]]:
    """(source, path in the package) of every model and benchmark file the defaults name."""
    cfg = config.load()
    model_dir = Path(cfg["classifier"]["model_dir"]).relative_to(ROOT)
    files = [(models / f"{cfg[s]['model']}.bin", str(model_dir / f"{cfg[s]['model']}.bin"))
             for s in ("math_recall", "math_precision")]
    for entry in cfg["decontaminate"]["benchmarks"].values():
        if entry["enabled"]:
            files.append((Path(entry["file"]), str(Path(entry["file"]).relative_to(ROOT))))
    for source, _ in files:
        if not source.is_file():
            raise SystemExit(f"package: error: {source} not found"
                             + (" (make models/ with: make models/math_recall.bin models/math_precision.bin)"
                                if source.suffix == ".bin" else ""))
    return files


def build(out: Path, models: Path) -> None:
    files = shipped_files(models)
    if out.exists() and any(out.iterdir()) and not (out / "webmath.zip").is_file():
        raise SystemExit(f"package: error: {out} is not empty and holds no earlier package: not replacing it")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    modules = write_zip(out / "webmath.zip")
    (out / "main.py").write_text(MAIN, encoding="utf-8")
    (out / "requirements.txt").write_text(requirements(), encoding="utf-8")
    shutil.copytree(ROOT / "conf", out / "conf")
    for source, name in files:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, out / name)
        readme = source.parent / "README.md"   # where the benchmark files come from, and their licences
        if readme.is_file() and not (out / name).with_name("README.md").exists():
            shutil.copyfile(readme, (out / name).with_name("README.md"))
    print(f"{out}/: webmath.zip ({len(modules)} modules), main.py, requirements.txt, conf/, "
          + ", ".join(name for _, name in files))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="package", description="build the spark-submit package folder")
    parser.add_argument("--out", default=str(ROOT / "dist"), help="package folder, replaced whole (default dist/)")
    parser.add_argument("--models", help="folder of the trained models (default: classifier.model_dir)")
    args = parser.parse_args(argv)
    models = Path(args.models) if args.models else Path(config.load()["classifier"]["model_dir"])
    build(Path(args.out).resolve(), models)
    return 0


if __name__ == "__main__":
    sys.exit(main())
