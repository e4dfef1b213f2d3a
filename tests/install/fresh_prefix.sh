#!/usr/bin/env bash
# Installs the build into an empty prefix, so nothing left from an earlier install can make a
# missing file look present.
set -euo pipefail
cmake=$1 build=$2 prefix=$3
rm -rf "$prefix"
"$cmake" --install "$build" --prefix "$prefix" >/dev/null
echo "installed into $prefix:"
(cd "$prefix" && find . -type f | sort)
