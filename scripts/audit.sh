#!/usr/bin/env bash
# Dependency audit (`make audit`, the last step of `make test`): known vulnerabilities in the exact pins of
# requirements/*.lock, looked up by pip-audit (network needed). It reports, it does not fail: the exit code is 0
# when vulnerabilities are found (rasa==3.6.21 is pinned by design, see docs/design.md section 10) and when no advisory
# service answers; 1 only if pip-audit is missing.
#
# First it probes the advisory services in AUDIT_SERVICES (default "pypi osv": PyPI's per-version JSON, then
# OSV.dev; AUDIT_OSV_URL points pip-audit at another OSV API) with one known pin, and audits with the first that
# answers; when none does, it says so and stops within seconds. Every pip-audit run is bounded: AUDIT_TIMEOUT
# (10 s) per request, AUDIT_PROBE_SECONDS (20) per probe, AUDIT_SECONDS (300) for all lock files together.
# The last line always starts with "audit: AUDITED" or "audit: NOT AUDITED".
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
services=(${AUDIT_SERVICES:-pypi osv})
request_timeout=${AUDIT_TIMEOUT:-10}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
started=$SECONDS

# run_audit SERVICE REQUIREMENTS OUTPUT SECONDS: one bounded pip-audit run; its exit code (124: time limit)
run_audit() {
  local extra=()
  [[ "$1" == osv && -n "${AUDIT_OSV_URL:-}" ]] && extra=(--osv-url "$AUDIT_OSV_URL")
  timeout --kill-after=5 "$4" "$pip_audit" -r "$2" --no-deps --disable-pip --progress-spinner off \
    --vulnerability-service "$1" "${extra[@]}" --timeout "$request_timeout" --format json --desc off \
    --output "$3.json" 2> "$3.err" > /dev/null
}

# probe SERVICE: succeeds if the service knows a pin that certainly exists (the Rasa release this project pins)
probe() {
  printf 'rasa==3.6.21\n' > "$tmp/probe.txt"
  run_audit "$1" "$tmp/probe.txt" "$tmp/probe-$1" "${AUDIT_PROBE_SECONDS:-20}"
  local rc=$?
  "$python" - "$tmp/probe-$1" "$rc" <<'PY'
import json
import sys
from pathlib import Path

base, rc = sys.argv[1], int(sys.argv[2])
try:
    dependencies = json.loads(Path(base + ".json").read_text())["dependencies"]
except (OSError, ValueError, KeyError):
    dependencies = []
if dependencies and all("skip_reason" not in dep for dep in dependencies):
    sys.exit(0)
if rc == 124:
    reason = "no answer within the time limit"
elif dependencies:
    reason = dependencies[0]["skip_reason"]
else:
    lines = [line.strip() for line in Path(base + ".err").read_text(errors="replace").splitlines() if line.strip()]
    reason = lines[-1] if lines else f"pip-audit exited with {rc}"
print(reason[:300])
sys.exit(1)
PY
}

echo "==> dependency audit with $("$pip_audit" --version 2>/dev/null) (reports; never fails on findings)"
service=""
declare -a unreachable=()
for candidate in "${services[@]}"; do
  if reason=$(probe "$candidate"); then
    service=$candidate
    echo "    advisory service: $candidate (answered the probe)"
    break
  fi
  echo "    advisory service $candidate did not answer: $reason"
  unreachable+=("$candidate")
done

if [[ -z "$service" ]]; then
  for lock in "${locks[@]}"; do
    echo "$lock: NOT AUDITED, no advisory service answered"
  done
  echo "audit: NOT AUDITED: none of the advisory services (${unreachable[*]}) answered from this machine" \
    "($((SECONDS - started)) s); run \`make audit\` where pypi.org or api.osv.dev is reachable"
  exit 0
fi

deadline=$((started + ${AUDIT_SECONDS:-300}))
for lock in "${locks[@]}"; do
  name=$(basename "$lock")
  left=$((deadline - SECONDS))
  if ((left < 5)); then
    echo "==> pip-audit $lock: skipped, the audit's time budget (AUDIT_SECONDS) is spent"
    echo 124 > "$tmp/$name.rc"
    : > "$tmp/$name.err"
    continue
  fi
  echo "==> pip-audit $lock ($service)"
  run_audit "$service" "$lock" "$tmp/$name" "$left"
  echo $? > "$tmp/$name.rc"
done

"$python" - "$tmp" "$service" "$((SECONDS - started))" "${locks[@]}" <<'PY'
"""Print each lock's findings, a one-line summary per lock file, and the overall verdict."""
import json
import sys
from pathlib import Path

tmp, service, seconds, locks = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
summary = []
audited_locks = 0
total = 0
for lock in locks:
    name = Path(lock).name
    pins = sum(1 for line in Path(lock).read_text().splitlines() if "==" in line and not line.startswith("#"))
    rc = int((tmp / f"{name}.rc").read_text())
    try:
        dependencies = json.loads((tmp / f"{name}.json").read_text())["dependencies"]
    except (OSError, ValueError, KeyError):
        error = [line for line in (tmp / f"{name}.err").read_text(errors="replace").splitlines() if line.strip()]
        why = "no answer within the time limit" if rc == 124 else (error[-1] if error else "no output")
        print(f"{lock}: NOT AUDITED, the advisory service stopped answering or pip-audit failed:")
        print(f"    {why[:300]}")
        summary.append(f"{name}: not audited ({why[:80]})")
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
        print(f"{lock}: NOT AUDITED, the advisory service answered for none of the {pins} pins")
        summary.append(f"{name}: not audited ({skipped} of {pins} pins unknown to the advisory service)")
        continue
    audited_locks += 1
    total += count
    note = f", {skipped} pins could not be audited" if skipped else ""
    print(f"{lock}: {count} known vulnerabilities in {len(vulnerable)} of {len(audited)} audited packages{note}")
    summary.append(f"{name}: {count} known vulnerabilities ({len(audited)} of {pins} pins audited)")
print("audit summary:")
for line in summary:
    print(f"  {line}")
print("rasa==3.6.21 is pinned by design (docs/design.md section 10); findings are reported, not failed on.")
if audited_locks == len(locks):
    verdict = f"AUDITED: {total} known vulnerabilities"
elif audited_locks:
    verdict = f"AUDITED {audited_locks} of {len(locks)} lock files: {total} known vulnerabilities; the others NOT AUDITED"
else:
    verdict = "NOT AUDITED: the advisory service answered the probe but not the audit"
print(f"audit: {verdict} (advisory service {service}, {seconds} s)")
PY
exit 0
