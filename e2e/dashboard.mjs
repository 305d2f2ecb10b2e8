// End-to-end: the reference dashboard in Debian's headless Chromium, against a Relink server the
// Rust test (tests/api/e2e.rs) started with the demo data, the sandbox and a clock it can
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

/** The value of a datetime-local input `days` from now, in the browser's time zone. */
function daysFromNow(days) {
  const date = new Date(Date.now() + days * 86_400_000);
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
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

  step = "the composer warns at selection, before anything is scheduled (R14)";
  await page.goto(`${base}/dashboard#/composer`);
  await page.locator("#compose").waitFor();
  const choose = (pattern) => page.locator("#compose label", { hasText: pattern }).locator("input");
  await choose(/Northwind Coffee\s+facebook/).check();
  const refusedPage = page.locator("#compose-check li.refused", { hasText: "Northwind Coffee is disconnected" });
  await refusedPage.waitFor();
  check((await refusedPage.innerText()).includes("draft"), "it says a draft can be saved meanwhile");
  check(
    (await refusedPage.getByRole("button", { name: "Reconnect" }).count()) === 1,
    "Ada may reconnect it from the composer",
  );
  check((await page.locator("#compose-result").innerText()).trim() === "", "nothing was scheduled");

  step = "a limited profile publishes, and the composer says what it lacks (R14, R18)";
  await choose(/@northwindcoffee\s+instagram/).check();
  const limitedProfile = page.locator("#compose-check li.limited", { hasText: "@northwindcoffee" });
  await limitedProfile.waitFor();
  const limitedText = await limitedProfile.innerText();
  check(limitedText.includes("the post goes out"), `it says the post goes out: ${limitedText}`);
  check(limitedText.includes("Insights"), `it says what the profile lacks: ${limitedText}`);
  await page.screenshot({ path: `${shots}composer-check.png` });
  await choose(/Northwind Coffee\s+facebook/).uncheck();
  await refusedPage.waitFor({ state: "detached" });
  await page.locator("#body").fill("Latte art reel: watch the rosetta.");
  await page.locator("#when").fill(daysFromNow(3));
  await page.getByRole("button", { name: "Schedule" }).click();
  await page.locator("#compose-result .notice.ok", { hasText: "Scheduled 1 post(s)" }).waitFor();

  step = "the planner: the limited profile's post is not held and says what it lacks (R18)";
  await page.goto(`${base}/dashboard#/planner`);
  const reel = page.locator("#planner li", { hasText: "Latte art reel" });
  await reel.waitFor();
  check(!(await reel.getAttribute("class")).includes("held"), "the post is not held");
  check((await reel.locator(".state").textContent()).trim() === "scheduled", "it stays scheduled");
  const reelText = await reel.innerText();
  check(reelText.includes("goes out as planned"), `it says it goes out as planned: ${reelText}`);
  check(reelText.includes("Insights") && reelText.includes("Comments"), `it says what it lacks: ${reelText}`);
  await reel.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${shots}planner-limited.png` });

  step = "ben watches the organization's accounts: each with Reconnect, the profile limited (R16, R17)";
  const benContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const ben = await benContext.newPage();
  ben.setDefaultTimeout(10_000);
  ben.on("pageerror", (error) => console.error("page error:", error.message));
  await signIn(ben, "Ben Okafor");
  await ben.getByRole("link", { name: "Organization", exact: true }).click();
  await ben.locator("#main[data-view=admin]").waitFor();
  await ben.locator('tr[data-health="LIMITED"]', { hasText: "@northwindcoffee" }).waitFor();
  const rows = ben.locator("#main tr[data-account]");
  const actions = ben.locator("#main tr[data-account] button[data-reconnect]");
  check((await rows.count()) === 7, `the organization's 7 accounts, not ${await rows.count()}`);
  check((await actions.count()) === 7, `a restore action on each account, not ${await actions.count()}`);
  check((await ben.locator("#admin-rules + p", { hasText: "No automation rule" }).count()) === 1, "no rule to review yet");
  await ben.evaluate(() => (window.notReloaded = true));

  step = "the restore pop-up (R10): the limited profile says what it lacks and the fix (R18)";
  await page.locator("#avatar").click();
  await page.locator("#restore[open]").waitFor();
  const profile = page.locator("#restore-list li", {
    has: page.locator("strong", { hasText: /^@northwindcoffee$/ }),
  });
  await profile.waitFor();
  const profileText = await profile.innerText();
  check(profileText.includes("limited"), `it is limited: ${profileText}`);
  check(profileText.includes("Insights") && profileText.includes("Comments"), `what it lacks: ${profileText}`);
  check(profileText.includes("authorize the page Northwind Coffee"), `the fix: ${profileText}`);
  await profile.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${shots}restore.png` });

  step = "R20: before the sign-in, the dashboard says whom to sign in as";
  await profile.getByRole("button", { name: /^Log in with Facebook/ }).click();
  const advice = page.locator("#sign-in-as[open] #sign-in-as-advice");
  await advice.waitFor();
  const adviceText = await advice.innerText();
  check(
    adviceText.includes("Sign in at Facebook as Nora Fields, or as another admin of the page Northwind Coffee."),
    `the identity: ${adviceText}`,
  );
  check(adviceText.includes("sign out at Facebook first or use a private window"), `sign out first: ${adviceText}`);
  check(page.url().startsWith(`${base}/dashboard`), `nothing navigated yet: ${page.url()}`);
  await page.screenshot({ path: `${shots}sign-in-as.png` });

  step = "the page's sign-in at the sandbox reconnects its login and flags a rule (R7, R18, R19/B6)";
  await page.getByRole("button", { name: "Continue to Facebook" }).click();
  await page.waitForURL(/\/sandbox\/facebook\/oauth\/authorize/);
  await page.locator('input[name="identity"][value="fb-nora"]').check();
  await page.getByRole("button", { name: "Allow" }).click();
  await page.waitForURL(/\/dashboard#\/social-networks\/reauth\?result=reconnected/);
  const flagged = Number(/rules_to_review=(\d+)/.exec(page.url())?.[1] ?? 0);
  check(flagged >= 1, `the redirect counts the rules to review: ${page.url()}`);
  await page.locator("#restore[open]").waitFor();
  await page.locator("#restore-result", { hasText: "Reconnected 3 account(s)" }).waitFor();
  await page.locator("#restore-result", { hasText: "2 held post(s) go out as scheduled" }).waitFor();
  const rulesLink = page.locator("#restore-result a", {
    hasText: `${flagged} automation rule${flagged === 1 ? "" : "s"} to review`,
  });
  await rulesLink.waitFor();
  check((await badge(page)) === 0, "no disconnected account left");
  check(!(await page.locator("#banner").isVisible()), "no banner");
  check(
    (await page.locator("#restore-list strong", { hasText: /^@northwindcoffee$/ }).count()) === 0,
    "the profile is no longer limited",
  );
  await page.screenshot({ path: `${shots}reconnected.png` });

  step = "ben sees it live: the profile whole again, the flagged rule (R18, R19, B3)";
  await ben.locator('tr[data-health="CONNECTED"]', { hasText: "@northwindcoffee" }).waitFor();
  await ben.locator("#rules-link", { hasText: `${flagged} automation rule` }).waitFor();
  await ben.locator("#main table.rules tr", { hasText: "Assign roastery messages to Dev" }).waitFor();
  check(await ben.evaluate(() => window.notReloaded === true), "without a reload");
  await ben.screenshot({ path: `${shots}admin-live.png`, fullPage: true });

  step = "the rules to review: why each was flagged and what fixes it (R19/B6)";
  await rulesLink.click();
  await page.locator("#main[data-view=automations]").waitFor();
  check(!(await page.locator("#restore").isVisible()), "the pop-up closed");
  const toReview = page.locator("#rules-to-review tbody tr");
  check((await toReview.count()) === flagged, `${flagged} rule(s) listed, not ${await toReview.count()}`);
  const rule = page.locator("#rules-to-review tr", { hasText: "Assign roastery messages to Dev" });
  const ruleText = await rule.innerText();
  check(ruleText.includes("assignee lost access"), `the reason: ${ruleText}`);
  check(ruleText.includes("can no longer see Northwind Roastery"), `the fix: ${ruleText}`);
  check(ruleText.includes("Ben Okafor"), `the owner: ${ruleText}`);
  await page.screenshot({ path: `${shots}automations.png` });

  step = "the held posts were released (B4)";
  await page.goto(`${base}/dashboard#/planner`);
  const roast = page.locator("#planner li", { hasText: "Weekend roast" });
  await roast.waitFor();
  check(!(await roast.getAttribute("class")).includes("held"), "the roast post is no longer held");
  check((await roast.locator(".state").textContent()).trim() === "scheduled", "released as scheduled");
  check((await reel.locator(".warning").count()) === 0, "the profile's post has no warning any more");

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

  step = "the admin list's Reconnect goes through the same R20 step, and Cancel stays";
  const xRow = page.locator("#main tr[data-account]", {
    has: page.locator('td[data-flag="RED"]', { hasText: "@northwind" }),
  });
  await xRow.getByRole("button", { name: "Reconnect" }).click();
  await page.locator("#sign-in-as-advice", { hasText: "Sign in at X as @northwind." }).waitFor();
  await page.getByRole("button", { name: "Cancel" }).click();
  await page.locator("#sign-in-as[open]").waitFor({ state: "detached" });
  check(page.url().endsWith("#/admin"), `still on the admin list: ${page.url()}`);
  await page.locator("#main table.rules tr", { hasText: "Assign roastery messages to Dev" }).waitFor();

  step = "issue 15: Send a link beside Reconnect; the link opens with no dashboard sign-in";
  await xRow.getByRole("button", { name: /^Send a link for @northwind$/ }).click();
  await page.locator("#send-link[open]").waitFor();
  await page.locator("#send-link-email").fill("owner@shop.example");
  await page.locator("#send-link-note").fill("Please sign in as <b>@northwind</b>, thanks");
  await page.getByRole("button", { name: "Create link" }).click();
  await page.locator("#send-link-result .notice.ok", { hasText: "Sent to owner@shop.example" }).waitFor();
  const linkUrl = await page.locator("#send-link-url").inputValue();
  check(linkUrl.startsWith(`${base}/connect/`), `a link: ${linkUrl}`);
  const openLink = page.locator('#send-link-list li[data-state="OPEN"]', { hasText: "owner@shop.example" });
  await openLink.waitFor();
  await page.screenshot({ path: `${shots}send-link.png` });
  const linkContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const visitor = await linkContext.newPage();
  visitor.setDefaultTimeout(10_000);
  visitor.on("pageerror", (error) => console.error("page error:", error.message));
  const shown = await visitor.goto(linkUrl);
  check(shown.status() === 200, `the link's page: ${shown.status()}`);
  const linkText = await visitor.locator("body").innerText();
  check(linkText.includes("Sign in as @northwind"), `whom to sign in as: ${linkText}`);
  check(linkText.includes("Please sign in as <b>@northwind</b>, thanks"), `the note, as text: ${linkText}`);
  check(linkText.includes("Northwind Coffee") && linkText.includes("Ada Lovelace"), `who asks: ${linkText}`);
  await visitor.screenshot({ path: `${shots}link-page.png` });
  await visitor.getByRole("button", { name: "Continue to X" }).click();
  await visitor.waitForURL(/\/sandbox\/x\/oauth\/authorize/);
  await visitor.locator('input[name="identity"][value="x-northwind"]').waitFor();
  await linkContext.close();

  step = "issue 15: the link is revoked from the dashboard and answers 410";
  await openLink.getByRole("button", { name: "Revoke" }).click();
  await page.locator('#send-link-list li[data-state="REVOKED"]', { hasText: "owner@shop.example" }).waitFor();
  const gone = await fetch(linkUrl);
  check(gone.status === 410, `a revoked link is gone: ${gone.status}`);
  await page.locator("#send-link-close").click();
  await page.locator("#send-link[open]").waitFor({ state: "detached" });
  await page.locator("#avatar").click();
  await page.locator("#restore[open]").waitFor();
  await page
    .locator("#restore-list li", { has: page.locator("strong", { hasText: /^@northwind$/ }) })
    .getByRole("button", { name: /^Send a link for @northwind$/ })
    .waitFor();
  await page.keyboard.press("Escape");
  await page.locator("#restore[open]").waitFor({ state: "detached" });

  step = "the composer refuses the disconnected account and offers a draft (R14)";
  await page.goto(`${base}/dashboard#/composer`);
  await page.locator("#compose").waitFor();
  await page.locator("label", { hasText: /@northwind\s+x\b/ }).locator("input").check();
  // Said at selection, before Schedule (R14).
  await page.locator("#compose-check li.refused", { hasText: "@northwind is disconnected" }).waitFor();
  check((await page.locator("#compose-result").innerText()).trim() === "", "nothing was scheduled");
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

  step = "dev's composer: no Reconnect, whom to ask, and a draft (R14, R4)";
  await dev.getByRole("link", { name: "Composer" }).click();
  await dev.locator("#compose").waitFor();
  await dev.locator("#compose label", { hasText: /@northwind\s+x\b/ }).locator("input").check();
  const devWarning = dev.locator("#compose-check li.refused", { hasText: "@northwind" });
  await devWarning.waitFor();
  const devText = await devWarning.innerText();
  check((await devWarning.getByRole("button", { name: "Reconnect" }).count()) === 0, "no Reconnect for dev");
  check(/ask (Ada Lovelace|Ben Okafor)/.test(devText), `whom to ask: ${devText}`);
  check(devText.includes("draft"), `a draft is possible: ${devText}`);
  await dev.screenshot({ path: `${shots}dev-composer.png` });

  step = "R17: every member has their own social networks page; the organization's is for admins";
  check(await dev.getByRole("link", { name: "Social networks" }).isVisible(), "dev has a Social networks page");
  check(!(await dev.locator('#nav a[href="#/admin"]').isVisible()), "dev has no admin list");
  await dev.getByRole("link", { name: "Social networks" }).click();
  await dev.locator("#main[data-view=social-networks] #no-personal").waitFor();
  await ben.getByRole("link", { name: "Social networks" }).click();
  await ben.locator("#main[data-view=social-networks]").waitFor();
  const own = ben.locator("#main tr[data-account] td:first-child");
  await own.first().waitFor();
  const ownNames = await own.allInnerTexts();
  check(ownNames.join() === "@ben_brews", `only ben's own accounts: ${ownNames}`);
  await ben.screenshot({ path: `${shots}social-networks.png` });

  step = "R17 + R20: Connect with X says how to sign in, then adds a personal account";
  await ben.getByRole("button", { name: "Connect with X" }).click();
  await ben.locator("#sign-in-as-advice", {
    hasText: "Sign in at X as the identity that manages the accounts you want to add.",
  }).waitFor();
  check(ben.url().startsWith(`${base}/dashboard`), `nothing navigated yet: ${ben.url()}`);
  await ben.getByRole("button", { name: "Continue to X" }).click();
  await ben.waitForURL(/\/sandbox\/x\/oauth\/authorize/);
  await ben.locator('input[name="identity"][value="x-other"]').check();
  await ben.getByRole("button", { name: "Allow" }).click();
  await ben.locator("#restore-result", { hasText: "Connected 1 account(s)" }).waitFor();
  await ben.keyboard.press("Escape");
  await ben.getByRole("link", { name: "Social networks" }).click();
  await ben.locator("#main tr[data-account]", { hasText: "@not_northwind" }).waitFor();
  check((await own.count()) === 2, `ben's two own accounts, not ${await own.count()}`);

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
