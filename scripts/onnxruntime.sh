#!/usr/bin/env bash
# Prints the path of onnxruntime's shared library, installing it first if needed.
#
# Order: $ONNXRUNTIME_SHARED_LIBRARY_PATH when it names a file; else the cached copy;
# else the library is extracted from the npm package onnxruntime-node (which ships the
# CPU build for Linux, macOS and Windows) into the cache. Idempotent.
set -euo pipefail
version=1.30.0
if [ -n "${ONNXRUNTIME_SHARED_LIBRARY_PATH:-}" ] && [ -f "$ONNXRUNTIME_SHARED_LIBRARY_PATH" ]; then
  echo "$ONNXRUNTIME_SHARED_LIBRARY_PATH"; exit 0
fi
cache="${FERRY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ferry}/onnxruntime-$version"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64)  member=bin/napi-v6/linux/x64/libonnxruntime.so.1;    lib=libonnxruntime.so.1 ;;
  Linux-aarch64) member=bin/napi-v6/linux/arm64/libonnxruntime.so.1;  lib=libonnxruntime.so.1 ;;
  Darwin-arm64)  member=bin/napi-v6/darwin/arm64/libonnxruntime.1.dylib; lib=libonnxruntime.1.dylib ;;
  *) echo "onnxruntime: no prebuilt library for $(uname -s)-$(uname -m); set ONNXRUNTIME_SHARED_LIBRARY_PATH" >&2; exit 1 ;;
esac
if [ ! -f "$cache/$lib" ]; then
  command -v npm >/dev/null || { echo "onnxruntime: npm is needed to fetch onnxruntime-node@$version (or set ONNXRUNTIME_SHARED_LIBRARY_PATH)" >&2; exit 1; }
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  echo "onnxruntime: fetching onnxruntime-node@$version from the npm registry" >&2
  (cd "$tmp" && npm pack --silent "onnxruntime-node@$version" >/dev/null)
  tar -xzf "$tmp"/onnxruntime-node-*.tgz -C "$tmp" "package/$member"
  mkdir -p "$cache"
  mv "$tmp/package/$member" "$cache/$lib.partial" && mv "$cache/$lib.partial" "$cache/$lib"
fi
echo "$cache/$lib"
