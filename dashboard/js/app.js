// The reference dashboard: every surface of the article, driven by Relink's GraphQL API and kept
// live by its subscriptions. No framework and no build step: read it top to bottom.
//
//   banner (R9) · a network's incident · badge on the avatar (R11) · restore pop-up at #/social-networks/reauth (R10, R4)
//   planner with held posts (R13, B4) · composer (R14) · streams (R15) · admin list (R16) · audit (B8)

import { Client, GraphQLError } from "/dashboard/js/graphql.js";

// ---------------------------------------------------------------------------------------------
// The API calls the page makes, in one place.

const ACCOUNT_FIELDS = `id name network kind health viewerCanReconnect limitedReason
  lastReconnectedBy { name } lastReconnectedAt disconnect { reason since fix heldPostCount }`;

const Q = {
  viewer: `{ viewer { user { id name email } organizations { id name viewerRole } } }`,
  status: `{ reconnectStatus { bannerVisible bannerDismissedUntil badgeCount reauthPath
    networkIncidents { network message } accounts { ${ACCOUNT_FIELDS} } } }`,
  statusLive: `subscription { reconnectStatus { bannerVisible bannerDismissedUntil badgeCount
    reauthPath networkIncidents { network message } accounts { ${ACCOUNT_FIELDS} } } }`,
  events: `subscription($after: ID) { socialAccountEvents(after: $after) { id kind postId
    socialAccount { id name health } } }`,
  dismiss: `mutation { dismissReconnectBanner { reconnectStatus { bannerVisible } } }`,
  startReconnect: `mutation($id: ID!) { startReconnect(input: { socialAccountId: $id }) {
    authorizeUrl userErrors { code message } } }`,
  completeReconnect: `mutation($state: String!, $code: String!) {
    completeReconnect(input: { state: $state, code: $code }) {
      reconnectedAccounts { id } stillDisconnected { id } releasedPosts { id state }
      userErrors { code message } } }`,
  requestReconnect: `mutation($id: ID!) { requestReconnect(input: { socialAccountId: $id }) {
    asked { name } } }`,
  planner: `{ scheduledPosts(first: 100) { nodes { id body state scheduledAt failureReason
    socialAccount { id name network }
    warning { message viewerCanReconnect reauthPath socialAccount { id name lastReconnectedBy { name } } } } } }`,
  resolve: `mutation($ids: [ID!]!, $action: HeldPostAction!, $at: DateTime) {
    resolveHeldPost(input: { postIds: $ids, action: $action, scheduledAt: $at }) {
      posts { id state } userErrors { code message } } }`,
  accounts: `{ socialAccounts(first: 100) { nodes { id name network health } } }`,
  schedule: `mutation($ids: [ID!]!, $body: String!, $at: DateTime!) {
    schedulePost(input: { socialAccountIds: $ids, body: $body, scheduledAt: $at }) {
      posts { id } disconnectedAccounts { id name viewerCanReconnect lastReconnectedBy { name } }
      userErrors { code message } } }`,
  draft: `mutation($id: ID!, $body: String!, $at: DateTime) {
    saveDraft(input: { socialAccountId: $id, body: $body, scheduledAt: $at }) {
      post { id } userErrors { code message } } }`,
  streams: `{ streams { id title kind state reconnectRequired viewerCanReconnect
    socialAccount { id name lastReconnectedBy { name } } items { id author text publishedAt } } }`,
  admin: `query($id: ID!) { organization(id: $id) { name
    socialAccountHealth { connected expiring limited disconnected total }
    socialAccounts(first: 100) { nodes { id name network health flag disconnect { reason fix } } } } }`,
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
  restoreResult: "",
  asked: new Map(), // account id -> names of those asked to reconnect it
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

function renderRestore() {
  $("#restore-result").textContent = app.restoreResult;
  const accounts = app.status.accounts;
  $("#restore-list").innerHTML = accounts.length
    ? accounts
        .map(
          (account) => h`<li>
            <strong>${account.name}</strong> <small>${account.network.toLowerCase()} · ${label(account.health)}</small>
            ${account.disconnect
              ? raw(h`<p>${account.disconnect.fix}${account.disconnect.heldPostCount
                  ? raw(h` <strong>${account.disconnect.heldPostCount} post(s) are held</strong> and go out after the reconnect.`)
                  : ""}</p>`)
              : ""}
            ${account.limitedReason ? raw(h`<p>Limited: ${label(account.limitedReason)}.</p>`) : ""}
            <div class="actions">${account.viewerCanReconnect
              ? raw(h`<button type="button" data-reconnect="${account.id}">Reconnect ${account.name}</button>`)
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

async function reconnect(accountId) {
  const { startReconnect } = await app.client.request(Q.startReconnect, { id: accountId });
  if (startReconnect.userErrors.length) {
    say(startReconnect.userErrors[0].message);
    return;
  }
  // The network's sign-in (its account chooser, R20); it sends the browser back to
  // /oauth/callback/{network}, which redirects here with the result.
  location.assign(startReconnect.authorizeUrl);
}

async function ask(button, accountId) {
  button.disabled = true;
  const { requestReconnect } = await app.client.request(Q.requestReconnect, { id: accountId });
  app.asked.set(accountId, requestReconnect.asked.map((user) => user.name).join(", "));
  renderRestore();
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
      return h`<li class="card ${post.warning || waiting ? "held" : ""}" data-post="${post.id}">
        <div class="meta">${post.socialAccount.name} · ${when(post.scheduledAt)}
          <span class="state ${post.state}">${label(post.state)}</span></div>
        <p>${post.body}</p>
        ${post.warning
          ? raw(h`<p class="warning" role="note">⚠ ${post.warning.message}
              ${post.warning.viewerCanReconnect
                ? raw(h`<a href="#/social-networks/reauth">Reconnect</a>`)
                : raw(h`Ask ${post.warning.socialAccount.lastReconnectedBy?.name ?? "an admin"} to reconnect it.`)}</p>`)
          : ""}
        ${post.state === "NEEDS_RESCHEDULE"
          ? raw(h`<p class="warning">Its time passed while the account was disconnected; choose what happens.</p>`)
          : ""}
        ${post.failureReason ? raw(h`<p class="warning">${post.failureReason}</p>`) : ""}
        ${waiting || post.state === "FAILED"
          ? raw(h`<div class="actions">
              <button type="button" data-resolve="PUBLISH_NOW" ${post.warning ? "disabled" : ""}>Publish now</button>
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
      <label for="body">Text</label>
      <textarea id="body" name="body" required></textarea>
      <label for="when">When</label>
      <input id="when" name="when" type="datetime-local" value="${inAnHour()}" required>
      <div class="actions"><button type="submit">Schedule</button>
        <button type="button" class="secondary" id="save-draft">Save as draft</button></div>
      <div id="compose-result" role="status" aria-live="polite"></div>
    </form>`;
}

function composeInput() {
  const form = $("#compose");
  return {
    ids: [...form.querySelectorAll("[name=account]:checked")].map((box) => box.value),
    body: form.body.value,
    at: new Date(form.when.value).toISOString(),
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

async function adminView() {
  let out = h`<h1>Social networks</h1>`;
  for (const org of adminOrganizations()) {
    const { organization } = await app.client.request(Q.admin, { id: org.id });
    const counts = organization.socialAccountHealth;
    out += h`<h2>${organization.name}</h2>
      <p>${counts.total} accounts: ${counts.connected} connected, ${counts.expiring} expiring,
        ${counts.limited} limited, <strong>${counts.disconnected} disconnected</strong>.</p>
      <table><thead><tr><th>Account</th><th>Network</th><th>Health</th><th>Fix</th></tr></thead>
      <tbody>${organization.socialAccounts.nodes.map((account) => h`<tr>
        <td class="flag-${account.flag}" data-flag="${account.flag}">${account.name}</td>
        <td>${account.network.toLowerCase()}</td><td>${label(account.health)}</td>
        <td>${account.disconnect?.fix ?? ""}</td></tr>`)}</tbody></table>`;
  }
  return out;
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
// Routing: #/planner, #/composer, #/streams, #/admin, #/audit, and the deep link
// #/social-networks/reauth[?result=…] that opens the restore pop-up (and where the OAuth
// callback lands).

const VIEWS = {
  planner: plannerView,
  composer: composerView,
  streams: streamsView,
  admin: adminView,
  audit: auditView,
};

function resultText(params) {
  switch (params.get("result")) {
    case "reconnected": {
      const released = Number(params.get("released"));
      const late = Number(params.get("needs_reschedule"));
      return `Reconnected ${params.get("reconnected")} account(s)${
        Number(params.get("still_disconnected")) ? `; ${params.get("still_disconnected")} still need attention` : ""
      }.${released ? ` ${released} held post(s) go out as scheduled.` : ""}${
        late ? ` ${late} held post(s) missed their time: choose a new one in the planner.` : ""
      }`;
    }
    case "refused":
      return `Nothing changed: ${label(params.get("code") ?? "refused")}.`;
    case "error":
      return "Something went wrong on our side; nothing changed.";
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
  if (done.userErrors.length) return `Nothing changed: ${done.userErrors[0].message}`;
  const late = done.releasedPosts.filter((post) => post.state === "NEEDS_RESCHEDULE").length;
  return resultText(
    new URLSearchParams({
      result: "reconnected",
      reconnected: done.reconnectedAccounts.length,
      still_disconnected: done.stillDisconnected.length,
      released: done.releasedPosts.length - late,
      needs_reschedule: late,
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
  // Keep what the person is typing: the composer is not redrawn by a live refresh.
  if (refresh && current === "composer") return;
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
  }
}

// One listener each for the page's buttons.
document.addEventListener("click", (event) => {
  const target = event.target.closest("button");
  if (!target) return;
  if (target.dataset.reconnect) reconnect(target.dataset.reconnect);
  else if (target.dataset.ask) ask(target, target.dataset.ask);
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
