#!/usr/bin/env bash
# Creates the scanners' venv (.venv-scan) with the pinned checkov and parliament from
# requirements-scan.txt. A venv of their own: checkov pins boto3==1.35.49 (and networkx<2.7,
# packaging<24), which in .venv would downgrade the boto3/botocore 1.44 that moto_server runs on.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "setup-scanners: '$PYTHON' not found; install Python 3.9+ or set PYTHON=/path/to/python3" >&2
  exit 1
fi
if [ ! -x .venv-scan/bin/python ]; then
  "$PYTHON" -m venv .venv-scan
fi
.venv-scan/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-scan.txt
.venv-scan/bin/python -m pip check --disable-pip-version-check >/dev/null
echo "setup-scanners: checkov $(.venv-scan/bin/checkov --version), parliament $(.venv-scan/bin/python -c 'import importlib.metadata as m; print(m.version("parliament"))')"
