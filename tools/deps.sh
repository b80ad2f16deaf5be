#!/bin/sh
# Install the Debian packages ckpt needs, if missing.
#   tools/deps.sh build   libraries and headers for `make`
#   tools/deps.sh test    tools the tests use as independent references
# As root it runs apt-get; otherwise it prints the exact sudo line and fails.
set -u
what=${1:-build}
BUILD_PKGS="build-essential pkg-config libncurses-dev libhdf5-dev libzip-dev libcjson-dev libcurl4-openssl-dev libssl-dev libseccomp-dev libprotobuf-c-dev protobuf-c-compiler zlib1g-dev libpcre2-dev libmicrohttpd-dev libdeflate-dev"
TEST_PKGS="clang libclang-rt-14-dev tmux hdf5-tools unzip zip python3 python3-numpy python3-h5py python3-torch time curl locales faketime strace"
# node and npm may come from outside Debian (the machine image has them): check commands
TEST_CMDS="node:nodejs npm:npm"

missing=""
if [ "$what" = build ]; then
    for m in ncursesw hdf5 libzip libcjson libcurl libcrypto libseccomp libprotobuf-c zlib libpcre2-8 libmicrohttpd libdeflate; do
        pkg-config --exists "$m" 2>/dev/null || { missing="$BUILD_PKGS"; break; }
    done
    command -v cc >/dev/null 2>&1 || missing="$BUILD_PKGS"
    command -v protoc-c >/dev/null 2>&1 || missing="$BUILD_PKGS"
    pkgs=$missing
else
    pkgs=""
    for p in $TEST_PKGS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || pkgs="$pkgs $p"
    done
    for pc in $TEST_CMDS; do
        command -v "${pc%%:*}" >/dev/null 2>&1 || pkgs="$pkgs ${pc#*:}"
    done
fi
[ -z "$pkgs" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "ckpt needs these Debian packages:$pkgs" >&2
    echo "run: sudo apt-get update && sudo apt-get install -y$pkgs" >&2
    exit 1
fi
echo "installing Debian packages:$pkgs" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq --no-install-recommends $pkgs >/dev/null 2>&1 \
    || apt-get install -y -qq $pkgs >/dev/null \
    || { echo "apt-get install failed:$pkgs" >&2; exit 1; }
