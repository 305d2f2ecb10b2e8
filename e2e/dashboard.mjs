// End-to-end: the reference dashboard in Debian's headless Chromium, against a Relink server the
// Rust test (tests/api/dashboard.rs) started with the demo data, the sandbox and a clock it can
// move. RELINK_URL is the server, CONTROL_URL moves its clock (POST /advance/{hours}) and opens or
// closes a network's incident (POST /incident/{network}/open | close).
// Screenshots of the main screens go to e2e/screenshots/ (not committed).

import { mkdirSync } from "node:fs";
import { launchChromium } from "./browser.mjs";

const base = process.env.RELINK_URL;
const control = process.env.CONTROL_URL;
const shots = new URL("./screenshots/", import.meta.url).pathname;
mkdirSync(shots, { recursive: true });

let step = "launch";
function check(condition, message) {
  if (!condition) throw new Error(`${step}: ${message}`);
}

const browser = await launchChromium();

async function signIn(page, name) {
  await page.goto(`${base}/dashboard`);
  await page.getByRole("button", { name: `Sign in as ${name}` }).click();
  await page.locator("#main[data-view]").waitFor();
}

async function badge(page) {
  const element = page.locator("#badge");
  return (await element.isVisible()) ? Number(await element.textContent()) : 0;
}

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on("pageerror", (error) => console.error("page error:", error.message));

  step = "sign in as ada: the banner (R9) and the badge (R11)";
  await signIn(page, "Ada Lovelace");
  await page.locator("#banner").waitFor({ state: "visible" });
  check((await badge(page)) === 3, `badge ${await badge(page)}, expected 3`);
  await page.screenshot({ path: `${shots}banner.png` });

  step = "dismiss: the banner goes, the badge stays";
  await page.locator("#dismiss").click();
  await page.locator("#banner").waitFor({ state: "hidden" });
  await page.reload();
  await page.locator("#main[data-view]").waitFor();
  check(!(await page.locator("#banner").isVisible()), "the dismissal holds after a reload");
  check((await badge(page)) === 3, "the badge stays");

  step = "24 hours later the banner is back";
  const moved = await fetch(`${control}/advance/25`, { method: "POST" });
  check(moved.ok, "the clock moved");
  await page.reload();
  // The 12-hour token has expired meanwhile: the page asks to sign in again.
  await page.getByRole("button", { name: "Sign in as Ada Lovelace" }).click();
  await page.locator("#banner").waitFor({ state: "visible" });

  step = "a network's incident shows live beside the banner, and goes when it closes";
  const opened = await fetch(`${control}/incident/facebook/open`, { method: "POST" });
  check(opened.ok, "the incident opened");
  await page.locator("#incident", { hasText: "Facebook is having problems" }).waitFor();
  check(
    (await page.locator("#incident").innerText()).includes("nothing needs reconnecting"),
    "it says no reconnect is needed for it",
  );
  await page.screenshot({ path: `${shots}incident.png` });
  const closed = await fetch(`${control}/incident/facebook/close`, { method: "POST" });
  check(closed.ok, "the incident closed");
  await page.locator("#incident").waitFor({ state: "hidden" });

  step = "the restore pop-up (R10) and the reconnect through the sandbox";
  await page.locator("#avatar").click();
  await page.locator("#restore[open]").waitFor();
  await page.screenshot({ path: `${shots}restore.png` });
  const facebook = page.locator("#restore-list li", { hasText: "facebook" }).first();
  await facebook.getByRole("button", { name: /^Reconnect/ }).click();
  await page.waitForURL(/\/sandbox\/facebook\/oauth\/authorize/);
  await page.locator('input[name="identity"][value="fb-nora"]').check();
  await page.getByRole("button", { name: "Allow" }).click();
  await page.waitForURL(/\/dashboard#\/social-networks\/reauth\?result=reconnected/);
  await page.locator("#restore[open]").waitFor();
  await page.locator("#restore-result", { hasText: "Reconnected 3 account(s)" }).waitFor();
  await page.locator("#restore-result", { hasText: "2 held post(s) go out as scheduled" }).waitFor();
  check((await badge(page)) === 0, "no disconnected account left");
  check(!(await page.locator("#banner").isVisible()), "no banner");

  step = "the held posts were released (B4)";
  await page.keyboard.press("Escape");
  await page.goto(`${base}/dashboard#/planner`);
  const roast = page.locator("#planner li", { hasText: "Weekend roast" });
  await roast.waitFor();
  check(!(await roast.getAttribute("class")).includes("held"), "the roast post is no longer held");
  check((await roast.locator(".state").textContent()).trim() === "scheduled", "released as scheduled");

  step = "a revocation at the network shows live: banner, badge, yellow planner tile";
  const revoked = await fetch(`${base}/sandbox/admin/identities/x-northwind/revoke`, { method: "POST" });
  check(revoked.ok, "the sandbox revoked");
  await page.locator("#banner").waitFor({ state: "visible" });
  await page.locator("#badge", { hasText: "1" }).waitFor();
  await page.locator("#planner li.held", { hasText: "Flat whites are back" }).waitFor();
  await page.screenshot({ path: `${shots}planner.png` });

  step = "streams (R15) and the admin list (R16)";
  await page.goto(`${base}/dashboard#/streams`);
  await page.locator(".stream.reconnect", { hasText: "@northwind" }).waitFor();
  await page.screenshot({ path: `${shots}streams.png` });
  await page.goto(`${base}/dashboard#/admin`);
  await page.locator('td[data-flag="RED"]', { hasText: "@northwind" }).waitFor();
  await page.screenshot({ path: `${shots}admin.png` });

  step = "the composer refuses the disconnected account and offers a draft (R14)";
  await page.goto(`${base}/dashboard#/composer`);
  await page.locator("#compose").waitFor();
  await page.locator("label", { hasText: /@northwind\s+x\b/ }).locator("input").check();
  await page.locator("#body").fill("Hello from the composer");
  await page.getByRole("button", { name: "Schedule" }).click();
  await page.locator("#compose-result .notice.error").waitFor();
  await page.getByRole("button", { name: "Save as draft instead" }).click();
  await page.locator("#compose-result .notice.ok", { hasText: "Saved 1 draft" }).waitFor();

  step = "dev may not reconnect: no Reconnect button, the last reconnector's name (R4)";
  const devContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const dev = await devContext.newPage();
  dev.setDefaultTimeout(10_000);
  await signIn(dev, "Dev Patel");
  // By keyboard: the avatar is a button; Enter opens the restore pop-up, Escape closes it.
  await dev.locator("#avatar").focus();
  await dev.keyboard.press("Enter");
  await dev.locator("#restore[open]").waitFor();
  await dev.keyboard.press("Escape");
  await dev.locator("#restore[open]").waitFor({ state: "detached" });
  await dev.locator("#avatar").focus();
  await dev.keyboard.press("Enter");
  const x = dev.locator("#restore-list li", {
    has: dev.locator("strong", { hasText: /^@northwind$/ }),
  });
  await x.waitFor();
  check((await x.getByRole("button", { name: /^Reconnect/ }).count()) === 0, "no Reconnect button");
  const text = await x.innerText();
  check(/Last reconnected by\s+\S+ \S+\./.test(text), `the last reconnector is named: ${text}`);
  await x.getByRole("button", { name: "Ask them to reconnect" }).click();
  await x.locator("text=Asked").waitFor();
  await dev.screenshot({ path: `${shots}dev-restore.png` });

  step = "a refused release choice is said on the page, not in a dialog box";
  await dev.keyboard.press("Escape");
  await dev.goto(`${base}/dashboard#/planner`);
  const held = dev.locator("#planner li.held", { hasText: "Flat whites are back" });
  await held.getByRole("button", { name: "Reschedule" }).click();
  await dev.locator("#notice:not([hidden])").waitFor();
  check((await dev.locator("#notice").textContent()).length > 0, "the refusal is explained");

  step = "a sign-in that comes back to another browser is finished by its starter's dashboard";
  // Ada starts the reconnect of @northwind in her first browser (which gets the flow cookie)…
  const authorizeUrl = await page.evaluate(async () => {
    const call = async (query, variables = {}) => {
      const answer = await fetch("/graphql", {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Authorization: `Bearer ${sessionStorage.getItem("relink-token")}`,
        },
        body: JSON.stringify({ query, variables }),
      });
      return (await answer.json()).data;
    };
    const { socialAccounts } = await call("{ socialAccounts(first: 100) { nodes { id externalId } } }");
    const x = socialAccounts.nodes.find((node) => node.externalId === "x-northwind");
    const { startReconnect } = await call(
      "mutation($id: ID!) { startReconnect(input: { socialAccountId: $id }) { authorizeUrl } }",
      { id: x.id },
    );
    return startReconnect.authorizeUrl;
  });
  // …but signs in at the network in another browser, where she is signed in to the dashboard too.
  const otherContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const other = await otherContext.newPage();
  other.setDefaultTimeout(10_000);
  other.on("pageerror", (error) => console.error("page error:", error.message));
  await signIn(other, "Ada Lovelace");
  await other.goto(authorizeUrl);
  await other.locator('input[name="identity"][value="x-northwind"]').check();
  await other.getByRole("button", { name: "Allow" }).click();
  // No flow cookie here: the callback completed nothing and handed the answer to the page, which
  // finished it with completeReconnect as Ada, then took the code out of the address bar.
  await other.locator("#restore-result", { hasText: "Reconnected 1 account(s)" }).waitFor();
  check(!other.url().includes("code="), `the code left the address bar: ${other.url()}`);
  await other.locator("#badge").waitFor({ state: "hidden" });

  console.log("dashboard e2e: all steps passed");
  await browser.close();
} catch (error) {
  // The first line says what failed; Playwright's call log says what it waited for.
  const lines = error.message.split("\n");
  console.error(`${step}: ${lines[0]}`);
  for (const line of lines.slice(1).filter((line) => /waiting for|locator resolved/.test(line)).slice(0, 3)) {
    console.error(`  ${line.trim()}`);
  }
  for (const [index, context] of browser.contexts().entries()) {
    for (const [n, open] of context.pages().entries()) {
      await open.screenshot({ path: `${shots}failure-${index}-${n}.png` }).catch(() => {});
    }
  }
  await browser.close();
  process.exit(1);
}
