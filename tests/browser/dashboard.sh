#!/bin/sh
# Runs tests/browser/dashboard.js (see its opening comment) with node, against
# the build tree in VIGIL_BUILDDIR; configure found node and Chromium.
exec "$NODE" "$VIGIL_SRCDIR/tests/browser/dashboard.js"
