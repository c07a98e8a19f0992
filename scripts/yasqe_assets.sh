#!/bin/sh
# Refresh the SPARQL editor (YASQE, the query editor of YASGUI) shipped in src/hkgraph/web/plugin/static/.
#
# The built files come from the npm registry's @zazuko/yasqe package (the maintained fork of TriplyDB's
# YASGUI) and are committed, so the site works offline from a clean clone; run this only to move to
# another version:  sh scripts/yasqe_assets.sh [VERSION]   (needs npm; writes nothing else)
set -eu
VERSION="${1:-4.6.2}"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$HERE/src/hkgraph/web/plugin/static"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "@zazuko/yasqe@$VERSION" >/dev/null
tar xzf "zazuko-yasqe-$VERSION.tgz"
# The bundle ends with a source map comment; the map itself (1.7 MB) is not shipped.
sed '$ s|//# sourceMappingURL=.*$||' package/build/yasqe.min.js > "$DEST/yasqe.min.js"
cp package/build/yasqe.min.css "$DEST/yasqe.min.css"
echo "$VERSION" > "$DEST/yasqe.version"
echo "YASQE $VERSION -> $DEST (keep YASQE-LICENSE.txt beside it)"
