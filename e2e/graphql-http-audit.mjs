// The GraphQL-over-HTTP audit of graphql-http (the reference implementation of the spec's test
// suite) against a running Relink: `node graphql-http-audit.mjs http://127.0.0.1:PORT/graphql`.
// Prints every audit with its result; exits non-zero on any error or warning (MUST and SHOULD).
// Notices are the spec's MAYs: listed, not failed.

import { auditServer } from "graphql-http";

const url = process.argv[2];
if (!url) {
  console.error("usage: node graphql-http-audit.mjs <url of /graphql>");
  process.exit(2);
}

const results = await auditServer({ url });
const count = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const result of results) {
  count[result.status] = (count[result.status] ?? 0) + 1;
  const line = `${result.status.padEnd(6)} ${result.id} ${result.name}`;
  if (result.status === "ok") {
    console.log(line);
    continue;
  }
  const body = await result.response.text().catch(() => "");
  console.log(`${line}\n       ${result.reason}\n       HTTP ${result.response.status}: ${body.slice(0, 300)}`);
}
console.log(
  `graphql-http audit: ${results.length} audits, ${count.error} errors, ${count.warn} warnings, ${count.notice} notices`,
);
process.exit(count.error + count.warn === 0 ? 0 : 1);
