#!/usr/bin/env bash
# Installs the pinned Azure SDKs for the Python and JavaScript test apps, and certbot for the
# ACME test, into a throwaway place under target/ (never globally):
#   target/sdk-apps/venv             python3 -m venv + pip install -r python/requirements.txt
#                                    -r certbot/requirements.txt (venv/bin/certbot)
#   target/sdk-apps/js/node_modules  npm ci on a copy of js/package.json + js/package-lock.json
# Idempotent: each half keeps a stamp holding the hash of its pinned files (and the
# interpreter's version) and installs again only when that changes. Run by .ci/run, and by
# tests/tests/sdk_python_js.rs and tests/tests/acme_certbot.rs before they run anything.
# Usage: install.sh [OUT_DIR]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/target/sdk-apps}"

fail() {
  echo "sdk-apps install FAILED: $*" >&2
  exit 1
}
trap 'echo "sdk-apps install FAILED: command on line $LINENO of $0 exited non-zero" >&2' ERR

need() {
  command -v "$1" >/dev/null 2>&1 ||
    fail "'$1' is not on PATH; the Python/JavaScript SDK tests need Python >= 3.9 (with venv) and Node.js >= 20 with npm, and flock (util-linux) to serialize concurrent installs"
}
need python3
need node
need npm
need flock
python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' ||
  fail "python3 is $(python3 --version 2>&1); the Python SDK needs >= 3.9"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || fail "node is $(node --version); the JavaScript SDK needs >= 20"

mkdir -p "$out"
# One installer at a time per OUT_DIR (test processes may start it concurrently).
exec 9>"$out/.install.lock"
flock 9

stamp_of() { # the hash of the given files plus one line of extra context
  local extra="$1"
  shift
  { cat "$@"; echo "$extra"; } | sha256sum | cut -d' ' -f1
}

# --- Python: azure-identity, azure-keyvault-certificates, azure-keyvault-secrets; certbot ---
py_stamp="$(stamp_of "$(python3 --version 2>&1)" "$here/python/requirements.txt" \
  "$here/certbot/requirements.txt")"
venv="$out/venv"
if [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$py_stamp" ] || [ ! -x "$venv/bin/python" ]; then
  echo "sdk-apps: installing the Python SDKs and certbot into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv" || fail "python3 -m venv $venv (on Debian: apt-get install python3-venv)"
  "$venv/bin/python" -m pip install --quiet --no-input --disable-pip-version-check \
    -r "$here/python/requirements.txt" -r "$here/certbot/requirements.txt" ||
    fail "pip install -r $here/python/requirements.txt -r $here/certbot/requirements.txt into $venv"
  "$venv/bin/python" -c 'import azure.identity, azure.keyvault.certificates, azure.keyvault.secrets' ||
    fail "the Python SDKs do not import from $venv"
  "$venv/bin/certbot" --version >&2 || fail "$venv/bin/certbot does not run"
  echo "$py_stamp" >"$venv/.stamp"
else
  echo "sdk-apps: Python SDKs and certbot up to date in $venv" >&2
fi

# --- JavaScript: @azure/identity, @azure/keyvault-certificates, @azure/keyvault-secrets ----
js="$out/js"
js_stamp="$(stamp_of "node $(node --version)" "$here/js/package.json" "$here/js/package-lock.json")"
mkdir -p "$js"
if [ "$(cat "$js/.stamp" 2>/dev/null)" != "$js_stamp" ] || [ ! -d "$js/node_modules/@azure/identity" ]; then
  echo "sdk-apps: installing the JavaScript SDKs into $js/node_modules" >&2
  rm -rf "$js/node_modules" "$js/.stamp"
  cp "$here/js/package.json" "$here/js/package-lock.json" "$js/"
  (cd "$js" && npm ci --no-audit --no-fund --engine-strict --loglevel=error >&2) ||
    fail "npm ci in $js"
  echo "$js_stamp" >"$js/.stamp"
else
  echo "sdk-apps: JavaScript SDKs up to date in $js/node_modules" >&2
fi
# ES modules resolve packages from the importing file's folder, so the app runs from beside
# its node_modules; copied every time, so an edited app.mjs is what runs.
cp "$here/js/app.mjs" "$js/app.mjs"
