// Starts GraphiQL against this server: queries and mutations over HTTP at /graphql,
// subscriptions over WebSocket at the same path (graphql-transport-ws, bundled in GraphiQL).
// The Headers tab's `{"Authorization": "Bearer …"}` goes with every HTTP request and, for
// subscriptions, as the connection_init payload (never in the URL). Headers are not persisted:
// a pasted token stays in this tab only.

function endpoint(path, websocket = false) {
  const url = new URL(path, window.location.origin);
  if (websocket) url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher: GraphiQL.createFetcher({
      url: endpoint("/graphql"),
      subscriptionUrl: endpoint("/graphql", true),
    }),
    defaultEditorToolsVisibility: true,
  }),
);
