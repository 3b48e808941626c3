#!/usr/bin/env bash
# Checks the GitHub workflows (.github/workflows/*.yml) with actionlint, a pinned version: it is
# installed with `go install` into Go's bin directory ($(go env GOBIN) or $(go env GOPATH)/bin)
# when that directory does not already hold that version, then run on every workflow (actionlint
# also runs shellcheck on `run:` steps when shellcheck is on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=v1.7.12
bin="$(go env GOBIN)"
bin="${bin:-$(go env GOPATH)/bin}"
if ! "$bin/actionlint" -version 2>/dev/null | head -1 | grep -qx "$VERSION"; then
  echo "actionlint: installing github.com/rhysd/actionlint/cmd/actionlint@$VERSION into $bin"
  go install "github.com/rhysd/actionlint/cmd/actionlint@$VERSION"
fi
"$bin/actionlint" -version | head -1 | sed "s|^|actionlint |"
"$bin/actionlint" "$@"
