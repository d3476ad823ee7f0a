#!/usr/bin/env bash
# Install the third-party front-end code the governance site serves itself (never committed):
# mermaid (diagrams) and tablesort (sortable tables), fetched from the npm registry with npm and
# unpacked into .cache/npm/ at the top of the checkout. The site plugin copies them into every
# built site, so viewing a site makes no request to a CDN. The wheel build (setup.py) runs this
# script when they are missing and packs them into the wheel.
#
# Usage: bash scripts/setup_assets.sh [DEST]     (DEST defaults to .cache/npm; also read from
#        the GOVSITE_VENDOR_DIR environment variable, which the site plugin honours too)
set -euo pipefail

MERMAID_VERSION="11.12.2"
TABLESORT_VERSION="5.7.1"

cd "$(dirname "$0")/.."
dest="${1:-${GOVSITE_VENDOR_DIR:-.cache/npm}}"
stamp="$dest/.installed-mermaid-$MERMAID_VERSION-tablesort-$TABLESORT_VERSION"

if [ -f "$stamp" ]; then
  exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "setup_assets: npm is required (apt-get install npm)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# `npm pack` fetches one package's published tarball without its dependency tree: the files we
# serve are the packages' self-contained browser bundles.
(cd "$work" && npm pack --silent "mermaid@$MERMAID_VERSION" "tablesort@$TABLESORT_VERSION" >/dev/null)

mkdir -p "$dest/mermaid" "$dest/tablesort"
tar -xzf "$work/mermaid-$MERMAID_VERSION.tgz" -C "$work" package/dist/mermaid.min.js package/LICENSE
cp "$work/package/dist/mermaid.min.js" "$work/package/LICENSE" "$dest/mermaid/"
rm -rf "$work/package"
tar -xzf "$work/tablesort-$TABLESORT_VERSION.tgz" -C "$work" \
  package/dist/tablesort.min.js package/dist/sorts/tablesort.number.min.js package/LICENCE
cp "$work/package/dist/tablesort.min.js" "$work/package/dist/sorts/tablesort.number.min.js" \
  "$work/package/LICENCE" "$dest/tablesort/"

rm -f "$dest"/.installed-*
touch "$stamp"
echo "setup_assets: mermaid $MERMAID_VERSION and tablesort $TABLESORT_VERSION installed in $dest"
