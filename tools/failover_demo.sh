#!/usr/bin/env bash
# Kill GA_A under load, watch site A carry on with GA_B, restart GA_A and
# check that nothing was lost or applied twice. Options go to
# tools/failover.py (--help lists them). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
make --quiet .venv/.installed
exec .venv/bin/python -m tools.failover "$@"
