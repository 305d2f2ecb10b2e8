// The reference dashboard: every surface of the article, driven by Relink's GraphQL API and kept
// live by its subscriptions. No framework and no build step: read it top to bottom.
//
//   banner (R9) · a network's incident · badge on the avatar (R11) · restore pop-up at #/social-networks/reauth (R10, R4)
//   limited Instagram profiles and "Log in with Facebook" (R18) · whom to sign in as, before the sign-in (R20)
//   planner with held posts (R13, B4) · composer that warns at selection (R14) · streams (R15)
//   the member's own social networks with "Connect with (network)" (R17) · admin list (R16)
//   automation rules a reconnect flagged (R19, B6) · audit (B8)
//   "Send a link" beside Reconnect: a single-use reconnect link and the account's links (issue 15)

import { Client, GraphQLError } from "/dashboard/js/graphql.js";

// ---------------------------------------------------------------------------------------------
// The API calls the page makes, in one place.

// R18: what a limited account lacks, what it keeps, and what lifts the limit.
const LIMITATION_FIELDS = `limitation { reason kept lost fix linkedPage { id name } }`;

const ACCOUNT_FIELDS = `id name network kind health viewerCanReconnect limitedReason ${LIMITATION_FIELDS}
  lastReconnectedBy { name } lastReconnectedAt disconnect { reason since fix heldPostCount }`;

// R20: whom the network must sign in, said before the browser goes there.
const SIGN_IN_AS_FIELDS = `signInAs { network name externalId advice }`;

const RULE_FIELDS = `id kind name needsReview reviewReason reviewFix lastCheckedAt owner { name }
  flaggedBy { name } socialAccount { name network }`;

const Q = {
  viewer: `{ viewer { user { id name email } organizations { id name viewerRole } } }`,
  status: `{ reconnectStatus { bannerVisible bannerDismissedUntil badgeCount reauthPath
    networkIncidents { network message } accounts { ${ACCOUNT_FIELDS} } } }`,
  statusLive: `subscription { reconnectStatus { bannerVisible bannerDismissedUntil badgeCount
    reauthPath networkIncidents { network message } accounts { ${ACCOUNT_FIELDS} } } }`,
  events: `subscription($after: ID) { socialAccountEvents(after: $after) { id kind postId
    rulesFlagged socialAccount { id name health } } }`,
  dismiss: `mutation { dismissReconnectBanner { reconnectStatus { bannerVisible } } }`,
  startReconnect: `mutation($id: ID!) { startReconnect(input: { socialAccountId: $id }) {
    authorizeUrl ${SIGN_IN_AS_FIELDS} socialAccount { id name network } userErrors { code message } } }`,
  startConnect: `mutation($network: Network!, $org: ID) {
    startConnect(input: { network: $network, organizationId: $org }) {
      authorizeUrl ${SIGN_IN_AS_FIELDS} userErrors { code message } } }`,
  completeReconnect: `mutation($state: String!, $code: String!) {
    completeReconnect(input: { state: $state, code: $code }) {
      reconnectedAccounts { id } stillDisconnected { id } releasedPosts { id state }
      rulesToReview { id } userErrors { code message } } }`,
  requestReconnect: `mutation($id: ID!) { requestReconnect(input: { socialAccountId: $id }) {
    asked { name } } }`,
  // Issue 15: single-use links for whoever holds the network login.
  links: `query($id: ID!) { reconnectLinks(socialAccountId: $id) { id state recipientEmail
    createdAt expiresAt usedAt usedBy { name } createdBy { name } } }`,
  createLink: `mutation($input: CreateReconnectLinkInput!) { createReconnectLink(input: $input) {
    url emailed reconnectLink { id state } userErrors { code field message } } }`,
  revokeLink: `mutation($id: ID!) { revokeReconnectLink(input: { id: $id }) {
    reconnectLink { id state } userErrors { code message } } }`,
  planner: `{ scheduledPosts(first: 100) { nodes { id body state scheduledAt failureReason
    socialAccount { id name network }
    warning { message held health viewerCanReconnect reauthPath ${LIMITATION_FIELDS}
      socialAccount { id name lastReconnectedBy { name } } } } } }`,
  resolve: `mutation($ids: [ID!]!, $action: HeldPostAction!, $at: DateTime) {
    resolveHeldPost(input: { postIds: $ids, action: $action, scheduledAt: $at }) {
      posts { id state } userErrors { code message } } }`,
  accounts: `{ socialAccounts(first: 100) { nodes { id name network health } } }`,
  // R14: asked whenever the composer's selection changes, so it warns before anything is scheduled.
  composerCheck: `query($ids: [ID!]!) { composerCheck(socialAccountIds: $ids) {
    socialAccount { id name network } canPublish warning ${LIMITATION_FIELDS}
    viewerCanReconnect whoMayReconnect { name } } }`,
  schedule: `mutation($ids: [ID!]!, $body: String!, $at: DateTime!) {
    schedulePost(input: { socialAccountIds: $ids, body: $body, scheduledAt: $at }) {
      posts { id } disconnectedAccounts { id name viewerCanReconnect lastReconnectedBy { name } }
      userErrors { code message } } }`,
  draft: `mutation($id: ID!, $body: String!, $at: DateTime) {
    saveDraft(input: { socialAccountId: $id, body: $body, scheduledAt: $at }) {
      post { id } userErrors { code message } } }`,
  streams: `{ streams { id title kind state reconnectRequired viewerCanReconnect
    socialAccount { id name lastReconnectedBy { name } } items { id author text publishedAt } } }`,
  // R17: the member's own "social networks" page.
  personal: `{ socialAccounts(first: 100, filter: { personal: true }) { nodes {
    id name network kind health flag viewerCanReconnect disconnect { reason fix } ${LIMITATION_FIELDS} } } }`,
  admin: `query($id: ID!) { organization(id: $id) { id name
    socialAccountHealth { connected expiring limited disconnected total }
    socialAccounts(first: 100) { nodes { id name network health flag viewerCanReconnect
      disconnect { reason fix } ${LIMITATION_FIELDS} } } }
    automationRules(organizationId: $id, flagged: true) { ${RULE_FIELDS} } }`,
  // R19/B6: the organization's automation rules; `flagged: true` lists those a reconnect flagged.
  rules: `query($id: ID!, $flagged: Boolean) { automationRules(organizationId: $id, flagged: $flagged) {
    ${RULE_FIELDS} } }`,
  audit: `query($id: ID!) { auditLog(organizationId: $id, first: 50) { nodes { id action targetType
    at actor { name } detail } } }`,
};

// ---------------------------------------------------------------------------------------------
// Small helpers.

/** HTML template that escapes every interpolated value (arrays are joined, already safe). */
function h(strings, ...values) {
  return strings.reduce((out, text, i) => {
    if (i === 0) return text;
    const value = values[i - 1];
    const safe = Array.isArray(value)
      ? value.join("")
      : value instanceof Safe
        ? value.html
        : String(value ?? "")
            .replaceAll("&", "&amp;")
            .replaceAll("<", "&lt;")
            .replaceAll(">", "&gt;")
            .replaceAll('"', "&quot;");
    return out + safe + text;
  }, "");
}
class Safe {
  constructor(html) { this.html = html; }
}
const raw = (html) => new Safe(html);
const $ = (selector) => document.querySelector(selector);
const when = (iso) => (iso ? new Date(iso).toLocaleString() : "no time");
const label = (text) => text.toLowerCase().replaceAll("_", " ");
const plural = (count, one, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

// The networks' own names, for "Connect with (network)" and "Continue to (network)".
const NETWORKS = {
  FACEBOOK: "Facebook",
  INSTAGRAM: "Instagram",
  LINKEDIN: "LinkedIn",
  X: "X",
  YOUTUBE: "YouTube",
  TIKTOK: "TikTok",
  PINTEREST: "Pinterest",
};
const networkName = (network) => NETWORKS[network] ?? label(network);

/** Tells the person why an action was refused, in the page's live region. */
function say(message) {
  const notice = $("#notice");
  notice.textContent = message;
  notice.hidden = false;
}

// ---------------------------------------------------------------------------------------------
// State.

const app = {
  client: null,
  viewer: null,
  status: null,
  restoreResult: "", // HTML (built with h): what the last sign-in did
  asked: new Map(), // account id -> names of those asked to reconnect it
  signIn: null, // R20: the started sign-in waiting for "Continue to (network)"
  linkFor: null, // issue 15: the account the "Send a link" pop-up is for
};

// ---------------------------------------------------------------------------------------------
// Sign-in: the demo's users when the server offers them (demo data and sandbox on), otherwise a
// pasted JWT of your identity provider.

async function showSignIn(message = "") {
  $("#nav").hidden = true;
  $("#profile").hidden = true;
  $("#banner").hidden = true;
  const main = $("#main");
  const demo = await fetch("/dashboard/demo-users").then((r) => (r.ok ? r.json() : null), () => null);
  main.innerHTML = h`<section class="signin">
    <h1>Sign in</h1>
    ${message ? raw(h`<p class="notice error">${message}</p>`) : ""}
    ${demo
      ? raw(h`<p>Demo users of Northwind Coffee:</p><ul>${demo.users.map(
          (user) => h`<li><button type="button" data-demo="${user.email}">Sign in as ${user.name}</button>
            <small>${user.role}</small></li>`,
        )}</ul>`)
      : ""}
    <form id="paste">
      <label for="jwt">Or paste a dashboard token (JWT)</label>
      <textarea id="jwt" required></textarea>
      <button type="submit">Sign in</button>
    </form>
  </section>`;
  main.onclick = async (event) => {
    const email = event.target.closest("[data-demo]")?.dataset.demo;
    if (!email) return;
    const answer = await fetch("/dashboard/demo-token", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email }),
    });
    if (answer.ok) start((await answer.json()).token);
  };
  $("#paste").onsubmit = (event) => {
    event.preventDefault();
    start($("#jwt").value.trim());
  };
}

function signOut(message = "") {
  sessionStorage.removeItem("relink-token");
  delete $("#main").dataset.view;
  app.client?.close();
  app.client = null;
  showSignIn(message);
}

async function start(token) {
  const client = new Client(token, {
    onAuthLost: () => signOut("Your session ended; sign in again."),
  });
  try {
    const { viewer } = await client.request(Q.viewer);
    app.client = client;
    app.viewer = viewer;
  } catch (error) {
    signOut(error instanceof GraphQLError ? error.message : "The server did not answer.");
    return;
  }
  sessionStorage.setItem("relink-token", token);
  $("#main").onclick = null;
  $("#nav").hidden = false;
  $("#profile").hidden = false;
  $("#user-name").textContent = app.viewer.user.name;
  $("#initials").textContent = app.viewer.user.name
    .split(" ")
    .map((part) => part[0])
    .join("");
  const admin = app.viewer.organizations.some((org) => ["SUPER_ADMIN", "ADMIN"].includes(org.viewerRole));
  document.querySelectorAll("[data-admin]").forEach((link) => (link.hidden = !admin));

  // Live: the banner, badge and restore list come first as they are, then every change (B3).
  app.status = (await client.request(Q.status)).reconnectStatus;
  renderChrome();
  refreshRules();
  client.subscribe(Q.statusLive, {}, ({ data }) => {
    if (!data) return;
    app.status = data.reconnectStatus;
    renderChrome();
    if ($("#restore").open) renderRestore();
  });
  // Every change of an account the viewer may see: refresh what is on screen. Resume from the
  // last event after a dropped socket, so nothing is missed.
  const resume = {};
  client.subscribe(Q.events, resume, ({ data }) => {
    if (!data) return;
    resume.after = data.socialAccountEvents.id;
    // R19: a reconnect flagged automation rules (anyone's, seen live by their owner too).
    if (data.socialAccountEvents.kind === "RULES_FLAGGED") refreshRules();
    route({ refresh: true });
  });
  route();
}

// ---------------------------------------------------------------------------------------------
// Banner (R9), badge (R11) and the restore pop-up (R10, R4).

function renderChrome() {
  const status = app.status;
  const badge = $("#badge");
  badge.hidden = status.badgeCount === 0;
  badge.textContent = status.badgeCount;
  $("#badge-label").textContent = status.badgeCount
    ? `${status.badgeCount} social account${status.badgeCount === 1 ? "" : "s"} need reconnecting`
    : "";
  // A network in trouble is said apart from the banner: no reconnect helps with it, and it goes
  // by itself when the network works again (the subscription says so).
  const incidents = status.networkIncidents;
  $("#incident").hidden = incidents.length === 0;
  $("#incident-text").textContent = incidents.map((incident) => incident.message).join(" ");
  $("#banner").hidden = !status.bannerVisible;
  $("#banner-text").textContent =
    status.badgeCount === 1
      ? "A social account was disconnected. Reconnect it so posts go out again."
      : `${status.badgeCount} social accounts were disconnected. Reconnect them so posts go out again.`;
}

/** R18: what a limited account keeps, what it lacks, and what lifts the limit. */
function limitationHtml(limitation, { kept = true } = {}) {
  return h`<div class="limitation"><p>Limited: it still works, but it lacks:</p>
    <ul class="lacks">${limitation.lost.map((item) => h`<li>${item}</li>`)}</ul>
    ${kept && limitation.kept.length
      ? raw(h`<p><small>Still working: ${limitation.kept.join("; ")}.</small></p>`)
      : ""}
    <p>${limitation.fix}</p></div>`;
}

/** The action that restores an account: "Log in with Facebook" for a limited profile (R18). */
function reconnectButton(account, text = `Reconnect ${account.name}`) {
  return account.limitation
    ? h`<button type="button" data-reconnect="${account.id}" aria-label="Log in with Facebook for ${account.name}">Log in with Facebook</button>`
    : h`<button type="button" data-reconnect="${account.id}">${text}</button>`;
}

function renderRestore() {
  $("#restore-result").innerHTML = app.restoreResult;
  const accounts = app.status.accounts;
  $("#restore-list").innerHTML = accounts.length
    ? accounts
        .map(
          (account) => h`<li data-account="${account.id}">
            <strong>${account.name}</strong> <small>${account.network.toLowerCase()} · ${label(account.health)}</small>
            ${account.disconnect
              ? raw(h`<p>${account.disconnect.fix}${account.disconnect.heldPostCount
                  ? raw(h` <strong>${account.disconnect.heldPostCount} post(s) are held</strong> and go out after the reconnect.`)
                  : ""}</p>`)
              : ""}
            ${account.limitation ? raw(limitationHtml(account.limitation)) : ""}
            <div class="actions">${account.viewerCanReconnect
              ? raw(reconnectButton(account) + sendLinkButton(account))
              : raw(h`<span>You may not reconnect it. Last reconnected by
                  <strong>${account.lastReconnectedBy?.name ?? "nobody yet"}</strong>.</span>
                  ${app.asked.has(account.id)
                    ? raw(h`<span>Asked ${app.asked.get(account.id)}.</span>`)
                    : raw(h`<button type="button" class="secondary" data-ask="${account.id}">Ask them to reconnect</button>`)}`)}
            </div></li>`,
        )
        .join("")
    : h`<li>Every social account is connected.</li>`;
}

function openRestore() {
  renderRestore();
  if (!$("#restore").open) $("#restore").showModal();
}

/** Says why a start was refused where the person is looking: the restore pop-up, or the page. */
function refuse(message) {
  if ($("#restore").open) {
    app.restoreResult = h`${message}`;
    renderRestore();
  } else {
    say(message);
  }
}

async function reconnect(accountId) {
  const { startReconnect } = await app.client.request(Q.startReconnect, { id: accountId });
  if (startReconnect.userErrors.length) {
    refuse(startReconnect.userErrors[0].message);
    return;
  }
  // R18: for a limited Instagram profile the sign-in is its Facebook page's ("log in with
  // Facebook"): `socialAccount` is the account whose login signs in.
  const through = startReconnect.socialAccount;
  const asked = app.status?.accounts.find((account) => account.id === accountId);
  confirmSignIn(startReconnect, {
    kind: "reconnect",
    what: through.id !== accountId
      ? h`${asked?.name ?? "The profile"} gets its full function back through its Facebook page:
          this signs in for ${through.name} (${networkName(through.network)}) and reconnects every
          account that signs in with it.`
      : h`This reconnects ${through.name} (${networkName(through.network)}) and every account
          that signs in with it.`,
  });
}

/** R17: adds the accounts the viewer grants at the network, to an organization or as their own. */
async function connect(network, organizationId = null) {
  const { startConnect } = await app.client.request(Q.startConnect, { network, org: organizationId });
  if (startConnect.userErrors.length) {
    refuse(startConnect.userErrors[0].message);
    return;
  }
  confirmSignIn(startConnect, {
    kind: "connect",
    what: organizationId
      ? h`This adds the ${networkName(network)} accounts you grant to the organization.`
      : h`This adds the ${networkName(network)} accounts you grant as your own social networks.`,
  });
}

/**
 * R20: the network signs in whoever is signed in in this browser. Say whom the sign-in needs, and
 * only then, on "Continue to (network)", send the browser to the network's sign-in (with its
 * account chooser); it comes back to /oauth/callback/{network}, which redirects here.
 */
function confirmSignIn(started, { kind, what }) {
  const network = networkName(started.signInAs.network);
  app.signIn = { url: started.authorizeUrl, kind };
  $("#sign-in-as-title").textContent = `Sign in at ${network}`;
  $("#sign-in-as-what").innerHTML = what;
  $("#sign-in-as-advice").textContent = started.signInAs.advice;
  $("#sign-in-continue").textContent = `Continue to ${network}`;
  $("#sign-in-as").showModal();
  $("#sign-in-continue").focus();
}

function continueSignIn() {
  const { url, kind } = app.signIn;
  app.signIn = null;
  // The callback's result says "reconnected" for both: remember which this was, to say it right.
  sessionStorage.setItem("relink-sign-in", kind);
  location.assign(url);
}

/** Issue 15: "Send a link" beside Reconnect, for whoever holds the network login. */
function sendLinkButton(account) {
  return h` <button type="button" class="secondary" data-send-link="${account.id}"
    data-name="${account.name}" aria-label="Send a link for ${account.name}">Send a link</button>`;
}

const LINK_STATES = { OPEN: "open", USED: "used", EXPIRED: "expired", REVOKED: "revoked" };

/** The account's links with their states; an open one can be revoked. */
async function renderLinks() {
  const { reconnectLinks } = await app.client.request(Q.links, { id: app.linkFor.id });
  $("#send-link-list").innerHTML = reconnectLinks.length
    ? reconnectLinks
        .map(
          (link) => h`<li data-link="${link.id}" data-state="${link.state}">
            <strong class="state">${LINK_STATES[link.state] ?? label(link.state)}</strong>
            ${link.recipientEmail ? raw(h`to ${link.recipientEmail}`) : "copied"},
            by ${link.createdBy?.name ?? "someone"} <small>${when(link.createdAt)}</small>
            ${link.state === "USED"
              ? raw(h`<small>used by ${link.usedBy?.name ?? "someone"} ${when(link.usedAt)}</small>`)
              : link.state === "OPEN"
                ? raw(h`<small>until ${when(link.expiresAt)}</small>
                    <button type="button" class="link" data-revoke-link="${link.id}">Revoke</button>`)
                : ""}
          </li>`,
        )
        .join("")
    : h`<li>No link yet.</li>`;
}

async function openSendLink(accountId, name) {
  app.linkFor = { id: accountId, name };
  $("#send-link-what").innerHTML = h`Whoever opens the link can reconnect <strong>${name}</strong>
    (and every account of its login) by signing in at the network, once, without a dashboard seat.`;
  $("#send-link-form").reset();
  $("#send-link-result").innerHTML = "";
  $("#send-link-list").innerHTML = "";
  if (!$("#send-link").open) $("#send-link").showModal();
  await renderLinks();
}

async function createLink(event) {
  event.preventDefault();
  const email = $("#send-link-email").value.trim();
  const note = $("#send-link-note").value;
  const input = {
    socialAccountId: app.linkFor.id,
    expiresIn: Number($("#send-link-expires").value),
    ...(email ? { email } : {}),
    ...(note.trim() ? { note } : {}),
  };
  const { createReconnectLink } = await app.client.request(Q.createLink, { input });
  if (createReconnectLink.userErrors.length) {
    $("#send-link-result").innerHTML = h`<p class="notice error">${createReconnectLink.userErrors[0].message}</p>`;
    return;
  }
  $("#send-link-form").reset();
  $("#send-link-result").innerHTML = h`<p class="notice ok">${createReconnectLink.emailed
      ? `Sent to ${email}.`
      : "Link created: copy it now, it is shown only once."}</p>
    <label>Link <input id="send-link-url" readonly value="${createReconnectLink.url}"></label>`;
  await renderLinks();
}

async function revokeLink(button) {
  button.disabled = true;
  const { revokeReconnectLink } = await app.client.request(Q.revokeLink, { id: button.dataset.revokeLink });
  if (revokeReconnectLink.userErrors.length) {
    $("#send-link-result").innerHTML = h`<p class="notice error">${revokeReconnectLink.userErrors[0].message}</p>`;
  }
  await renderLinks();
}

async function ask(button, accountId) {
  button.disabled = true;
  const { requestReconnect } = await app.client.request(Q.requestReconnect, { id: accountId });
  app.asked.set(accountId, requestReconnect.asked.map((user) => user.name).join(", "));
  if ($("#restore").open) renderRestore();
  checkSelection();
}

// ---------------------------------------------------------------------------------------------
// Views.

async function plannerView() {
  const { scheduledPosts } = await app.client.request(Q.planner);
  const posts = scheduledPosts.nodes;
  return h`<h1>Planner</h1>
    ${posts.length ? "" : raw(h`<p>No posts yet. <a href="#/composer">Write one</a>.</p>`)}
    <ul class="cards" id="planner">${posts.map((post) => {
      const waiting = ["HELD", "NEEDS_RESCHEDULE"].includes(post.state);
      // R13: held (yellow) while its account cannot publish; R18: a limited account's post is
      // not held — it goes out as planned, and the tile says what the account lacks.
      const held = post.warning?.held || waiting;
      const limited = post.warning && !post.warning.held;
      return h`<li class="card ${held ? "held" : limited ? "limited" : ""}" data-post="${post.id}">
        <div class="meta">${post.socialAccount.name} · ${when(post.scheduledAt)}
          <span class="state ${post.state}">${label(post.state)}</span></div>
        <p>${post.body}</p>
        ${post.warning
          ? raw(h`<div class="warning" role="note"><p>⚠ ${post.warning.message}
              ${post.warning.viewerCanReconnect
                ? raw(h`<a href="#/social-networks/reauth">${limited ? "Log in with Facebook" : "Reconnect"}</a>`)
                : raw(h`Ask ${post.warning.socialAccount.lastReconnectedBy?.name ?? "an admin"} to ${limited ? "log in with Facebook" : "reconnect it"}.`)}</p>
              ${post.warning.limitation ? raw(limitationHtml(post.warning.limitation, { kept: false })) : ""}</div>`)
          : ""}
        ${post.state === "NEEDS_RESCHEDULE"
          ? raw(h`<p class="warning">Its time passed while the account was disconnected; choose what happens.</p>`)
          : ""}
        ${post.failureReason ? raw(h`<p class="warning">${post.failureReason}</p>`) : ""}
        ${waiting || post.state === "FAILED"
          ? raw(h`<div class="actions">
              <button type="button" data-resolve="PUBLISH_NOW" ${post.warning?.held ? "disabled" : ""}>Publish now</button>
              <label>New time <input type="datetime-local" data-time></label>
              <button type="button" class="secondary" data-resolve="RESCHEDULE">Reschedule</button>
              <button type="button" class="secondary" data-resolve="DRAFT">Keep as draft</button>
            </div>`)
          : ""}
      </li>`;
    })}</ul>`;
}

async function resolve(button) {
  const card = button.closest("[data-post]");
  const action = button.dataset.resolve;
  const time = card.querySelector("[data-time]").value;
  const { resolveHeldPost } = await app.client.request(Q.resolve, {
    ids: [card.dataset.post],
    action,
    at: time ? new Date(time).toISOString() : null,
  });
  if (resolveHeldPost.userErrors.length) {
    say(resolveHeldPost.userErrors[0].message);
  }
  route({ refresh: true });
}

function inAnHour() {
  const date = new Date(Date.now() + 3_600_000);
  date.setSeconds(0, 0);
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

async function composerView() {
  const { socialAccounts } = await app.client.request(Q.accounts);
  return h`<h1>Composer</h1>
    <form class="compose" id="compose">
      <fieldset><legend>Post to</legend>${socialAccounts.nodes.map(
        (account) => h`<div><label><input type="checkbox" name="account" value="${account.id}">
          ${account.name} <small>${account.network.toLowerCase()}${account.health === "CONNECTED" ? "" : ` · ${label(account.health)}`}</small></label></div>`,
      )}</fieldset>
      <ul class="compose-check" id="compose-check" aria-live="polite"></ul>
      <label for="body">Text</label>
      <textarea id="body" name="body" required></textarea>
      <label for="when">When</label>
      <input id="when" name="when" type="datetime-local" value="${inAnHour()}" required>
      <div class="actions"><button type="submit">Schedule</button>
        <button type="button" class="secondary" id="save-draft">Save as draft</button></div>
      <div id="compose-result" role="status" aria-live="polite"></div>
    </form>`;
}

// Each check counts; an answer that a later selection overtook draws nothing.
let checking = 0;

/**
 * R14: asks, for the accounts chosen now, whether each can publish, and says so at once — before
 * Schedule is pressed: a disconnected account is refused (with Reconnect, or whom to ask, and that
 * a draft is possible); a limited one publishes, with what it lacks (R18).
 */
async function checkSelection() {
  const list = $("#compose-check");
  if (!list) return;
  const ids = composeInput().ids;
  const mine = ++checking;
  const checks = ids.length ? (await app.client.request(Q.composerCheck, { ids })).composerCheck : [];
  if (mine !== checking || !$("#compose-check")) return;
  list.innerHTML = checks
    .filter((check) => check.warning)
    .map((check) => h`<li class="${check.canPublish ? "limited" : "refused"}" data-check="${check.socialAccount.id}">
      <p>⚠ ${check.warning}</p>
      ${check.limitation ? raw(h`<p>${check.limitation.fix}</p>`) : ""}
      <div class="actions">${check.canPublish
        ? "" // limited: it publishes; the restore pop-up has "Log in with Facebook"
        : check.viewerCanReconnect
          ? raw(reconnectButton(check.socialAccount, "Reconnect"))
          : raw(h`<span>You may not reconnect it: ask ${check.whoMayReconnect.length
              ? check.whoMayReconnect.map((user) => user.name).join(" or ")
              : "an admin"}.</span>
              ${app.asked.has(check.socialAccount.id)
                ? raw(h`<span>Asked ${app.asked.get(check.socialAccount.id)}.</span>`)
                : raw(h`<button type="button" class="secondary" data-ask="${check.socialAccount.id}">Ask them to reconnect</button>`)}`)}</div>
    </li>`)
    .join("");
}

function composeInput() {
  const form = $("#compose");
  const at = new Date(form.when.value);
  return {
    ids: [...form.querySelectorAll("[name=account]:checked")].map((box) => box.value),
    body: form.body.value,
    at: Number.isNaN(at.getTime()) ? null : at.toISOString(),
  };
}

async function schedule(event) {
  event.preventDefault();
  const input = composeInput();
  const out = $("#compose-result");
  const { schedulePost } = await app.client.request(Q.schedule, input);
  if (!schedulePost.userErrors.length) {
    out.innerHTML = h`<p class="notice ok">Scheduled ${schedulePost.posts.length} post(s). <a href="#/planner">See the planner</a>.</p>`;
    return;
  }
  const [error] = schedulePost.userErrors;
  // R14: a disconnected account refuses the post; offer the reconnect (or whom to ask) and a draft.
  out.innerHTML = h`<div class="notice error"><p>${error.message}</p>
    ${schedulePost.disconnectedAccounts.length
      ? raw(h`<ul>${schedulePost.disconnectedAccounts.map((account) => h`<li>${account.name}:
          ${account.viewerCanReconnect
            ? raw(h`<button type="button" data-reconnect="${account.id}">Reconnect</button>`)
            : raw(h`ask ${account.lastReconnectedBy?.name ?? "an admin"} to reconnect it.`)}</li>`)}</ul>
        <button type="button" class="secondary" id="draft-instead">Save as draft instead</button>`)
      : ""}</div>`;
}

async function saveDraft() {
  const input = composeInput();
  const out = $("#compose-result");
  for (const id of input.ids) {
    const { saveDraft } = await app.client.request(Q.draft, { id, body: input.body, at: input.at });
    if (saveDraft.userErrors.length) {
      out.innerHTML = h`<p class="notice error">${saveDraft.userErrors[0].message}</p>`;
      return;
    }
  }
  out.innerHTML = h`<p class="notice ok">Saved ${input.ids.length} draft(s).</p>`;
}

async function streamsView() {
  const { streams } = await app.client.request(Q.streams);
  return h`<h1>Streams</h1><div class="streams">${streams.map((stream) =>
    h`<section class="stream ${stream.reconnectRequired ? "reconnect" : ""}" aria-label="${stream.title}">
      <h2>${stream.title}</h2>
      ${stream.reconnectRequired
        ? raw(h`<p>${stream.socialAccount.name} is disconnected: no new content until it is reconnected.</p>
            ${stream.viewerCanReconnect
              ? raw(h`<button type="button" data-reconnect="${stream.socialAccount.id}">Reconnect</button>`)
              : raw(h`<p>Ask ${stream.socialAccount.lastReconnectedBy?.name ?? "an admin"} to reconnect it.</p>`)}`)
        : stream.state === "UNAVAILABLE"
          ? raw(h`<p class="muted">The network did not answer; try again shortly.</p>`)
          : raw(h`<ol>${stream.items.map((item) => h`<li><strong>${item.author}</strong> ${item.text}
              <small>${when(item.publishedAt)}</small></li>`)}</ol>`)}
    </section>`)}</div>`;
}

function adminOrganizations() {
  return app.viewer.organizations.filter((org) => ["SUPER_ADMIN", "ADMIN"].includes(org.viewerRole));
}

/** R17: one "Connect with (network)" button per network; to an organization, or personal. */
function connectButtons(organizationId = "") {
  return h`<div class="connect">${Object.entries(NETWORKS).map(
    ([network, name]) => h`<button type="button" class="secondary" data-connect="${network}"
      data-org="${organizationId}">Connect with ${name}</button>`,
  )}</div>`;
}

/** A table of social accounts with their health, fix and restore action (R16, R17, R18). */
function accountTable(accounts) {
  return h`<table><thead><tr><th>Account</th><th>Network</th><th>Health</th><th>Fix</th><th>Action</th></tr></thead>
    <tbody>${accounts.map((account) => h`<tr data-account="${account.id}" data-health="${account.health}">
      <td class="flag-${account.flag}" data-flag="${account.flag}">${account.name}</td>
      <td>${account.network.toLowerCase()}</td><td>${label(account.health)}</td>
      <td>${account.disconnect?.fix ?? account.limitation?.fix ?? ""}</td>
      <td>${account.viewerCanReconnect ? raw(reconnectButton(account, "Reconnect") + sendLinkButton(account)) : ""}</td></tr>`)}</tbody></table>`;
}

/** R19/B6: automation rules a reconnect flagged, each with why and what fixes it. */
function flaggedRulesTable(rules) {
  if (!rules.length) return h`<p>No automation rule needs a review.</p>`;
  return h`<table class="rules"><thead><tr><th>Rule</th><th>Account</th><th>Why</th><th>Fix</th><th>Owner</th><th>Flagged</th></tr></thead>
    <tbody>${rules.map((rule) => h`<tr data-rule="${rule.id}">
      <td class="flag-YELLOW">${rule.name} <small>${label(rule.kind)}</small></td>
      <td>${rule.socialAccount?.name ?? "an account you may not see"}</td>
      <td>${rule.reviewReason ? label(rule.reviewReason) : ""}</td>
      <td>${rule.reviewFix ?? ""}</td>
      <td>${rule.owner?.name ?? ""}</td>
      <td><small>${when(rule.lastCheckedAt)}${rule.flaggedBy ? `, after ${rule.flaggedBy.name}'s reconnect` : ""}</small></td>
    </tr>`)}</tbody></table>`;
}

/** R17: the viewer's own social networks (personal accounts), and "Connect with (network)". */
async function socialNetworksView() {
  const { socialAccounts } = await app.client.request(Q.personal);
  const accounts = socialAccounts.nodes;
  return h`<h1>Your social networks</h1>
    <p>Your personal accounts: they are yours, not the organization's, and only you reconnect them.
      ${adminOrganizations().length
        ? raw(h`The organization's accounts are on its <a href="#/admin">Organization</a> page.`)
        : "The organization's accounts are connected by its admins."}</p>
    ${accounts.length ? raw(accountTable(accounts)) : raw(h`<p id="no-personal">You have no personal accounts yet.</p>`)}
    <h2>Add your accounts</h2>
    ${raw(connectButtons())}`;
}

async function adminView() {
  let out = h`<h1>Organization accounts</h1>`;
  for (const org of adminOrganizations()) {
    const { organization, automationRules } = await app.client.request(Q.admin, { id: org.id });
    const counts = organization.socialAccountHealth;
    out += h`<section aria-label="${organization.name}"><h2>${organization.name}</h2>
      <p>${counts.total} accounts: ${counts.connected} connected, ${counts.expiring} expiring,
        ${counts.limited} limited, <strong>${counts.disconnected} disconnected</strong>.</p>
      ${raw(accountTable(organization.socialAccounts.nodes))}
      ${raw(connectButtons(organization.id))}
      <h3 id="admin-rules">Automation rules to review</h3>
      ${raw(flaggedRulesTable(automationRules))}</section>`;
  }
  return out;
}

/** R19/B6: the automation rules of the viewer's organizations, those to review first. */
async function automationsView() {
  let out = h`<h1>Automation rules</h1>`;
  for (const org of app.viewer.organizations) {
    const { automationRules: rules } = await app.client.request(Q.rules, { id: org.id, flagged: null });
    const flagged = rules.filter((rule) => rule.needsReview);
    out += h`<section aria-label="${org.name}"><h2>${org.name}</h2>
      <h3>To review</h3>
      <div id="rules-to-review">${raw(flaggedRulesTable(flagged))}</div>
      <h3>All rules</h3>
      <table><thead><tr><th>Rule</th><th>Account</th><th>State</th></tr></thead>
      <tbody>${rules.map((rule) => h`<tr><td>${rule.name} <small>${label(rule.kind)}</small></td>
        <td>${rule.socialAccount?.name ?? ""}</td>
        <td>${rule.needsReview ? "needs review" : rule.lastCheckedAt ? `works (checked ${when(rule.lastCheckedAt)})` : "works"}</td>
      </tr>`)}</tbody></table></section>`;
  }
  return out;
}

/** R19: "N automation rules to review" under the banner, while any are flagged. */
async function refreshRules() {
  let count = 0;
  for (const org of app.viewer.organizations) {
    const { automationRules } = await app.client.request(Q.rules, { id: org.id, flagged: true });
    count += automationRules.length;
  }
  $("#rules").hidden = count === 0;
  $("#rules-link").textContent = `${plural(count, "automation rule")} to review.`;
  $("#rules-text").textContent = count === 1
    ? "A reconnect found that it may no longer work: see why and what fixes it."
    : "A reconnect found that they may no longer work: see why and what fixes them.";
}

async function auditView() {
  let out = h`<h1>Audit log</h1>`;
  for (const org of adminOrganizations()) {
    const { auditLog } = await app.client.request(Q.audit, { id: org.id });
    out += h`<h2>${org.name}</h2><table><thead><tr><th>When</th><th>Who</th><th>What</th><th>Details</th></tr></thead>
      <tbody>${auditLog.nodes.map((entry) => h`<tr><td>${when(entry.at)}</td>
        <td>${entry.actor?.name ?? "Relink"}</td><td>${entry.action}</td>
        <td><small>${JSON.stringify(entry.detail)}</small></td></tr>`)}</tbody></table>`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Routing: #/planner, #/composer, #/streams, #/social-networks, #/automations, #/admin,
// #/audit, and the deep link #/social-networks/reauth[?result=…] that opens the restore pop-up
// (and where the OAuth callback lands).

const VIEWS = {
  planner: plannerView,
  composer: composerView,
  streams: streamsView,
  "social-networks": socialNetworksView,
  automations: automationsView,
  admin: adminView,
  audit: auditView,
};

/** What the callback's redirect says the sign-in did, as HTML for the restore pop-up. */
function resultText(params) {
  // The callback says "reconnected" for a connect too; the page remembers which it started.
  const kind = params.has("result") ? sessionStorage.getItem("relink-sign-in") : null;
  if (params.has("result")) sessionStorage.removeItem("relink-sign-in");
  switch (params.get("result")) {
    case "reconnected": {
      const released = Number(params.get("released"));
      const late = Number(params.get("needs_reschedule"));
      const still = Number(params.get("still_disconnected"));
      // R19/B6: rules that no longer work after this reconnect, with the way to their list.
      const rules = Number(params.get("rules_to_review"));
      return h`${kind === "connect" ? "Connected" : "Reconnected"} ${params.get("reconnected")} account(s)${
        still ? `; ${still} still need attention` : ""
      }.${released ? ` ${released} held post(s) go out as scheduled.` : ""}${
        late ? ` ${late} held post(s) missed their time: choose a new one in the planner.` : ""
      }${rules
        ? raw(h` <a href="#/automations" id="rules-to-review-link">${plural(rules, "automation rule")} to review</a>:
            ${rules === 1 ? "it" : "they"} may no longer work after this reconnect.`)
        : ""}`;
    }
    case "refused":
      return h`Nothing changed: ${label(params.get("code") ?? "refused")}.`;
    case "error":
      return h`Something went wrong on our side; nothing changed.`;
    default:
      return "";
  }
}

/**
 * The network sent the sign-in back to a browser that did not start it (no `relink_flow`
 * cookie: another browser, or cookies cleared), so the callback handed `state` and `code` to this
 * page instead of completing it. Finishing it takes the signed-in user who started it; for anyone
 * else Relink refuses and nothing changes.
 */
async function finishSignIn(params) {
  // The code is single-use: take it out of the address bar and the history at once.
  history.replaceState(null, "", "#/social-networks/reauth");
  if (!params.has("code")) return resultText(new URLSearchParams({ result: "refused", code: "ACCESS_DENIED" }));
  const { completeReconnect: done } = await app.client.request(Q.completeReconnect, {
    state: params.get("state"),
    code: params.get("code"),
  });
  if (done.userErrors.length) return h`Nothing changed: ${done.userErrors[0].message}`;
  const late = done.releasedPosts.filter((post) => post.state === "NEEDS_RESCHEDULE").length;
  return resultText(
    new URLSearchParams({
      result: "reconnected",
      reconnected: done.reconnectedAccounts.length,
      still_disconnected: done.stillDisconnected.length,
      released: done.releasedPosts.length - late,
      needs_reschedule: late,
      rules_to_review: done.rulesToReview.length,
    }),
  );
}

let current = null;
// Each drawing of the main view counts; one that a later one overtook while it waited for its
// data draws nothing (and so cannot take the focus from where the person has gone since).
let drawing = 0;

async function route({ refresh = false } = {}) {
  if (!app.client) return;
  const [path, query = ""] = location.hash.slice(1).split("?");
  const name = path.replace(/^\//, "");
  const restore = name === "social-networks/reauth";
  if (restore) {
    // A live refresh keeps the result on show; only a navigation here sets it.
    if (!refresh) {
      const params = new URLSearchParams(query);
      app.restoreResult = params.has("state") ? await finishSignIn(params) : resultText(params);
    }
    openRestore();
    if (!current) current = "planner";
  } else if (VIEWS[name]) {
    current = name;
  } else if (!refresh) {
    current = "planner";
  }
  // A navigation elsewhere closes the pop-ups (a link in the restore result, say).
  if (!restore && !refresh) {
    for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
  }
  // Keep what the person is typing: the composer is not redrawn by a live refresh, but what it
  // says about the chosen accounts is asked again (their health may have changed).
  if (refresh && current === "composer") {
    checkSelection();
    return;
  }
  document.querySelectorAll("#nav a").forEach((link) => {
    link.toggleAttribute("aria-current", link.getAttribute("href") === `#/${current}`);
    if (link.hasAttribute("aria-current")) link.setAttribute("aria-current", "page");
  });
  const main = $("#main");
  if (!refresh) $("#notice").hidden = true;
  const mine = ++drawing;
  const html = await VIEWS[current]();
  if (mine !== drawing) return;
  main.innerHTML = html;
  main.dataset.view = current;
  // A navigation moves the focus to what it shows; the restore pop-up holds its own focus.
  if (!refresh && !restore) main.focus();
  if (current === "composer") {
    $("#compose").onsubmit = schedule;
    $("#save-draft").onclick = saveDraft;
    // R14: a change of the chosen accounts asks composerCheck at once.
    $("#compose").onchange = (event) => {
      if (event.target.name === "account") checkSelection();
    };
  }
}

// One listener each for the page's buttons.
document.addEventListener("click", (event) => {
  const target = event.target.closest("button");
  if (!target) return;
  if (target.dataset.reconnect) reconnect(target.dataset.reconnect);
  else if (target.dataset.connect) connect(target.dataset.connect, target.dataset.org || null);
  else if (target.dataset.ask) ask(target, target.dataset.ask);
  else if (target.dataset.sendLink) openSendLink(target.dataset.sendLink, target.dataset.name);
  else if (target.dataset.revokeLink) revokeLink(target);
  else if (target.dataset.resolve) resolve(target);
  else if (target.id === "draft-instead") saveDraft();
});

addEventListener("DOMContentLoaded", () => {
  $("#avatar").onclick = () => (location.hash = "#/social-networks/reauth");
  $("#sign-out").onclick = () => signOut();
  $("#dismiss").onclick = async () => {
    await app.client.request(Q.dismiss);
    $("#banner").hidden = true;
  };
  $("#send-link-form").onsubmit = createLink;
  $("#send-link-close").onclick = () => $("#send-link").close();
  $("#sign-in-continue").onclick = continueSignIn;
  $("#sign-in-cancel").onclick = () => $("#sign-in-as").close();
  $("#sign-in-as").addEventListener("close", () => (app.signIn = null));
  $("#restore").addEventListener("close", () => {
    if (location.hash.startsWith("#/social-networks/reauth")) {
      history.replaceState(null, "", `#/${current ?? "planner"}`);
    }
  });
  addEventListener("hashchange", () => route());
  const token = sessionStorage.getItem("relink-token");
  if (token) start(token);
  else showSignIn();
});
