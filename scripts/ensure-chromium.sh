#!/bin/sh
# The browser tests drive Debian's chromium through Playwright (Playwright's own
# browser download is not used). Install it when missing and we are allowed to.
set -e
CHROMIUM="${RSPORTAL_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing chromium for the browser tests (apt-get)..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    exit 0
fi
echo "Chromium is missing: install Debian's chromium (sudo apt-get install chromium)," >&2
echo "or point RSPORTAL_CHROMIUM at a chromium binary. The browser tests will fail without it." >&2
