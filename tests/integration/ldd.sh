#!/usr/bin/env bash
# ldd.sh: the binary loads BoringSSL (Debian android-libboringssl, from
# /usr/lib/<arch>/android) and never OpenSSL (libssl.so.3 / libcrypto.so.3) nor civetweb.
. "$(dirname "$0")/lib.sh"

out=$(ldd "$INTRANSIT_BIN" 2>&1); rc=$?
expect_eq "ldd runs on the binary" 0 "$rc"
echo "$out" | sed 's/^/    /'

expect_match "libssl resolves to BoringSSL under /usr/lib/*/android" \
  '^[[:space:]]*libssl\.so[^ ]* => /usr/lib/x86_64-linux-gnu/android/libssl\.so' "$out"
expect_match "libcrypto resolves to BoringSSL under /usr/lib/*/android" \
  '^[[:space:]]*libcrypto\.so[^ ]* => /usr/lib/x86_64-linux-gnu/android/libcrypto\.so' "$out"
expect_nomatch "no OpenSSL libssl.so.3 / libcrypto.so.3" 'lib(ssl|crypto)\.so\.3' "$out"
expect_nomatch "no OpenSSL loaded from outside the android dir" \
  '=> /(usr/)?lib/(x86_64-linux-gnu/)?lib(ssl|crypto)\.' "$out"
expect_nomatch "no civetweb" 'civetweb' "$out"
expect_nomatch "no prometheus-cpp pull library (drags in civetweb)" 'libprometheus-cpp-pull' "$out"
expect_nomatch "every library resolves" 'not found' "$out"

# The NEEDED entries themselves (ldd shows the transitive closure, this shows what we link).
needed=$(readelf -d "$INTRANSIT_BIN" 2>/dev/null | awk '/NEEDED/ {print $NF}' | tr -d '[]')
if [ -n "$needed" ]; then
  expect_nomatch "DT_NEEDED has no OpenSSL / civetweb" 'lib(ssl|crypto)\.so\.3|civetweb' "$needed"
fi
finish
