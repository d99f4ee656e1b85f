#!/bin/sh
# WeasyPrint (PDF letters, minutes, annual report) needs the Pango text library.
# Debian machines with a desktop or chromium have it; a bare one gets it from apt when we may.
set -e
if ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so.0"; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Pango for PDF generation (apt-get)..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null
    exit 0
fi
echo "Pango is missing: PDF letters and minutes need it (sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0)." >&2
