#!/usr/bin/env bash
# Build the one-folder bundle (PyInstaller, build.spec) and try it as a user would:
# its version, the keyring backend it finds, the window on an offscreen screen, and a headless
# sync against the bundled simulator with secrets in a real GNOME Keyring.
#
#   bash scripts/bundle-smoke.sh          (after `bash scripts/dev.sh setup`)
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen LANG=C.UTF-8

started=$(date +%s)
.venv/bin/pyinstaller --noconfirm --clean --log-level WARN build.spec
echo "bundle built in $(( $(date +%s) - started )) s: $(du -sh dist/rostersync | cut -f1) in dist/rostersync"
app="$PWD/dist/rostersync/rostersync"
work=$(mktemp -d)
trap 'kill "${sim_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

"$app" --version

# Everything else runs on a private D-Bus session with an unlocked GNOME Keyring, as on a desktop.
HOME="$work" APP="$app" WORK="$work" dbus-run-session -- bash -euo pipefail -c '
  printf "%s" smoke-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  export ROSTERGUI_DATA_DIR="$WORK/data"

  "$APP" info --json > "$WORK/info.json"
  cat "$WORK/info.json"
  grep -q "\"keyring\": \"usable\"" "$WORK/info.json" || { echo "no usable keyring in the bundle"; exit 1; }
  grep -q "SecretService\|chainer" "$WORK/info.json" || { echo "bundle did not find Secret Service"; exit 1; }

  "$APP" gui --check-start | tee "$WORK/window.txt"
  grep -q "window shown" "$WORK/window.txt"

  "$APP" simulator --port 0 > "$WORK/sim.txt" 2>&1 &
  for _ in $(seq 1 100); do grep -q "Base URL" "$WORK/sim.txt" && break; sleep 0.1; done
  base=$(awk "/Base URL/ {print \$4}" "$WORK/sim.txt")
  api_key=$(awk "/API key/ {print \$4}" "$WORK/sim.txt")
  service_key=$(awk "\$1 == \"canvas-bio\" {print \$(NF-1)}" "$WORK/sim.txt")
  ROSTERGUI_API_KEY="$api_key" ROSTERGUI_SERVICE_KEY="$service_key" \
    "$APP" contexts add --name "Biology" --base-url "$base"
  "$APP" sync Biology --json | tee "$WORK/sync.json"
  grep -q "\"ok\": true" "$WORK/sync.json"
  "$APP" members Biology --json | grep -q "\"user_id\""
  kill %1
'
echo "bundle smoke test passed"
