// A small GraphQL client for Relink: queries and mutations over HTTP, subscriptions over the
// graphql-transport-ws protocol (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md).
//
// What a dashboard needs to get right, and what this file shows:
// - the token goes in the `connection_init` payload, never in the WebSocket URL;
// - one socket carries every subscription of the page;
// - a dropped socket is reopened with backoff, and each subscription resumes (socialAccountEvents
//   takes `after: <last event id>`, so nothing is lost or repeated);
// - close code 4403 means the token was refused or has expired: sign in again, do not retry.

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
    this.socket = null;
    this.acknowledged = false;
    this.subscriptions = new Map(); // id -> { payload, onNext, resume }
    this.nextId = 1;
    this.retry = 0;
    this.closed = false;
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
   * Starts a subscription. `variables` may be a function, called at every (re)subscribe, so a
   * subscription can resume from where it was (`after`). Returns a function that stops it.
   */
  subscribe(query, variables, onNext) {
    const id = String(this.nextId++);
    this.subscriptions.set(id, { query, variables, onNext });
    if (this.acknowledged) {
      this.#send({ id, type: "subscribe", payload: this.#payload(id) });
    } else {
      this.#open();
    }
    return () => {
      this.subscriptions.delete(id);
      if (this.acknowledged) {
        this.#send({ id, type: "complete" });
      }
    };
  }

  /** Closes the socket for good (sign-out). */
  close() {
    this.closed = true;
    this.socket?.close(1000, "bye");
  }

  #payload(id) {
    const { query, variables } = this.subscriptions.get(id);
    return {
      query,
      variables: typeof variables === "function" ? variables() : variables,
    };
  }

  #send(message) {
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }

  #open() {
    if (this.socket || this.closed) {
      return;
    }
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
    const socket = new WebSocket(url, "graphql-transport-ws");
    this.socket = socket;
    socket.addEventListener("open", () => {
      socket.send(
        JSON.stringify({
          type: "connection_init",
          payload: { Authorization: `Bearer ${this.token}` },
        }),
      );
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      switch (message.type) {
        case "connection_ack":
          this.acknowledged = true;
          this.retry = 0;
          for (const id of this.subscriptions.keys()) {
            this.#send({ id, type: "subscribe", payload: this.#payload(id) });
          }
          break;
        case "next":
          this.subscriptions.get(message.id)?.onNext(message.payload);
          break;
        case "error":
          console.warn("subscription refused", message.id, message.payload);
          break;
        case "ping":
          this.#send({ type: "pong" });
          break;
        default:
          break;
      }
    });
    socket.addEventListener("close", (event) => {
      this.socket = null;
      this.acknowledged = false;
      if (this.closed) {
        return;
      }
      if (event.code === 4403) {
        // The token was refused or expired: a new sign-in, not a retry.
        this.onAuthLost();
        return;
      }
      // 1001 (server restarting), network loss…: reopen with backoff, resubscribe, resume.
      const delay = Math.min(30_000, 500 * 2 ** this.retry++);
      setTimeout(() => this.#open(), delay);
    });
  }
}
