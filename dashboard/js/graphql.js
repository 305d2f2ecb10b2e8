// Relink's GraphQL client for the dashboard: queries and mutations over HTTP (fetch), and
// subscriptions through graphql-ws (https://github.com/enisdenjo/graphql-ws), the
// graphql-transport-ws library frontend teams use, vendored at a pinned version as ES modules.
//
// What a dashboard needs to get right, and how it is done here:
// - the token goes in the `connection_init` payload (`connectionParams`), never in the URL;
// - one socket carries every subscription of the page (graphql-ws opens it lazily);
// - a dropped socket is reopened with capped backoff, and each subscription is sent again with
//   its variables object as it is then: socialAccountEvents carries `after: <last event id>`,
//   which the page updates on every event, so nothing is lost or repeated;
// - close code 4403 means the token was refused or has expired: sign in again, do not retry.

import { createClient } from "/dashboard/vendor/graphql-ws/client.js";

export class GraphQLError extends Error {
  constructor(errors) {
    super(errors.map((error) => error.message).join("; "));
    this.errors = errors;
    this.code = errors[0]?.extensions?.code ?? "UNKNOWN";
  }
}

export class Client {
  /**
   * @param {string} token   the dashboard JWT
   * @param {object} options { onAuthLost(): called when the server refuses the token }
   */
  constructor(token, { onAuthLost = () => {} } = {}) {
    this.token = token;
    this.onAuthLost = onAuthLost;
    this.closed = false;
    this.ws = createClient({
      url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`,
      connectionParams: () => ({ Authorization: `Bearer ${this.token}` }),
      retryAttempts: Number.MAX_SAFE_INTEGER,
      // 1001 (a server restarting), a lost network…: try again; a refused token: never.
      shouldRetry: (event) => !this.closed && event?.code !== 4403,
      retryWait: (retries) =>
        new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 500 * 2 ** retries))),
      on: {
        closed: (event) => {
          if (!this.closed && event?.code === 4403) {
            this.onAuthLost();
          }
        },
      },
    });
  }

  /** Runs a query or mutation; resolves to `data`, rejects with a GraphQLError. */
  async request(query, variables = {}) {
    const response = await fetch("/graphql", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        // The GraphQL-over-HTTP media type first: errors then come with telling status codes.
        Accept: "application/graphql-response+json, application/json;q=0.9",
        Authorization: `Bearer ${this.token}`,
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    if (response.status === 401) {
      this.onAuthLost();
    }
    if (body.errors?.length) {
      throw new GraphQLError(body.errors);
    }
    return body.data;
  }

  /**
   * Starts a subscription. `variables` is sent as it is at every (re)subscribe: change it in
   * place (`variables.after = id`) so a subscription resumes from where it was. Returns a
   * function that stops it.
   */
  subscribe(query, variables, onNext) {
    return this.ws.subscribe(
      { query, variables },
      {
        next: onNext,
        error: (error) => console.warn("subscription refused", error),
        complete: () => {},
      },
    );
  }

  /** Closes the socket for good (sign-out). */
  close() {
    this.closed = true;
    this.ws.dispose();
  }
}
