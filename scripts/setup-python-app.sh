#!/usr/bin/env bash
# Creates the project-local venv .venv-cdk for the Python CDK app of test/languages/python: the
# pinned aws-cdk-lib, constructs and what they pull in (requirements-cdk-app.txt), then this
# library's wheel as `npm run package` wrote it to dist/python, reinstalled on every run so that
# the app uses the wheel just built. A separate venv from .venv (moto, cfn-lint): a CDK app's
# dependencies are not the test tools'.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "setup-python-app: '$PYTHON' not found; install Python 3.10+ or set PYTHON=/path/to/python3" >&2
  exit 1
fi
shopt -s nullglob
wheels=(dist/python/cdk_console_users-*-py3-none-any.whl)
if [ "${#wheels[@]}" -ne 1 ]; then
  echo "setup-python-app: expected one wheel in dist/python, found ${#wheels[@]}; run 'npm run package'" >&2
  exit 1
fi
if [ ! -x .venv-cdk/bin/python ]; then
  "$PYTHON" -m venv .venv-cdk
fi
pip=(.venv-cdk/bin/python -m pip --disable-pip-version-check)
"${pip[@]}" install --quiet -r requirements-cdk-app.txt
# Its dependencies are pinned above; --no-deps so that nothing else is resolved, then pip check.
"${pip[@]}" install --quiet --force-reinstall --no-deps "${wheels[0]}"
"${pip[@]}" check
