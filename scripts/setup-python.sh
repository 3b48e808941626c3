#!/usr/bin/env bash
# Creates the project-local Python venv (.venv) with the pinned tools the
# integration layers need: moto's server (a real AWS wire-protocol peer) and cfn-lint; then
# the scanners' venv (.venv-scan, scripts/setup-scanners.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "setup-python: '$PYTHON' not found; install Python 3.9+ or set PYTHON=/path/to/python3" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
.venv/bin/python -c "import moto, cfnlint; print('setup-python: moto', moto.__version__)"
# The scanners the integration suite also runs (checkov, parliament), in a venv of their own.
bash scripts/setup-scanners.sh
