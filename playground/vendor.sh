#!/usr/bin/env bash
# Vendors GraphiQL and React at pinned versions from the npm registry into playground/vendor/:
# production builds, their source-map comments removed (the maps are not shipped), and prints the
# Subresource Integrity values that playground/index.html must carry. Relink embeds these files
# in its binary, so GraphiQL loads with no request leaving the server and builds offline.
# Run it to move to other versions, then update index.html and the table in the README.
set -euo pipefail
cd "$(dirname "$0")"
GRAPHIQL=4.1.2
REACT=18.3.1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null)
for package in "graphiql-$GRAPHIQL" "react-$REACT" "react-dom-$REACT"; do
  mkdir -p "$work/$package" && tar xzf "$work/$package.tgz" -C "$work/$package"
done
strip_map() { sed '/^\/\/# sourceMappingURL=/d; /^\/\*# sourceMappingURL=.*\*\/$/d' "$1" > "$2"; }
strip_map "$work/graphiql-$GRAPHIQL/package/graphiql.min.js" vendor/graphiql.min.js
strip_map "$work/graphiql-$GRAPHIQL/package/graphiql.min.css" vendor/graphiql.min.css
strip_map "$work/react-$REACT/package/umd/react.production.min.js" vendor/react.production.min.js
strip_map "$work/react-dom-$REACT/package/umd/react-dom.production.min.js" vendor/react-dom.production.min.js
cp "$work/graphiql-$GRAPHIQL/package/LICENSE" vendor/LICENSE-graphiql
cp "$work/react-$REACT/package/LICENSE" vendor/LICENSE-react
for file in vendor/*.min.js vendor/*.min.css; do
  echo "$file sha384-$(openssl dgst -sha384 -binary "$file" | openssl base64 -A)"
done
