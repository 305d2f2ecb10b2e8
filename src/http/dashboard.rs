//! `GET /dashboard`: a small landing page for the reauth path (R10), so a person who clicks
//! through the sandbox sign-in sees the result. The reference dashboard replaces it.

use axum::response::{Html, IntoResponse};

/// The page: it reads the result from the URL fragment (`#/social-networks/reauth?result=…`).
pub async fn page() -> impl IntoResponse {
    Html(PAGE)
}

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<title>Relink — restore social accounts</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 3rem auto; max-width: 40rem; padding: 0 1rem; }
  .ok { color: #1d6b2f; } .refused { color: #9a3412; }
  code { background: #f3f4f6; padding: 0 .25rem; }
</style>
</head>
<body>
<h1>Restore social accounts</h1>
<p id="result">No sign-in result in this link.</p>
<p>The restore list is the <code>reconnectStatus</code> query; try it in <a href="/">GraphiQL</a>.</p>
<script>
  const query = (location.hash.split("?")[1] || "");
  const params = new URLSearchParams(query);
  const out = document.getElementById("result");
  if (params.get("result") === "reconnected") {
    out.className = "ok";
    out.textContent = "Reconnected " + params.get("reconnected") + " account(s); "
      + params.get("still_disconnected") + " still need attention.";
  } else if (params.get("result") === "refused") {
    out.className = "refused";
    out.textContent = "Nothing changed: " + params.get("code") + ". Start the reconnect again from the restore list.";
  } else if (params.get("result") === "error") {
    out.className = "refused";
    out.textContent = "Something went wrong on our side; nothing changed.";
  }
</script>
</body>
</html>
"#;
