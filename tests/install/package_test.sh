#!/usr/bin/env bash
# examples/hello_member built against the installed package and nothing else: once with CMake
# (find_package(twofold) through CMAKE_PREFIX_PATH), once with a plain compiler command line from
# `pkg-config --static --cflags --libs twofold`. Each build must run and exit 0.
set -euo pipefail
prefix=$1 example=$2 work=$3 cmake=$4 cxx=$5
rm -rf "$work" && mkdir -p "$work"
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# The installed headers are self-contained: they include the standard library and each other,
# never a header of libsodium, OpenSSL, protobuf or the source tree the consumer does not have.
headers=$prefix/include/twofold
[[ -f $headers/member.h ]] || fail "no $headers/member.h"
while IFS=: read -r file include; do
    name=${include#\#include }
    name=${name:1:${#name}-2}
    if [[ $include == *'"'* ]]; then
        [[ -f $headers/$name ]] || fail "$file includes \"$name\", which is not installed"
    elif [[ $name == *.* || $name == */* ]]; then
        fail "$file includes <$name>, which is not a standard C++ header"
    fi
done < <(grep -rHo '#include [<"][^>"]*[>"]' "$headers")

# run NAME PROGRAM: it exits 0 and says both answers came back as documented.
run() {
    local out status=0
    out=$("$2" 2>&1) || status=$?
    echo "$out" | sed "s/^/  $1: /"
    [[ $status -eq 0 && $(grep -c '^ok ' <<<"$out") -eq 2 ]] || fail "$1: hello_member exited $status"
}

# CMake: the package found in the prefix, not anywhere else.
if "$cmake" -S "$example" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$cxx" \
        -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$work/cmake.log" 2>&1 &&
    "$cmake" --build "$work/cmake" >>"$work/cmake.log" 2>&1; then
    found=$(sed -n 's/^twofold_DIR:PATH=//p' "$work/cmake/CMakeCache.txt")
    [[ $found == "$prefix"/* ]] || fail "find_package(twofold) found $found, not the package in $prefix"
    run cmake "$work/cmake/hello_member"
else
    fail "the CMake build of $example failed:" && cat "$work/cmake.log"
fi

# pkg-config: the archives are static, so --static brings the libraries they call.
pc=$(find "$prefix" -name twofold.pc)
if [[ -z $pc ]]; then
    fail "no twofold.pc in $prefix"
elif ! flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --static --cflags --libs twofold); then
    fail "pkg-config cannot read $pc"
else
    echo "pkg-config --static --cflags --libs twofold: $flags"
    # shellcheck disable=SC2086  # the flags are words
    if "$cxx" -std=c++20 "$example/main.cpp" -o "$work/hello_member" $flags >"$work/pkg-config.log" 2>&1; then
        run pkg-config "$work/hello_member"
    else
        fail "the pkg-config build failed:" && cat "$work/pkg-config.log"
    fi
fi

exit $((failures > 0))
