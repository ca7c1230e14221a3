#!/bin/sh
# Every man page must be clean under mandoc's lint at warning level.
set -u
status=0
for page in "$VIGIL_SRCDIR"/man/*.[0-9]; do
	if ! "$MANDOC" -Tlint -W warning "$page"; then
		echo "FAIL: $page" >&2
		status=1
	fi
done
exit $status
