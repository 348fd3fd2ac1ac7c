#!/usr/bin/env bash
# Print the path of the pinned uv (requirements/tools.lock), installing it into .venvs/tools first if needed.
# usage: scripts/ensure_uv.sh PYTHON
set -euo pipefail
cd "$(dirname "$0")/.."
python_bin=$1
tools=.venvs/tools
key=$( (cat requirements/tools.lock; "$python_bin" -VV) | sha256sum | cut -c1-16)
if [ "$(cat "$tools/.complete" 2>/dev/null)" != "$key" ]; then
  rm -rf "$tools"
  "$python_bin" -m venv "$tools"
  # (the filter hides warnings about package mirrors that this machine's pip.conf names but lacks)
  "$tools/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/tools.lock \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  echo "$key" > "$tools/.complete"
fi
echo "$PWD/$tools/bin/uv"
