#!/usr/bin/env bash
# Synth time of the same CDK app in Python and in TypeScript, side by side: test/languages/python/app.py
# (the wheel in .venv-cdk, aws-cdk-lib from PyPI) and its twin test/languages/typescript-app.ts, run
# under ts-node as `cdk init`'s TypeScript apps run, and as plain JavaScript (tsc-compiled, against
# build/). Runs are interleaved (python, ts-node, node, python, ...) so that load on the machine
# falls on all three alike. Needs `npm run package` and `bash scripts/setup-python-app.sh` first.
#
#   bash scripts/synth-time-languages.sh [runs=3]          CDK_VALIDATION as given (aws-cdk-lib: on)
#   CDK_VALIDATION=false bash scripts/synth-time-languages.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

# The twin as JavaScript, requiring the compiled package instead of lib/.
sed "s#from '../../lib'#from '$PWD/build'#" test/languages/typescript-app.ts > "$work/app.ts"
ln -s "$PWD/node_modules" "$work/node_modules"
node_modules/.bin/tsc --target ES2022 --module commonjs --skipLibCheck --esModuleInterop \
  --typeRoots node_modules/@types --types node --outDir "$work" "$work/app.ts"

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
declare -A all
for i in $(seq "$runs"); do
  all[python]+="$(cd test/languages/python && CDK_OUTDIR="$work/py.out" ms ../../../.venv-cdk/bin/python app.py) "
  all[ts-node]+="$(CDK_OUTDIR="$work/tsn.out" ms node_modules/.bin/ts-node --transpile-only test/languages/typescript-app.ts) "
  all[node]+="$(CDK_OUTDIR="$work/js.out" ms node "$work/app.js") "
done
echo "synth of test/languages' app, ms per run (CDK_VALIDATION=${CDK_VALIDATION:-unset}), $runs runs each:"
for k in python ts-node node; do
  sorted=$(tr ' ' '\n' <<<"${all[$k]}" | grep . | sort -n | tr '\n' ' ')
  median=$(tr ' ' '\n' <<<"$sorted" | grep . | sed -n "$(((runs + 1) / 2))p")
  printf '  %-8s median %6s ms   runs: %s\n' "$k" "$median" "$sorted"
done
