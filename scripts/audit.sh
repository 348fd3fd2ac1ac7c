#!/usr/bin/env bash
# Dependency audit (`make audit`): known vulnerabilities in the exact pins of requirements/*.lock,
# looked up by pip-audit in PyPI's advisory data (network needed). It reports, it does not fail:
# the exit code is 0 when vulnerabilities are found (rasa==3.6.21 is pinned by design, see
# DESIGN.md section 10) and when the advisory service cannot be reached; 1 only if pip-audit is missing.
# usage: scripts/audit.sh [LOCK...]   (default: the rasa, actions and dev locks)
set -uo pipefail
cd "$(dirname "$0")/.."
pip_audit=.venvs/actions/bin/pip-audit
python=.venvs/actions/bin/python
if [[ ! -x "$pip_audit" ]]; then
  echo "audit: $pip_audit is missing; build the environments with \`make envs\`" >&2
  exit 1
fi
locks=("$@")
[[ ${#locks[@]} -gt 0 ]] || locks=(requirements/rasa.lock requirements/actions.lock requirements/dev.lock)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for lock in "${locks[@]}"; do
  name=$(basename "$lock")
  echo "==> pip-audit $lock"
  "$pip_audit" -r "$lock" --no-deps --disable-pip --progress-spinner off --timeout "${AUDIT_TIMEOUT:-20}" \
    --format json --desc off --output "$tmp/$name.json" 2> "$tmp/$name.err" >/dev/null
  echo $? > "$tmp/$name.rc"
done

"$python" - "$tmp" "${locks[@]}" <<'PY'
"""Print each lock's findings and a one-line summary per lock file."""
import json
import sys
from pathlib import Path

tmp, locks = Path(sys.argv[1]), sys.argv[2:]
summary = []
for lock in locks:
    name = Path(lock).name
    pins = sum(1 for line in Path(lock).read_text().splitlines() if "==" in line and not line.startswith("#"))
    try:
        dependencies = json.loads((tmp / f"{name}.json").read_text())["dependencies"]
    except (OSError, ValueError, KeyError):
        error = [line for line in (tmp / f"{name}.err").read_text().splitlines() if line.strip()]
        print(f"{lock}: NOT AUDITED, the advisory service could not be reached or pip-audit failed:")
        print("    " + (error[-1] if error else "no output"))
        summary.append(f"{name}: not audited (advisory service unreachable)")
        continue
    audited = [dep for dep in dependencies if "skip_reason" not in dep]
    vulnerable = [dep for dep in audited if dep.get("vulns")]
    count = sum(len(dep["vulns"]) for dep in vulnerable)
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            aliases = ", ".join(vuln.get("aliases") or [])
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version"
            print(f"{lock}: VULNERABLE {dep['name']}=={dep['version']}  {vuln['id']}"
                  f"{f' ({aliases})' if aliases else ''}  fixed in: {fixed}")
    skipped = len(dependencies) - len(audited)
    if not audited:
        print(f"{lock}: NOT AUDITED, the advisory service answered for none of the {pins} pins "
              "(unreachable, or it does not know these versions)")
        summary.append(f"{name}: not audited ({skipped} of {pins} pins unknown to the advisory service)")
        continue
    note = f", {skipped} pins could not be audited" if skipped else ""
    print(f"{lock}: {count} known vulnerabilities in {len(vulnerable)} of {len(audited)} audited packages{note}")
    summary.append(f"{name}: {count} known vulnerabilities ({len(audited)} of {pins} pins audited)")
print("audit summary:")
for line in summary:
    print(f"  {line}")
print("rasa==3.6.21 is pinned by design (DESIGN.md section 10); findings are reported, not failed on.")
PY
exit 0
