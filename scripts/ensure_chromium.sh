#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (tests/browser) when it is missing, and a colour
# emoji font so the bot's emoji render in the screenshots. Playwright drives /usr/bin/chromium;
# it never downloads a browser of its own.
set -euo pipefail
if [ ! -x /usr/bin/chromium ] || [ ! -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]; then
  echo "==> installing chromium and fonts-noto-color-emoji from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null
fi
