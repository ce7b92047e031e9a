// Lucid console page: four views (fleet, wave, cluster, commit) over /api/v1, kept live by the
// `fleet` server-sent event. Plain DOM: every value from the API goes in as text, never as HTML.
"use strict";

const state = { fleet: null, receivedAt: 0, detail: null, route: null, refetch: null };
const TOKEN_KEY = "lucid-operator-token";  // sessionStorage: gone when the tab closes

// --- small helpers -------------------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const short = (id) => (id || "").slice(0, 10);
const commitLink = (id, wave) =>
  id ? h("a", { class: "mono", href: `#/commit/${id}${wave ? "?wave=" + encodeURIComponent(wave) : ""}` }, short(id)) : h("span", { class: "muted" }, "—");
const pill = (cls, text, title) => h("span", { class: `pill ${cls}`, title }, text);

function ago(seconds) {
  if (seconds === null || seconds === undefined || seconds < 0) return "never";
  if (seconds < 60) return `${Math.floor(seconds)}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m ago`;
  return `${Math.floor(seconds / 86400)}d ago`;
}
function since(rfc3339) {
  const t = Date.parse(rfc3339);
  return Number.isNaN(t) ? "" : ago((Date.now() - t) / 1000);
}
function duration(s) {
  if (s % 3600 === 0 && s >= 3600) return `${s / 3600}h`;
  if (s % 60 === 0 && s >= 60) return `${s / 60}m`;
  return `${s}s`;
}
// An age that keeps counting between events: the server's value plus the time since it arrived.
function liveAge(seconds) {
  return h("span", { class: "age", dataset: { base: seconds, at: state.receivedAt } }, ago(seconds));
}
function tickAges() {
  for (const el of document.querySelectorAll(".age")) {
    const base = Number(el.dataset.base);
    if (base >= 0) el.textContent = ago(base + (Date.now() - Number(el.dataset.at)) / 1000);
  }
  for (const el of document.querySelectorAll(".progress[data-held]")) {
    const soak = Number(el.dataset.soak);
    const held = Number(el.dataset.held) + (Date.now() - Number(el.dataset.at)) / 1000;
    el.firstChild.style.width = `${Math.min(100, (100 * held) / Math.max(1, soak))}%`;
    el.classList.toggle("done", held >= soak);
  }
}

async function api(path, options) {
  const r = await fetch(path, options);
  const body = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
  return { status: r.status, body };
}

// --- what a colour means -------------------------------------------------------------------------

const BAD_OUTCOMES = new Set(["rolled-back", "failed", "refused", "held", "skipped-bad"]);
const GATE_CLASS = { holds: "ok", waived: "ok", soaking: "busy", pending: "busy", fails: "bad", "no-data": "stale", stale: "stale" };

function clusterClass(c, wave) {
  if (c.stale || c.reachable === false) return "stale";
  const gates = c.gates || [];
  const sick = (c.services_total || 0) > (c.services_healthy || 0);
  const lastBad = c.last_attempt && BAD_OUTCOMES.has(c.last_attempt.outcome);
  if (gates.some((g) => g.state === "fails") || sick || lastBad) return "bad";
  if ((wave.commit && c.applied !== wave.commit) || gates.some((g) => !g.passes)) return "busy";
  return "ok";
}
function clusterWord(cls) {
  return { ok: "healthy", busy: "converging", bad: "failing", stale: "stale" }[cls];
}

// --- header: live indicator, operator token ------------------------------------------------------

function renderOperator() {
  const box = document.getElementById("operator");
  const token = sessionStorage.getItem(TOKEN_KEY);
  const mode = state.fleet && !state.fleet.console?.actions_enabled ? "read-only" : token ? "operator" : "input";
  if (box.dataset.mode === mode) return;  // keep a half-typed token across live updates
  box.dataset.mode = mode;
  box.replaceChildren();
  if (mode === "read-only") {
    box.append(pill("stale", "read-only", "Started without --token-file: no actions"));
    return;
  }
  if (token) {
    box.append(pill("ok", "operator"), " ",
      h("button", { id: "forget-token", onclick: () => { sessionStorage.removeItem(TOKEN_KEY); render(); } }, "Forget token"));
    return;
  }
  const input = h("input", { type: "password", id: "token", placeholder: "operator token", autocomplete: "off", size: 18 });
  const save = () => { if (input.value.trim()) { sessionStorage.setItem(TOKEN_KEY, input.value.trim()); render(); } };
  input.addEventListener("keydown", (e) => { if (e.key === "Enter") save(); });
  box.append(input, " ", h("button", { id: "save-token", onclick: save }, "Use token"));
}

function renderBanner() {
  const c = state.fleet?.console || {};
  const problems = [c.fetch_error && `config repo: ${c.fetch_error}`, c.view_error, c.pause_error].filter(Boolean);
  const banner = document.getElementById("banner");
  banner.hidden = problems.length === 0;
  banner.textContent = problems.join(" · ");
}

function crumbs(...parts) {
  document.getElementById("crumbs").replaceChildren(h("a", { href: "#/" }, "fleet"), ...parts);
}

// --- fleet ---------------------------------------------------------------------------------------

function clusterCard(c, wave) {
  const cls = clusterClass(c, wave);
  const total = c.services_total || 0, healthy = c.services_healthy || 0;
  const bar = h("div", { class: "bar", title: `${healthy} of ${total} services healthy` });
  if (total > 0) {
    const ok = h("span", { class: "h" }), sick = h("span", { class: "u" });
    ok.style.width = `${(100 * healthy) / total}%`;
    sick.style.width = `${(100 * (total - healthy)) / total}%`;
    bar.append(ok, sick);
  }
  const last = c.last_attempt;
  return h("a", { class: `card ${cls}`, href: `#/cluster/${encodeURIComponent(c.id)}`, dataset: { cluster: c.id, state: cls } },
    h("div", { class: "card-top" },
      h("span", { class: "id" }, c.id),
      h("span", { class: "mono", title: `applied ${c.applied || "nothing"}` }, short(c.applied) || "—")),
    bar,
    h("div", { class: "facts" },
      h("span", { class: cls }, c.stale ? "STALE" : clusterWord(cls)),
      h("span", {}, `${healthy}/${total} healthy`),
      last && h("span", { class: BAD_OUTCOMES.has(last.outcome) ? "bad" : "" }, `${last.kind} ${last.outcome || "running"}`),
      h("span", { title: "age of the newest report" }, "report ", liveAge(c.report_age_seconds)),
      (c.drift_corrections || 0) > 0 && h("span", { class: "busy" }, `drift ${c.drift_corrections}`),
      (c.bad_commits || []).length > 0 && h("span", { class: "bad" }, `${c.bad_commits.length} bad`),
      c.error && h("span", { class: "bad", title: c.error }, "unreachable")));
}

function waveBadges(w) {
  return [
    w.paused && pill("busy", "paused", w.paused.message),
    !w.commit ? pill("stale", "no ref yet") : w.gates_pass ? pill("ok", "gates pass") : pill("bad", "gates not passing"),
  ];
}

function renderFleet() {
  crumbs();
  const f = state.fleet;
  if (!f) return h("p", { class: "muted" }, "Loading the fleet…");
  const columns = f.waves.map((w) => {
    const healthy = w.clusters.filter((c) => clusterClass(c, w) === "ok").length;
    return h("section", { class: "wave", dataset: { wave: w.name } },
      h("div", { class: "wave-head" },
        h("a", { class: "name", href: `#/wave/${encodeURIComponent(w.name)}` }, w.name),
        " ", ...waveBadges(w),
        h("div", { class: "meta", title: w.subject }, commitLink(w.commit, w.name), " ", w.subject || w.ref),
        h("div", { class: "meta" }, `${healthy}/${w.clusters.length} healthy · soak ${duration(w.soak_seconds)} · ${w.ref}`)),
      h("div", { class: "cards" }, w.clusters.map((c) => clusterCard(c, w))));
  });
  return h("div", {},
    h("div", { class: "muted summary" }, "config ", commitLink(f.config_commit), ` · ${f.waves.length} waves · `,
      `${f.waves.reduce((n, w) => n + w.clusters.length, 0)} clusters`),
    h("div", { class: "fleet", id: "fleet" }, columns));
}

// --- wave ----------------------------------------------------------------------------------------

function gateCell(g) {
  const cell = h("td", { class: "gate", dataset: { gate: g.gate, state: g.state } },
    pill(GATE_CLASS[g.state] || "stale", g.state), h("div", { class: "reason" }, g.reason));
  const ev = g.evidence || {};
  if (g.gate === "healthchecks" && ev.soak_seconds && ev.held_seconds !== undefined) {
    const p = h("div", { class: "progress", title: "soak", dataset: { held: ev.held_seconds, soak: ev.soak_seconds, at: state.receivedAt } }, h("span"));
    cell.append(p);
  }
  if (Object.keys(ev).length) cell.append(h("details", {}, h("summary", {}, "evidence"), h("pre", {}, JSON.stringify(ev, null, 2))));
  return cell;
}

function gatesTable(wave) {
  if (!wave.clusters.length) return h("p", { class: "muted" }, "No clusters in this wave.");
  return h("table", { id: "gates" },
    h("thead", {}, h("tr", {}, h("th", {}, "cluster"), h("th", {}, "runs"), wave.gates.map((g) => h("th", {}, g)))),
    h("tbody", {}, wave.clusters.map((c) => h("tr", { dataset: { cluster: c.id } },
      h("td", {}, h("a", { href: `#/cluster/${encodeURIComponent(c.id)}` }, c.id), c.stale ? [" ", pill("stale", "stale")] : null,
        h("div", { class: "reason" }, "report ", liveAge(c.report_age_seconds))),
      h("td", {}, commitLink(c.applied, wave.name)),
      (c.gates.length ? c.gates : wave.gates.map((g) => ({ gate: g, state: "no-data", reason: "wave has no commit yet" }))).map(gateCell)))));
}

async function act(wave, action, body) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const out = document.getElementById("action-result");
  out.replaceChildren(h("span", { class: "muted" }, `${action}…`));
  for (const b of document.querySelectorAll(".actions button")) b.disabled = true;
  const r = await api(`/api/v1/waves/${encodeURIComponent(wave)}/${action}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify(body || {}),
  }).catch((e) => ({ status: 0, body: { error: String(e) } }));
  for (const b of document.querySelectorAll(".actions button")) b.disabled = false;
  if (r.status === 401) sessionStorage.removeItem(TOKEN_KEY);
  const b = r.body;
  const done = r.status === 200;
  out.replaceChildren(h("div", { class: `panel ${done ? "" : "bad"}`, id: "action-outcome", dataset: { status: r.status } },
    h("strong", { class: done ? "ok" : "bad" }, done ? (b.done ? `${action}: done` : `${action}: nothing changed`) : `${action} refused (HTTP ${r.status})`),
    b.error && h("div", {}, b.error),
    (b.refusals || []).length > 0 && h("ul", {}, b.refusals.map((x) => h("li", {}, x))),
    b.detail && h("pre", {}, diffLines(b.detail))));
  if (done && b.done) refresh();
}

function actionsPanel(w) {
  const enabled = state.fleet?.console?.actions_enabled;
  if (!enabled) return h("p", { class: "muted" }, "Read-only console: actions need a console started with --token-file.");
  if (!sessionStorage.getItem(TOKEN_KEY)) return h("p", { class: "muted" }, "Enter the operator token (top right) to promote, pause, resume or roll back.");
  const reason = h("input", { type: "text", id: "pause-reason", placeholder: "reason (pause)", size: 24 });
  const target = w.promotion?.to ? ` to ${short(w.promotion.to)}` : "";
  return h("div", {},
    h("div", { class: "actions" },
      h("button", { class: "primary", id: "promote", onclick: () => act(w.name, "promote", {}) }, `Promote${target}`),
      h("button", { id: "promote-dry", onclick: () => act(w.name, "promote", { dry_run: true }) }, "Dry run"),
      w.paused
        ? h("button", { id: "resume", onclick: () => act(w.name, "resume", {}) }, "Resume")
        : [reason, h("button", { id: "pause", onclick: () => act(w.name, "pause", { reason: reason.value }) }, "Pause")],
      h("button", { class: "danger", id: "rollback-dry", onclick: () => act(w.name, "rollback", { dry_run: true }) }, "Rollback (dry run)"),
      h("button", { class: "danger", id: "rollback",
        onclick: () => confirm(`Commit a signed rollback on ${w.ref}?`) && act(w.name, "rollback", {}) }, "Rollback")),
    h("div", { id: "action-result", class: "result" }));
}

function renderWave(w) {
  crumbs(h("span", {}, `wave ${w.name}`));
  const p = w.promotion || {};
  const preview = p.error ? h("p", { class: "bad" }, p.error)
    : (p.refusals || []).length ? h("div", {}, h("strong", { class: "bad" }, `Promotion to ${short(p.to)} would be refused:`),
        h("ul", { id: "refusals" }, p.refusals.map((x) => h("li", {}, x))))
    : p.to && p.to !== p.from ? h("p", { class: "ok" }, `Ready: promotion moves ${w.ref} from ${short(p.from) || "(none)"} to ${short(p.to)}.`)
    : h("p", { class: "muted" }, p.detail || "Nothing to promote.");
  return h("div", { id: "wave", dataset: { wave: w.name, commit: w.commit } },
    h("h1", {}, `Wave ${w.name}`, ...waveBadges(w)),
    h("div", { class: "row" },
      h("dl", { class: "panel facts-grid" },
        h("dt", {}, "ref"), h("dd", { class: "mono" }, w.ref),
        h("dt", {}, "commit"), h("dd", { id: "wave-commit" }, commitLink(w.commit, w.previous), " ", w.subject),
        h("dt", {}, "gates"), h("dd", {}, w.gates.join(", ") || "none"),
        h("dt", {}, "soak"), h("dd", {}, duration(w.soak_seconds)),
        h("dt", {}, "stale after"), h("dd", {}, duration(w.stale_after_seconds)),
        h("dt", {}, "order"), h("dd", {}, w.previous ? h("a", { href: `#/wave/${w.previous}` }, `← ${w.previous}`) : "first",
          " · ", w.next ? h("a", { href: `#/wave/${w.next}` }, `${w.next} →`) : "last"),
        w.paused && [h("dt", {}, "paused"), h("dd", { class: "busy" }, w.paused.message)]),
      h("div", { class: "panel" }, h("strong", {}, "Promotion"), preview, actionsPanel(w))),
    h("h2", {}, `Gates for ${short(w.commit) || "—"} on this wave's clusters`),
    gatesTable(w),
    w.previous_wave && [h("h2", {}, `Gates of ${w.previous} (what promotion to this wave needs)`), gatesTable(w.previous_wave)]);
}

// --- cluster -------------------------------------------------------------------------------------

function table(id, columns, rows, empty) {
  if (!rows || !rows.length) return h("p", { class: "muted" }, empty);
  return h("table", { id }, h("thead", {}, h("tr", {}, columns.map((c) => h("th", {}, c[0])))),
    h("tbody", {}, rows.map((r) => h("tr", {}, columns.map((c) => h("td", {}, c[1](r)))))));
}
const outcome = (o) => h("span", { class: BAD_OUTCOMES.has(o) ? "bad" : o === "promoted" || o === "corrected" || o === "unchanged" ? "ok" : "" }, o || "running");
const reasons = (list) => (list || []).length ? h("div", { class: "reason" }, list.join("; ")) : "";

function renderCluster(c) {
  crumbs(h("a", { href: `#/wave/${encodeURIComponent(c.wave)}` }, `wave ${c.wave}`), h("span", {}, c.cluster));
  const s = c.status || {};
  const checks = c.acceptance?.checks || [];
  return h("div", { id: "cluster", dataset: { cluster: c.cluster } },
    h("h1", {}, c.cluster, c.stale ? pill("stale", "stale", `no report within ${duration(c.stale_after_seconds)}`) : pill("ok", "reporting"),
      c.latest && !c.latest.reachable && pill("bad", "unreachable", c.latest.error)),
    h("div", { class: "row" },
      h("dl", { class: "panel facts-grid" },
        h("dt", {}, "wave"), h("dd", {}, h("a", { href: `#/wave/${encodeURIComponent(c.wave)}` }, c.wave), " runs ", commitLink(c.wave_commit)),
        h("dt", {}, "profiles"), h("dd", {}, (c.profiles || []).join(", ")),
        h("dt", {}, "status"), h("dd", { class: "mono" }, c.status_url || "not polled"),
        h("dt", {}, "report"), h("dd", {}, c.report_age_seconds >= 0 ? liveAge(c.report_age_seconds) : "never", c.latest?.error ? h("div", { class: "bad" }, c.latest.error) : ""),
        h("dt", {}, "desired"), h("dd", {}, commitLink(s.desired)),
        h("dt", {}, "applied"), h("dd", {}, commitLink(s.applied)),
        h("dt", {}, "last good"), h("dd", {}, commitLink(s.last_good), s.last_good_since ? ` since ${since(s.last_good_since)}` : ""),
        s.engine_error && [h("dt", {}, "engine"), h("dd", { class: "bad" }, s.engine_error)]),
      h("div", {},
        table("services", [["service", (x) => x.service], ["state", (x) => x.state],
          ["health", (x) => h("span", { class: x.health === "healthy" || (!x.health && x.state === "running") ? "ok" : "bad" }, x.health || "—")],
          ["config", (x) => x.config_current ? h("span", { class: "ok" }, "current") : h("span", { class: "bad" }, "changed")],
          ["container", (x) => h("span", { class: "mono" }, x.container)]], c.services, "No services reported."))),
    h("h2", {}, "Gates"),
    table("cluster-gates", [["gate", (g) => g.gate], ["state", (g) => pill(GATE_CLASS[g.state] || "stale", g.state)], ["why", (g) => g.reason]], c.gates, "No gates (the wave has no commit yet)."),
    h("h2", {}, "Bad commits"),
    table("bad-commits", [["commit", (b) => commitLink(b.commit)], ["outcome", (b) => outcome(b.outcome)], ["why", (b) => (b.reasons || []).join("; ")]], c.bad_commits, "None."),
    h("h2", {}, "Attempts"),
    table("attempts", [["started", (a) => a.started], ["kind", (a) => a.kind], ["commit", (a) => commitLink(a.commit)],
      ["outcome", (a) => [outcome(a.outcome), reasons(a.reasons)]]], c.attempts, "No attempts reported."),
    h("h2", {}, "Drift corrections"),
    table("drift", [["started", (a) => a.started], ["commit", (a) => commitLink(a.commit)], ["outcome", (a) => [outcome(a.outcome), reasons(a.reasons)]]],
      c.drift_corrections, "None."),
    h("h2", {}, "Acceptance"),
    c.acceptance ? h("div", {}, h("p", { class: "muted" }, `for `, commitLink(c.acceptance.commit), ` · finished ${c.acceptance.finished || "?"}`),
      table("acceptance", [["check", (x) => x.id], ["result", (x) => pill({ pass: "ok", fail: "bad" }[x.result] || "stale", x.result)], ["evidence", (x) => x.evidence]], checks, "No checks."))
      : h("p", { class: "muted" }, "The site has reported no acceptance results (lucidctl accept)."),
    h("h2", {}, `History (${c.history.reports} reports, ${c.history.answered} answered since ${c.history.first || "—"})`),
    table("history", [["at", (m) => m.at], ["reachable", (m) => m.reachable ? "yes" : h("span", { class: "bad" }, m.error || "no")],
      ["applied", (m) => commitLink(m.applied)], ["healthy", (m) => m.reachable ? `${m.services_healthy}/${m.services_total}` : ""],
      ["last outcome", (m) => m.last_outcome ? outcome(m.last_outcome) : ""]], [...(c.history.changes || [])].reverse(), "No reports yet."));
}

// --- commit --------------------------------------------------------------------------------------

function diffLines(text) {
  return text.split("\n").map((line) => {
    const cls = line.startsWith("+") && !line.startsWith("+++") ? "add"
      : line.startsWith("-") && !line.startsWith("---") ? "del" : line.startsWith("@@") ? "hunk" : null;
    return h("span", { class: cls }, line + "\n");
  });
}

function renderCommit(c, wave) {
  crumbs(h("span", {}, `commit ${short(c.commit)}`));
  const sig = c.signature || {};
  const who = (p) => p ? `${p.name} <${p.email}> · ${p.time}` : "—";
  return h("div", { id: "commit", dataset: { commit: c.commit } },
    h("h1", {}, c.subject || short(c.commit), sig.verified ? pill("ok", "signed") : pill("bad", "not verified", sig.reason || sig.error)),
    h("dl", { class: "panel facts-grid" },
      h("dt", {}, "commit"), h("dd", { class: "mono" }, c.commit),
      h("dt", {}, "parents"), h("dd", {}, c.parents.length ? c.parents.map((p) => [commitLink(p), " "]) : "none"),
      h("dt", {}, "author"), h("dd", {}, who(c.author)),
      h("dt", {}, "committer"), h("dd", {}, who(c.committer)),
      h("dt", {}, "signature"), h("dd", { id: "signature" }, sig.verified
        ? `${sig.principals} · ${sig.key_type} ${sig.fingerprint} · ${sig.signer_line} (${sig.trust})`
        : h("span", { class: "bad" }, `${sig.refusal || "unverified"}: ${sig.reason || sig.error || ""}`)),
      h("dt", {}, "waves"), h("dd", {}, c.waves.length ? c.waves.map((w) => [h("a", { href: `#/wave/${w.wave}` }, w.wave), w.runs ? " (runs it) " : " (in its history) "]) : "none yet")),
    c.message.trim() !== c.subject && h("pre", {}, c.message),
    h("h2", {}, c.diff_against ? ["Changes against ", commitLink(c.diff_against), wave ? ` (what wave ${wave} runs)` : " (first parent)"] : "No diff (a root commit)"),
    c.diff_stat && h("pre", { id: "diff-stat" }, c.diff_stat),
    c.diff && h("pre", { id: "diff" }, diffLines(c.diff)),
    c.diff_truncated && h("p", { class: "muted" }, "The diff is cut at 256 KiB."),
    h("h2", {}, "On a site"),
    h("p", { class: "muted" }, "What a cluster's site will make of this commit: its rendered plan against the plan of the site's last-good commit (secrets stay references), the lint gate, and each image's verdict under the last-good commit's signer keys (with the console's --registry)."),
    h("div", { id: "preview-clusters" }, clustersOfFleet().map((id) =>
      h("button", { class: "preview", dataset: { cluster: id }, onclick: () => showPreview(c.commit, id) }, id))),
    h("div", { id: "preview" }));
}

function clustersOfFleet() {
  return state.fleet ? state.fleet.waves.flatMap((w) => w.clusters.map((c) => c.id)) : [];
}

async function showPreview(commit, cluster) {
  const box = document.getElementById("preview");
  box.replaceChildren(h("p", { class: "muted" }, `working out what ${cluster} will make of ${short(commit)}…`));
  let p;
  try {
    const r = await fetch(`/api/v1/commits/${encodeURIComponent(commit)}/clusters/${encodeURIComponent(cluster)}`);
    p = await r.json();
    if (!r.ok) throw new Error(p.error || r.statusText);
  } catch (e) {
    box.replaceChildren(h("p", { class: "bad" }, `preview failed: ${e.message}`));
    return;
  }
  const images = p.images;
  box.replaceChildren(h("div", { id: "preview-result", dataset: { cluster } },
    h("h3", {}, `${cluster}: against its last-good `, commitLink(p.last_good), ` · policies from ${p.trusted_policies}`),
    p.render_error && h("p", { class: "bad" }, `does not render: ${p.render_error}`),
    h("h3", {}, "Lint gate"),
    p.lint_gate.length ? h("ul", { class: "bad" }, p.lint_gate.map((l) => h("li", {}, l))) : h("p", { class: "ok" }, "passes"),
    h("h3", {}, "Images"),
    images === null ? h("p", { class: "muted" }, "not checked: the console runs without --registry")
      : images.error ? h("p", { class: "bad" }, images.error)
      : table("preview-images", [["service", (i) => i.service], ["verdict", (i) => i.ok ? pill("ok", "ok") : pill("bad", "refused")],
          ["digest", (i) => h("span", { class: "mono" }, (i.digest || "").slice(0, 19))], ["signer", (i) => i.signer],
          ["SBOM", (i) => `${i.sbom_packages} packages`],
          ["findings", (i) => (i.findings || []).map((f) => h("div", { class: f.level === "error" ? "bad" : "muted" }, `${f.level} ${f.check}: ${f.message}`))]],
        images.images, "No images."),
    h("h3", {}, "Plan diff"),
    p.render_error ? h("p", { class: "bad" }, "No plan to compare: the commit does not render for this cluster.")
      : p.plan_diff ? h("pre", { id: "plan-diff" }, diffLines(p.plan_diff)) : h("p", { class: "muted" }, "The plan is unchanged."),
    p.plan_diff_truncated && h("p", { class: "muted" }, "The diff is cut at 256 KiB.")));
}

// --- routing and live updates --------------------------------------------------------------------

function parseRoute() {
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query || "");
  if (parts[0] === "wave" && parts[1]) return { view: "wave", name: parts[1], api: `/api/v1/waves/${encodeURIComponent(parts[1])}` };
  if (parts[0] === "cluster" && parts[1]) return { view: "cluster", name: parts[1], api: `/api/v1/clusters/${encodeURIComponent(parts[1])}` };
  if (parts[0] === "commit" && parts[1]) {
    const wave = params.get("wave");
    return { view: "commit", name: parts[1], wave, api: `/api/v1/commits/${encodeURIComponent(parts[1])}${wave ? "?wave=" + encodeURIComponent(wave) : ""}` };
  }
  return { view: "fleet" };
}

function render() {
  renderOperator();
  renderBanner();
  const r = state.route;
  let content;
  if (r.view === "fleet") content = renderFleet();
  else if (!state.detail) content = h("p", { class: "muted" }, "Loading…");
  else if (state.detail.error) { crumbs(); content = h("p", { class: "banner" }, state.detail.error); }
  else if (r.view === "wave") content = renderWave(state.detail);
  else if (r.view === "cluster") content = renderCluster(state.detail);
  else content = renderCommit(state.detail, r.wave);
  const view = document.getElementById("view");
  // Keep what the operator was typing and which evidence was open across a live re-render.
  const typed = document.getElementById("pause-reason")?.value;
  const result = document.getElementById("action-result")?.cloneNode(true);
  view.replaceChildren(content);
  if (typed) document.getElementById("pause-reason").value = typed;
  if (result && document.getElementById("action-result")) document.getElementById("action-result").replaceWith(result);
  window.lucidConsole.renders++;
}

async function refresh() {
  const r = state.route;
  if (r.view === "fleet") return render();
  const { status, body } = await api(r.api).catch((e) => ({ status: 0, body: { error: String(e) } }));
  if (r !== state.route) return;  // the operator moved on meanwhile
  state.detail = status === 200 ? body : { error: body.error || `HTTP ${status}` };
  render();
}

function navigate() {
  const previous = state.route;
  state.route = parseRoute();
  if (!previous || previous.api !== state.route.api) state.detail = null;
  refresh();
  if (!previous || previous.view !== state.route.view) window.scrollTo(0, 0);
}

function connect() {
  const live = document.getElementById("live");
  const events = new EventSource("/api/v1/events");
  events.addEventListener("open", () => { live.className = "live on"; live.textContent = "live"; });
  events.addEventListener("error", () => { live.className = "live off"; live.textContent = "reconnecting…"; });
  events.addEventListener("fleet", (e) => {
    state.fleet = JSON.parse(e.data);
    state.receivedAt = Date.now();
    window.lucidConsole.events++;
    // The fleet view renders from the event itself; the other views ask for their detail again
    // (commits never change).
    if (state.route.view === "fleet") render();
    else if (state.route.view !== "commit") {
      clearTimeout(state.refetch);
      state.refetch = setTimeout(refresh, 100);
    } else { renderOperator(); renderBanner(); }
  });
}

window.lucidConsole = { renders: 0, events: 0 };  // counters the browser test reads
window.addEventListener("hashchange", navigate);
document.addEventListener("DOMContentLoaded", () => {
  state.route = parseRoute();
  connect();
  navigate();
  setInterval(tickAges, 1000);
});
