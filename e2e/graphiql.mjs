// End-to-end: GraphiQL at `/` in Debian's headless Chromium, against a Relink server the Rust test
// (tests/api/e2e.rs) started with the demo data and the sandbox. RELINK_URL is the server.
//
// It checks what a security reviewer asks of the page where people paste their bearer token: no
// request leaves the server (every script, style and font is Relink's own), the Content Security
// Policy is never violated, and it still works: a query with a token answers, and a subscription
// started in GraphiQL receives a live event.

import { launchChromium } from "./browser.mjs";

const base = process.env.RELINK_URL;
let step = "launch";
function check(condition, message) {
  if (!condition) throw new Error(`${step}: ${message}`);
}

const browser = await launchChromium();

/** Sets the text of one of GraphiQL's CodeMirror editors. */
async function setEditor(page, selector, text) {
  await page.locator(`${selector} .CodeMirror`).first().waitFor({ state: "attached" });
  await page.evaluate(
    ([selector, text]) => document.querySelector(`${selector} .CodeMirror`).CodeMirror.setValue(text),
    [selector, text],
  );
  // GraphiQL reads an edit after a short debounce (it parses the document to tell a
  // subscription from a query): give it the pause a person's typing would.
  await page.waitForTimeout(400);
}

/** The text of GraphiQL's response pane. */
async function response(page) {
  return page.evaluate(
    () => document.querySelector(".graphiql-response .CodeMirror")?.CodeMirror.getValue() ?? "",
  );
}

async function waitForResponse(page, predicate, what) {
  for (let i = 0; i < 200; i += 1) {
    const text = await response(page);
    if (predicate(text)) return text;
    await page.waitForTimeout(50);
  }
  throw new Error(`${step}: no ${what} in the response pane: ${await response(page)}`);
}

try {
  const token = await fetch(`${base}/dashboard/demo-token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: "ada@northwind.example" }),
  }).then((answer) => answer.json());
  check(typeof token.token === "string", `no demo token: ${JSON.stringify(token)}`);

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const requests = [];
  const violations = [];
  const errors = [];
  page.on("request", (request) => requests.push(request.url()));
  page.on("websocket", (socket) => requests.push(socket.url()));
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));

  step = "GraphiQL loads from the server alone";
  const loaded = await page.goto(`${base}/`);
  check(loaded.status() === 200, `GET / answered ${loaded.status()}`);
  check(
    (loaded.headers()["content-security-policy"] ?? "").includes("script-src 'self'"),
    "the page carries its Content Security Policy",
  );
  await page.locator(".graphiql-container").waitFor();
  await page.locator(".graphiql-query-editor .CodeMirror").waitFor();

  step = "a query with the token answers";
  await setEditor(page, ".graphiql-editor-tool", "");
  await page.getByRole("button", { name: "Headers" }).click();
  await setEditor(page, ".graphiql-editor-tool .graphiql-editor:not(.hidden)", JSON.stringify({
    Authorization: `Bearer ${token.token}`,
  }));
  await setEditor(page, ".graphiql-query-editor", "{ viewer { user { name } } reconnectStatus { badgeCount } }");
  await page.locator("button.graphiql-execute-button").click();
  const answered = await waitForResponse(page, (text) => text.includes("Ada Lovelace"), "viewer");
  check(answered.includes('"badgeCount": 3'), answered);

  step = "a subscription started in GraphiQL receives a live event";
  await setEditor(page, ".graphiql-query-editor", "subscription { reconnectStatus { badgeCount } }");
  await page.locator("button.graphiql-execute-button").click();
  await waitForResponse(page, (text) => text.includes('"badgeCount": 3'), "the current value");
  const revoked = await fetch(`${base}/sandbox/admin/identities/x-northwind/revoke`, { method: "POST" });
  check(revoked.ok, `revoke answered ${revoked.status}`);
  await waitForResponse(page, (text) => text.includes('"badgeCount": 4'), "the live change");

  step = "nothing left the server, nothing was refused";
  const origin = new URL(base).origin;
  const wsOrigin = origin.replace(/^http/, "ws");
  const elsewhere = requests.filter((url) => !url.startsWith(origin) && !url.startsWith(wsOrigin));
  check(elsewhere.length === 0, `requests left the server: ${elsewhere.join(", ")}`);
  check(violations.length === 0, `Content Security Policy violations: ${violations.join(" | ")}`);
  check(errors.length === 0, `page errors: ${errors.join(" | ")}`);
  console.log(`GraphiQL: ${requests.length} requests, all to ${origin}; query and subscription work`);
} catch (error) {
  console.error(error.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
