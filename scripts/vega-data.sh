#!/usr/bin/env bash
# Prints the folder holding the real datasets that the npm package vega-datasets ships
# (flights-3m.parquet, seattle-weather.csv, penguins.json, ...), fetching it once.
set -euo pipefail
version=3.2.1
cache="${FERRY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ferry}/vega-datasets-$version"
if [ ! -f "$cache/flights-3m.parquet" ]; then
  command -v npm >/dev/null || { echo "vega-datasets: npm is needed" >&2; exit 1; }
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  echo "vega-datasets: fetching vega-datasets@$version from the npm registry" >&2
  (cd "$tmp" && npm pack --silent "vega-datasets@$version" >/dev/null)
  tar -xzf "$tmp"/vega-datasets-*.tgz -C "$tmp" package/data
  mkdir -p "$(dirname "$cache")"
  rm -rf "$cache.partial" && mv "$tmp/package/data" "$cache.partial" && mv "$cache.partial" "$cache"
fi
echo "$cache"
