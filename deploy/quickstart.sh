#!/usr/bin/env bash
# intransit quick start. Each command does its whole set-up itself on Debian 12:
#
#   deploy/quickstart.sh run    install what is missing, build, run the gateway on the
#                               embedded default policy (https://127.0.0.1:8443/)
#   deploy/quickstart.sh test   install what is missing, build, run the whole test suite
#
# Environment: BUILD_DIR (default build), JOBS (default: nproc), CTEST_ARGS (extra ctest args).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
mode=${1:-}
case "$mode" in run|test|deps|build) ;; *)
  echo "usage: $0 run|test" >&2; exit 2;;
esac

# Build dependencies (DESIGN.md: Debian packages only) and the real peers the tests drive.
BUILD_PKGS=(build-essential cmake ninja-build pkg-config git
            android-libboringssl-dev libuv1-dev libnghttp2-dev prometheus-cpp-dev catch2
            libyaml-cpp-dev)
TEST_PKGS=(curl openssl sslscan python3 iproute2 procps psmisc nghttp2-client python3-h2 python3-h11
           python3-hpack python3-hyperframe)

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing: ${missing[*]}"
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    -o DPkg::Lock::Timeout=600 "${missing[@]}"
}

BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}

build() {
  echo "==> configuring and building in $BUILD_DIR"
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD_DIR" -j "$JOBS"
}

case "$mode" in
  deps)
    install_packages "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}"
    ;;
  build)
    install_packages "${BUILD_PKGS[@]}"
    build
    ;;
  run)
    install_packages "${BUILD_PKGS[@]}" curl
    build
    echo "==> starting intransit on the embedded default policy"
    echo "    try: curl -k https://127.0.0.1:8443/   (Ctrl-C drains and stops)"
    exec "$BUILD_DIR/gateway/intransit" run "${@:2}"
    ;;
  test)
    install_packages "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}"
    build
    echo "==> running the test suite"
    cd "$BUILD_DIR"
    ctest --output-on-failure --timeout 600 ${CTEST_ARGS:-}
    ;;
esac
