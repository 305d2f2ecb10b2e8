#!/usr/bin/env bash
# Vendors the graphql-ws client (the graphql-transport-ws library frontend teams use) at a pinned
# version from the npm registry into dashboard/vendor/graphql-ws/: its ES modules as published
# (no dependencies, no build step), the licence, and their SHA-384 sums, which a unit test
# checks. Relink embeds these files in its binary, so the dashboard loads nothing from elsewhere.
set -euo pipefail
cd "$(dirname "$0")"
VERSION=6.4.2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "graphql-ws@$VERSION" >/dev/null && tar xzf "graphql-ws-$VERSION.tgz")
rm -rf vendor/graphql-ws && mkdir -p vendor/graphql-ws
cp "$work/package/dist/client.js" "$work/package/LICENSE.md" vendor/graphql-ws/
# The client's one chunk, whatever its hashed name in this version.
chunk=$(sed -n "s/.* from '\.\/\(common-[A-Za-z0-9_-]*\.js\)';.*/\1/p" "$work/package/dist/client.js" | head -1)
cp "$work/package/dist/$chunk" vendor/graphql-ws/
echo "$VERSION" > vendor/graphql-ws/VERSION
(cd vendor/graphql-ws && for file in client.js "$chunk"; do
  echo "$file sha384-$(openssl dgst -sha384 -binary "$file" | openssl base64 -A)"
done > SHA384SUMS)
cat vendor/graphql-ws/SHA384SUMS
