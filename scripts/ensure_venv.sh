#!/usr/bin/env bash
# Build the virtual environment .venvs/NAME from exact-pinned lock files with uv, and install the project
# into it (editable), so every module imports as `bot...` / `integrations...` from any directory.
# Rebuilt only when the lock files change (their hash is kept in .venvs/NAME/.complete); uv's cache makes a
# rebuild take seconds once the wheels are on the machine. Each checkout has its own environments (an
# editable install points at one checkout), and a file lock keeps two builds of the same one apart.
# usage: scripts/ensure_venv.sh NAME LOCK [LOCK...]
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1; shift
python_bin=${PYTHON310:-}
if [ -z "$python_bin" ]; then
  if command -v pyenv >/dev/null 2>&1 && pyenv which python >/dev/null 2>&1; then
    python_bin=$(pyenv which python)
  else
    python_bin=$(command -v python3.10 || true)
  fi
fi
if [ -z "$python_bin" ] || ! "$python_bin" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then
  echo "error: Python 3.10 is needed (see .python-version); install it with pyenv or set PYTHON310" >&2
  exit 1
fi
key=$( (cat "$@" .python-version pyproject.toml; "$python_bin" -VV) | sha256sum | cut -c1-16)
target=.venvs/$name
mkdir -p .venvs
if [ "$(cat "$target/.complete" 2>/dev/null)" = "$key" ]; then exit 0; fi

exec 9>".venvs/.$name.building"
if ! flock -n 9; then
  echo "==> waiting for another build of the $name environment in this checkout"
  flock 9
  if [ "$(cat "$target/.complete" 2>/dev/null)" = "$key" ]; then exit 0; fi
fi
started=$SECONDS
step() { echo "    [$((SECONDS - started))s] $*"; }
echo "==> building the $name environment (once per lock file change)"
uv=$(scripts/ensure_uv.sh "$python_bin")
rm -rf "$target"  # also an older release's link into ~/.cache/leadbot/venvs
step "creating $target with $("$python_bin" -V)"
"$uv" venv --quiet --python "$python_bin" "$target"
step "installing the pinned packages of $* (uv pip sync, every hash checked)"
"$uv" pip sync --quiet --require-hashes --python "$target/bin/python" "$@"
step "installing pip and the project itself (editable)"
# pip for `pip check` and the audit: the lock's own pin when it has one (pip-audit's needs), else this one
grep -q "^pip==" "$@" || "$uv" pip install --quiet --python "$target/bin/python" "pip==24.3.1"
"$uv" pip install --quiet --python "$target/bin/python" --no-deps --no-build-isolation -e .
step "checking that the installed packages fit together (pip check)"
"$target/bin/python" -m pip check >/dev/null || { "$target/bin/python" -m pip check; exit 1; }
echo "$key" > "$target/.complete"
step "done"
