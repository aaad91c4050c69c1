/**
 * The console's one page: plain HTML, CSS and a little JavaScript, served as they are (no build chain, no framework,
 * nothing fetched from elsewhere). It polls /api/overview and /api/events, and every action button asks to be
 * clicked a second time ("confirm") before it POSTs. Text from hosts is put in with textContent, never as HTML.
 */
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vz console</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }
  h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
  h2 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .25rem .6rem; border-bottom: 1px solid #ddd; white-space: nowrap; }
  th { background: #f4f4f4; font-weight: 600; }
  .down { color: #b00; font-weight: 600; }
  .ok { color: #080; }
  button { font: inherit; padding: .1rem .6rem; margin-right: .3rem; cursor: pointer; }
  button.armed { background: #fc3; border-color: #b80; }
  #status { color: #666; }
  pre { background: #111; color: #ddd; padding: .6rem; max-height: 18rem; overflow: auto; }
  #message { margin: .5rem 0; font-weight: 600; }
</style>
</head>
<body>
<h1>vz console</h1>
<div id="status">loading...</div>
<div id="message" role="status"></div>
<h2>Hosts</h2>
<table id="hosts"><thead><tr><th>host</th><th>vendor</th><th>init</th><th>runtime</th><th>mode</th><th>reachable</th><th>load</th><th>RAM free</th><th>disk free</th><th>vz RSS</th></tr></thead><tbody></tbody></table>
<h2>Apps</h2>
<table id="apps"><thead><tr><th>app</th><th>host</th><th>wanted</th><th>state</th><th>restarts</th><th>CPU %</th><th>RSS</th><th>version</th><th></th></tr></thead><tbody></tbody></table>
<h2>Deployed</h2>
<table id="deployed"><thead><tr><th>app</th><th>replicas</th><th>hosts</th><th>image</th><th>deployed at</th><th></th></tr></thead><tbody></tbody></table>
<h2>Logs <select id="log-app"></select> <button id="log-load">show</button></h2>
<pre id="logs"></pre>
<h2>Watch events</h2>
<table id="events"><thead><tr><th>at</th><th>event</th><th>app</th><th>host</th><th>detail</th></tr></thead><tbody></tbody></table>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const mib = (b) => (b === undefined ? "-" : (b / 1048576).toFixed(1) + " MiB");
const gib = (b) => (b === undefined ? "-" : (b / 1073741824).toFixed(1) + " GiB");
function row(cells) {
  const tr = document.createElement("tr");
  for (const c of cells) {
    const td = document.createElement("td");
    if (c instanceof Node) td.append(c); else td.textContent = c === undefined ? "-" : String(c);
    tr.append(td);
  }
  return tr;
}
function fill(id, rows) { $(id).querySelector("tbody").replaceChildren(...rows); }
async function api(path, body) {
  const res = await fetch(path, body ? { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) } : {});
  const data = await res.json().catch(() => ({ error: res.statusText }));
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}
/** A button that must be clicked twice: the first click arms it for 5 s and asks to confirm. */
function actionButton(label, body) {
  const b = document.createElement("button");
  b.textContent = label;
  b.dataset.action = body.action;
  b.dataset.app = body.app;
  if (body.host) b.dataset.host = body.host;
  b.onclick = async () => {
    if (!b.classList.contains("armed")) {
      b.classList.add("armed");
      b.textContent = "confirm " + label + "?";
      setTimeout(() => { b.classList.remove("armed"); b.textContent = label; }, 5000);
      return;
    }
    b.disabled = true;
    $("message").textContent = label + " " + body.app + (body.host ? " on " + body.host : "") + "...";
    try {
      const r = await api("/api/action", body);
      $("message").textContent = label + " " + body.app + ": " + r.hosts.map((h) => h.host + " " + h.status).join(", ");
    } catch (e) {
      $("message").textContent = label + " " + body.app + " failed: " + e.message;
    }
    refresh();
  };
  return b;
}
let refreshing = false;
async function refresh() {
  if (refreshing) return;
  refreshing = true;
  try {
    const o = await api("/api/overview");
    fill("hosts", o.hosts.map((h) => {
      const tr = row([h.host, h.vendor, h.init, h.runtime, h.mode, h.reachable ? "yes" : "NO", h.load, mib(h.memAvailableBytes), gib(h.diskFreeBytes), mib(h.vzRssBytes)]);
      tr.dataset.host = h.host;
      tr.children[5].className = h.reachable ? "ok" : "down";
      if (h.error) tr.title = h.error;
      return tr;
    }));
    fill("apps", o.apps.map((a) => {
      const buttons = document.createElement("span");
      buttons.append(actionButton("stop", { action: "stop", app: a.app, host: a.host }), actionButton("start", { action: "start", app: a.app, host: a.host }));
      const tr = row([a.app, a.host, a.wanted, a.state, a.restarts, a.cpuPct.toFixed(1), mib(a.rssBytes), a.version, buttons]);
      tr.dataset.app = a.app;
      tr.dataset.host = a.host;
      tr.dataset.state = a.state;
      tr.dataset.wanted = a.wanted;
      return tr;
    }));
    fill("deployed", o.deployed.map((d) => {
      const buttons = document.createElement("span");
      buttons.append(actionButton("deploy", { action: "deploy", app: d.app }));
      if (d.previousImage) buttons.append(actionButton("rollback", { action: "rollback", app: d.app }));
      return row([d.app, d.replicas, d.hosts.join(", "), d.image, d.deployedAt, buttons]);
    }));
    const apps = [...new Set(o.apps.map((a) => a.app).concat(o.deployed.map((d) => d.app)))].sort();
    const select = $("log-app");
    if (select.options.length !== apps.length) select.replaceChildren(...apps.map((a) => new Option(a, a)));
    const ev = await api("/api/events?count=30");
    fill("events", ev.events.reverse().map((e) => row([e.at, e.event, e.app, e.host, e.detail])));
    $("status").textContent = "updated " + new Date(o.at).toLocaleTimeString() + " - " + o.hosts.length + " hosts, " + o.apps.length + " app entries";
    document.body.dataset.loaded = "yes";
  } catch (e) {
    $("status").textContent = "refresh failed: " + e.message;
  } finally {
    refreshing = false;
  }
}
$("log-load").onclick = async () => {
  const app = $("log-app").value;
  if (!app) return;
  try {
    const r = await api("/api/logs?app=" + encodeURIComponent(app) + "&lines=30");
    $("logs").textContent = r.hosts.flatMap((h) => h.error ? [h.host + " | (" + h.error + ")"] : h.lines.map((l) => h.host + " | " + l)).join("\\n");
  } catch (e) {
    $("logs").textContent = "logs failed: " + e.message;
  }
};
refresh();
setInterval(refresh, 10000);
</script>
</body>
</html>
`;
