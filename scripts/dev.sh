#!/usr/bin/env bash
# Set up a development environment (idempotent) and run one task.
#
#   bash scripts/dev.sh demo    open the window on the built-in demo data
#   bash scripts/dev.sh test    lint, type-check and run the whole test suite
#   bash scripts/dev.sh setup   only install
#
# Installs the Debian packages from scripts/apt-packages.txt when run as root on a machine
# with apt (skipped when they are all present), then a virtual environment in .venv with the
# project and its test and development extras.
set -euo pipefail
cd "$(dirname "$0")/.."

task="${1:-test}"
shift || true

missing_apt() {
  grep -v '^\s*#' scripts/apt-packages.txt | grep -v '^\s*$' | while read -r pkg; do
    dpkg -s "$pkg" >/dev/null 2>&1 || echo "$pkg"
  done
}

setup() {
  if command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1; then
    mapfile -t need < <(missing_apt)
    if [ "${#need[@]}" -gt 0 ]; then
      if [ "$(id -u)" -eq 0 ]; then
        echo "Installing Debian packages: ${need[*]}"
        [ -n "${ROSTERGUI_APT_UPDATED:-}" ] || apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
      else
        echo "Missing Debian packages (install them with sudo apt-get install): ${need[*]}" >&2
      fi
    fi
  fi
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  if ! .venv/bin/python -c "import rostergui, pytest, pytestqt, respx, ruff, mypy" 2>/dev/null \
     || [ pyproject.toml -nt .venv/.installed ]; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".[dev]"
    touch .venv/.installed
  fi
}

run_tests() {
  export QT_QPA_PLATFORM=offscreen LANG=C.UTF-8
  echo "== ruff"; .venv/bin/ruff check .
  echo "== mypy"; .venv/bin/mypy
  # A throw-away PostgreSQL server: the database tests run on it as well as on SQLite.
  eval "$(bash scripts/pg-test-server.sh start)"
  trap 'bash scripts/pg-test-server.sh stop' EXIT
  # A private home, so the test keyring never touches the developer's own.
  test_home=$(mktemp -d)
  echo "== pytest"
  if command -v dbus-run-session >/dev/null 2>&1 && command -v gnome-keyring-daemon >/dev/null 2>&1; then
    # A real Secret Service (GNOME Keyring) on a private D-Bus session for the keyring tests.
    HOME="$test_home" ROSTERGUI_REQUIRE_REAL_KEYRING=1 dbus-run-session -- bash -c '
      printf "%s" test-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null
      exec .venv/bin/pytest "$@"' pytest "$@"
  else
    echo "(no dbus-run-session/gnome-keyring: the real-keyring tests are skipped)"
    HOME="$test_home" .venv/bin/pytest "$@"
  fi
}

case "$task" in
  setup) setup ;;
  test) setup; run_tests "$@" ;;
  demo) setup; exec .venv/bin/rostergui demo "$@" ;;
  *) echo "usage: bash scripts/dev.sh [setup|test|demo]" >&2; exit 2 ;;
esac
