#!/usr/bin/env bash
# Build (once) the virtual environment NAME from exact-pinned lock files and link it to .venvs/NAME.
# Environments live in a cache keyed by the lock files' contents, so an unchanged lock is never
# reinstalled, even from a fresh clone on the same machine.
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
key=$( (cat "$@" .python-version; "$python_bin" -VV) | sha256sum | cut -c1-16)
home=${LEADBOT_VENV_HOME:-$HOME/.cache/leadbot/venvs}
target=$home/$name-$key
if [ ! -f "$target/.complete" ]; then
  echo "==> building the $name environment (once per lock file change)"
  rm -rf "$target"
  mkdir -p "$home"
  "$python_bin" -m venv "$target"
  "$target/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip==24.3.1"
  for lock in "$@"; do
    # (the filter hides warnings about package mirrors that this machine's pip.conf names but lacks)
    "$target/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$lock" \
      2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  done
  "$target/bin/python" -m pip check >/dev/null || "$target/bin/python" -m pip check
  touch "$target/.complete"
fi
mkdir -p .venvs
ln -sfn "$target" ".venvs/$name"
