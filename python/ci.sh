#!/usr/bin/env bash
# The Python package's tests: builds and installs the package (maturin, through pip) into a virtual
# environment with pytest, PySpark and pyarrow, builds the CLI they compare against, and runs them.
# Needs a Rust toolchain, Python 3.9+ with pip and venv, Java 17 (Spark), and PyPI / crates.io.
# Caches: the venv (python/target/venv), cargo's target directories, pip's cache.
set -euo pipefail
cd "$(dirname "$0")"
venv="${REPRINT_VENV:-$PWD/target/venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "pytest>=7" "pyspark>=3.5" "pyarrow>=14" "pandas>=2.2,<3"
# pip builds the wheel in place (python/target keeps the compiled crates between runs).
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps .
# The CLI whose pairs the package must reproduce.
(cd .. && cargo build --locked --quiet --bin reprint)
export REPRINT_BIN="$PWD/../target/debug/reprint"
# pytest, not `python -m pytest`: the latter would import reprint/ from this folder, without its
# compiled module.
"$venv/bin/pytest" tests -v -p no:cacheprovider
