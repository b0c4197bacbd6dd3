#!/usr/bin/env bash
# Set-up for a fresh machine, safe to run again: OpenBLAS for the BLAS
# kernels (cgo), the Go modules (including the built-in MNIST digits), and
# onnxruntime's shared library in lib/.
set -euo pipefail
cd "$(dirname "$0")/.."

ORT_VERSION=1.24.3
ORT_FILE=package/bin/napi-v6/linux/x64/libonnxruntime.so.1
ORT_SHA256=92ba8e44d31b80a34f5e805076a044122c3be1fffe0d88ed790de7267b0b2682

# OpenBLAS (gonum's BLAS calls go to it; see internal/fastblas).
if ! ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so\b' && [ ! -e /usr/lib/x86_64-linux-gnu/libopenblas.so ]; then
  echo "setup: installing libopenblas-dev with apt-get"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -q libopenblas-dev >/dev/null \
    || { $sudo_cmd apt-get update -q >/dev/null && $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -q libopenblas-dev >/dev/null; } \
    || { echo "setup: could not install libopenblas-dev; install it, or build with -tags noopenblas (pure Go, slower)" >&2; exit 1; }
fi

go mod download

# onnxruntime, from the npm package onnxruntime-node (no install scripts run).
if [ -f lib/libonnxruntime.so.1 ] && echo "$ORT_SHA256  lib/libonnxruntime.so.1" | sha256sum -c --status; then
  :
else
  echo "setup: fetching libonnxruntime.so.1 from onnxruntime-node@$ORT_VERSION (npm)"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "onnxruntime-node@$ORT_VERSION" >/dev/null)
  tar -xzf "$tmp/onnxruntime-node-$ORT_VERSION.tgz" -C "$tmp" "$ORT_FILE"
  echo "$ORT_SHA256  $tmp/$ORT_FILE" | sha256sum -c --status \
    || { echo "setup: checksum mismatch for $ORT_FILE from onnxruntime-node@$ORT_VERSION" >&2; exit 1; }
  mkdir -p lib
  mv "$tmp/$ORT_FILE" lib/libonnxruntime.so.1.tmp
  mv lib/libonnxruntime.so.1.tmp lib/libonnxruntime.so.1
fi
echo "setup: ok"
