#!/usr/bin/env bash
# Set-up for a fresh machine, safe to run again: OpenBLAS for the BLAS
# kernels (cgo), chromium for the status page's browser test, the Go modules (including the built-in MNIST digits), and
# onnxruntime's shared library in lib/.
set -euo pipefail
cd "$(dirname "$0")/.."

ORT_VERSION=1.24.3
ORT_FILE=package/bin/napi-v6/linux/x64/libonnxruntime.so.1
ORT_SHA256=92ba8e44d31b80a34f5e805076a044122c3be1fffe0d88ed790de7267b0b2682

fail() { echo "setup: $*" >&2; exit 1; }

arch=$(uname -m)
[ "$arch" = x86_64 ] || fail "this machine is $arch; the onnxruntime library this script fetches (and checks by SHA-256) is the x86-64 build. \
On another architecture put a libonnxruntime.so.1 of ORT $ORT_VERSION for it in lib/ (or set ONNXRUNTIME_LIB) and skip this script."
command -v go >/dev/null || fail "Go is not installed: install Go 1.26.8 or later (https://go.dev/dl)"
command -v gcc >/dev/null || fail "gcc is not installed (cgo needs it): apt-get install gcc"

# OpenBLAS (the nistgmm command routes gonum's BLAS calls to it; see
# internal/fastblas). What the build needs is the link-time library
# (libopenblas-dev's libopenblas.so), not only the runtime libopenblas0:
# try to link against it.
links_openblas() { echo 'int main(void){return 0;}' | gcc -x c - -lopenblas -o /dev/null 2>/dev/null; }
if ! links_openblas; then
  echo "setup: installing libopenblas-dev with apt-get"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -q libopenblas-dev >/dev/null \
    || { $sudo_cmd apt-get update -q >/dev/null && $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -q libopenblas-dev >/dev/null; } \
    || fail "could not install libopenblas-dev; install it, or build with -tags noopenblas (pure Go, slower)"
  links_openblas || fail "libopenblas-dev is installed but gcc cannot link -lopenblas"
fi

# Debian's chromium, for the status page's test in a real headless
# browser (federation/coordinator, driven by chromedp). Without it that one
# test is skipped with a message saying so.
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  echo "setup: installing chromium with apt-get (the federation status page's browser test)"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
    || { $sudo_cmd apt-get update -q >/dev/null && $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } \
    || echo "setup: could not install chromium; the status page's browser test will be skipped" >&2
fi

go mod download

# onnxruntime, from the npm package onnxruntime-node (no install scripts run).
if [ -f lib/libonnxruntime.so.1 ] && echo "$ORT_SHA256  lib/libonnxruntime.so.1" | sha256sum -c --status; then
  :
else
  command -v npm >/dev/null || fail "npm is needed once to fetch onnxruntime's library: apt-get install npm \
(or put libonnxruntime.so.1 of ORT $ORT_VERSION in lib/ yourself, or set ONNXRUNTIME_LIB)"
  echo "setup: fetching libonnxruntime.so.1 from onnxruntime-node@$ORT_VERSION (npm)"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "onnxruntime-node@$ORT_VERSION" >/dev/null)
  tar -xzf "$tmp/onnxruntime-node-$ORT_VERSION.tgz" -C "$tmp" "$ORT_FILE"
  echo "$ORT_SHA256  $tmp/$ORT_FILE" | sha256sum -c --status \
    || fail "checksum mismatch for $ORT_FILE from onnxruntime-node@$ORT_VERSION"
  mkdir -p lib
  mv "$tmp/$ORT_FILE" lib/libonnxruntime.so.1.tmp
  mv lib/libonnxruntime.so.1.tmp lib/libonnxruntime.so.1
fi
echo "setup: ok"
