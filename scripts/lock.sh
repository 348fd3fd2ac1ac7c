#!/usr/bin/env bash
# Re-resolve requirements/*.in into exact, hashed requirements/*.lock with uv (`make lock`, after editing a .in).
# The pins already in a lock are kept unless an edit needs another version (uv prefers the output file's pins);
# `make lock UPGRADE=1` moves everything to the newest versions the .in files allow.
#   rasa.lock     the Rasa environment (rasa.in)
#   actions.lock  what the action server, the dispatcher and the migrations need at run time (actions.in)
#   dev.lock      the actions environment of development and tests: actions.lock's pins plus dev.in's tools
set -euo pipefail
cd "$(dirname "$0")/.."
python_bin=${PYTHON310:-$(pyenv which python 2>/dev/null || command -v python3.10)}
uv=$(scripts/ensure_uv.sh "$python_bin")
upgrade=()
[ -n "${UPGRADE:-}" ] && upgrade=(--upgrade)
compile() {
  local out=$1; shift
  "$uv" pip compile --quiet --python-version 3.10 --generate-hashes \
    --no-header --annotation-style line "${upgrade[@]}" "$@" -o "$out"
}
compile requirements/rasa.lock requirements/rasa.in
compile requirements/actions.lock requirements/actions.in
compile requirements/dev.lock requirements/actions.in requirements/dev.in -c requirements/actions.lock
echo "locks updated"
