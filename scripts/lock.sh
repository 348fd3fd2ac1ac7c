#!/usr/bin/env bash
# Re-resolve requirements/*.in into exact-pinned requirements/*.lock (run after editing a .in file).
set -euo pipefail
cd "$(dirname "$0")/.."
python_bin=${PYTHON310:-$(pyenv which python 2>/dev/null || command -v python3.10)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
freeze() { "$1/bin/python" -m pip freeze --all | grep -v -E '^(pip)=='; }
"$python_bin" -m venv "$tmp/rasa" && "$tmp/rasa/bin/pip" install -q -r requirements/rasa.in
freeze "$tmp/rasa" > requirements/rasa.lock
"$python_bin" -m venv "$tmp/actions" && "$tmp/actions/bin/pip" install -q -r requirements/actions.in
freeze "$tmp/actions" > requirements/actions.lock
"$tmp/actions/bin/pip" install -q -r requirements/dev.in
freeze "$tmp/actions" | grep -v -x -F -f requirements/actions.lock > requirements/dev.lock
echo "locks updated"
