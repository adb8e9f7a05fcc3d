#!/usr/bin/env bash
# Re-resolve the locks from pyproject.toml's ranges (newest allowed versions), with hashes, for every
# platform (--universal) and Python 3.11+. Run it, then the test suite, then commit both files together.
#   bash requirements/update.sh                       # everything to the newest allowed
#   bash requirements/update.sh --upgrade-package duckdb   # (uv flags pass through) one package only
set -euo pipefail
cd "$(dirname "$0")"
uv=$(command -v uv || true)
if [ -z "$uv" ]; then
  python3 -m venv /tmp/interop-uv && /tmp/interop-uv/bin/pip install -q uv && uv=/tmp/interop-uv/bin/uv
fi
common=(--universal --python-version 3.11 --generate-hashes --no-header -q "$@")
"$uv" pip compile ../pyproject.toml "${common[@]}" -o service.txt
"$uv" pip compile ../pyproject.toml --extra test --extra dev "${common[@]}" -o test.txt
echo "requirements/service.txt and requirements/test.txt updated; run the tests before committing them."
