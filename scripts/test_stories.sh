#!/usr/bin/env bash
# Replay the recorded test conversations (tests/stories) with `rasa test` and fail on any wrong prediction.
set -euo pipefail
cd "$(dirname "$0")/.."
out=tests/reports/stories
mkdir -p "$out"
if ! .venvs/rasa/bin/rasa test core --model models/leadbot.tar.gz --stories tests/stories \
      --out "$out" --fail-on-prediction-errors > "$out/rasa-test.log" 2>&1; then
  grep -v -E "Warning|warn\(|^\s*$|declare_namespace|pkg_resources" "$out/rasa-test.log" | tail -40
  echo "FAILED: a dialogue test story broke (see $out)"
  exit 1
fi
grep -E "Correct:|Accuracy:|F1-Score" "$out/rasa-test.log" | head -6 || true
echo "dialogue test stories: all passed"
