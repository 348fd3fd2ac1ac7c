#!/usr/bin/env bash
# Install Debian's nginx for the production mode (integrations/runtime/production.py) when it is missing.
# The package's own service is not used: the production mode runs nginx in the foreground with
# its own configuration (deploy/nginx.conf.template), so the service is stopped and disabled.
set -euo pipefail
if [ ! -x /usr/sbin/nginx ]; then
  echo "==> installing nginx from Debian's packages"
  apt-get update -qq
  # Keep the package's post-install script from starting a server on port 80.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light >/dev/null \
    || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null
  [ "$created_policy" = 1 ] && rm -f "$policy"
fi
/usr/sbin/nginx -v
