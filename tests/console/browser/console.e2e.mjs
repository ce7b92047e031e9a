// The console page in real headless Chromium (Debian's `chromium`, driven by playwright-core):
// `lucidctl console serve` against a local bare config repo (two waves, SSH-signed commits) and three
// simulated sites — small loopback HTTP servers of this script that serve a reconciler's /status JSON
// (no engine runs; the console, git and the browser are real).
//
//   node console.e2e.mjs PATH/TO/lucidctl        (CTest: console_browser_e2e, label e2e)
//
// Checks: the fleet page shows the three cluster cards; without a token the page offers no action; with
// the operator token entered, Promote on the second wave moves its ref in the bare repo and the page
// shows the new commit; a simulated site's health change reaches the page without a reload; the
// commit page names the signer and opens one site's preview. Exit 77 (skip) with the reason when node's
// packages, chromium, git or ssh-keygen are absent. LUCID_SCREENSHOTS=DIR saves the fleet, wave,
// cluster and commit pages there as PNG.
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync, mkdirSync, rmSync, chmodSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const lucidctl = process.argv[2];
const screenshots = process.env.LUCID_SCREENSHOTS;
let passed = 0;

function skip(why) {
  console.log(`SKIP: ${why}`);
  process.exit(77);
}
function which(program) {
  try {
    return execFileSync("sh", ["-c", `command -v ${program}`], { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
}
function check(condition, what) {
  if (!condition) throw new Error(`FAILED: ${what}`);
  passed++;
  console.log(`ok: ${what}`);
}

if (!lucidctl || !existsSync(lucidctl)) skip(`lucidctl not built (${lucidctl})`);
const chromiumPath = which("chromium");
if (!chromiumPath) skip("no chromium (Debian package `chromium`; run scripts/bootstrap)");
if (!existsSync(join(here, "node_modules", "playwright-core")))
  skip("playwright-core is not installed (scripts/bootstrap runs `npm ci` in tests/console/browser)");
for (const tool of ["git", "ssh-keygen"]) if (!which(tool)) skip(`no ${tool} (run scripts/bootstrap)`);
const { chromium } = await import("playwright-core");
process.on("unhandledRejection", (e) => console.error(`unhandled: ${e && e.stack ? e.stack : e}`));

const work = mkdtempSync(join(tmpdir(), "lucid-console-e2e-"));
const cleanup = [];
// The whole test is bounded: whatever hangs is ended.
const deadline = setTimeout(() => {
  console.error("FAILED: the test did not finish within 240 s");
  for (const f of cleanup.reverse()) f();
  process.exit(1);
}, 240_000);

// --- simulated sites -----------------------------------------------------------------------------

function statusOf(cluster, commit, healthy, services = 2) {
  const since = new Date(Date.now() - 120_000).toISOString().replace(/\.\d+Z$/, "Z");
  return {
    cluster, desired: commit, applied: commit, last_good: commit, last_good_since: since, bad_commits: [],
    services: Array.from({ length: services }, (_, i) => ({
      service: ["web", "worker", "db"][i] || `svc${i}`, container: `c0ffee00${i}`, state: "running",
      health: i < healthy ? "healthy" : "unhealthy", config_current: true,
    })),
    attempts: [{ commit, kind: "deploy", started: since, finished: since, outcome: "promoted", reasons: [] }],
    drift_corrections: [],
  };
}

async function simulatedSite(cluster) {
  const site = { cluster, status: null };
  const server = createServer((req, res) => {
    if (req.url !== "/status" || !site.status) {
      res.writeHead(503).end("simulated site not up\n");
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(site.status));
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  site.url = `http://127.0.0.1:${server.address().port}/status`;
  cleanup.push(() => server.close());
  return site;
}

// --- the config repo -----------------------------------------------------------------------------

const git = (cwd, ...args) => execFileSync("git", args, { cwd, encoding: "utf8" }).trim();

function configRepo(sites) {
  const key = join(work, "signer");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "ops@lucid", "-f", key]);
  const remote = join(work, "remote.git");
  const tree = join(work, "work");
  execFileSync("git", ["init", "-q", "--bare", "-b", "main", remote]);
  mkdirSync(tree);
  git(tree, "init", "-q", "-b", "main");
  for (const [k, v] of [["user.name", "Ops"], ["user.email", "ops@lucid.example"], ["gpg.format", "ssh"],
    ["user.signingkey", key], ["commit.gpgsign", "true"]]) git(tree, "config", k, v);
  const write = (path, text) => {
    mkdirSync(dirname(join(tree, path)), { recursive: true });
    writeFileSync(join(tree, path), text);
  };
  let yaml = "waves:\n";
  for (const w of ["canary", "core"])
    yaml += `  - name: ${w}\n    ref: wave/${w}\n    gates: [healthchecks]\n    soak: 1s\n    stale_after: 30s\n`;
  yaml += "clusters:\n";
  for (const s of sites) yaml += `  - id: ${s.cluster}\n    wave: ${s.wave}\n    profiles: [node]\n    status: ${s.url}\n`;
  write("clusters/clusters.yaml", yaml);
  const pub = execFileSync("ssh-keygen", ["-y", "-f", key], { encoding: "utf8" }).trim();
  write("policies/allowed_signers", `ops@lucid namespaces="git" ${pub}\n`);
  // The compose file as the deploy layout has it (one hardened service on the ops plane), and each
  // cluster's .env: the commit page's site preview renders it.
  const compose = (version) =>
    "services:\n  web:\n" +
    `    image: registry.lucid.local:5000/lucid/web@sha256:${version.repeat(64)}\n` +
    "    profiles: [node]\n    user: \"10001:10001\"\n    read_only: true\n    cap_drop: [ALL]\n" +
    "    security_opt: [\"no-new-privileges:true\"]\n    labels:\n      com.lucid.plane: ops\n" +
    "      com.lucid.service: web\n      com.lucid.expose: \"8080\"\n    networks: [ops]\n" +
    "    healthcheck:\n      test: [\"CMD\", \"/web\", \"health\"]\n" +
    "networks:\n  ops: {internal: true}\n  chain: {internal: true}\n  wallet: {internal: true}\n";
  write("infrastructure/compose/docker-compose.yml", compose("1"));
  for (const s of sites) write(`clusters/${s.cluster}/.env`, `CLUSTER_ID=${s.cluster}\nPROFILES=node\n`);
  git(tree, "add", "-A");
  git(tree, "commit", "-q", "-m", "Fleet: canary and core");
  const first = git(tree, "rev-parse", "HEAD");
  git(tree, "push", "-q", remote, "HEAD:refs/heads/main", "HEAD:refs/heads/wave/canary", "HEAD:refs/heads/wave/core");
  write("infrastructure/compose/docker-compose.yml", compose("2"));
  git(tree, "commit", "-q", "-am", "web 2: the new image");
  const second = git(tree, "rev-parse", "HEAD");
  git(tree, "push", "-q", remote, "HEAD:refs/heads/main", "HEAD:refs/heads/wave/canary");
  return { key, remote, first, second };
}

// --- the console ---------------------------------------------------------------------------------

function startConsole(repo, tokenFile) {
  const child = spawn(lucidctl, ["console", "serve", "--repo", `file://${repo.remote}`, "--dir", join(work, "console"),
    "--listen", "127.0.0.1:0", "--token-file", tokenFile, "--interval", "300ms", "--fetch-interval", "1s",
    "--signing-key", repo.key], { stdio: ["ignore", "pipe", "pipe"] });
  cleanup.push(() => child.kill("SIGKILL"));
  let err = "";
  child.stderr.on("data", (d) => { err += d; });
  return new Promise((ok, fail) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/console: (http:\/\/\S+)/);
      if (m) ok({ child, url: m[1] });
    });
    child.on("exit", (code) => fail(new Error(`lucidctl console serve exited ${code}: ${err}`)));
  });
}

async function shot(page, name) {
  if (!screenshots) return;
  mkdirSync(screenshots, { recursive: true });
  await page.mouse.move(5, 790);  // no hover effects in the pictures
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
  console.log(`screenshot: ${join(screenshots, name + ".png")}`);
}

let code = 0;
try {
  const [a, b, c] = await Promise.all(["site-a", "site-b", "site-c"].map(simulatedSite));
  a.wave = "canary";
  b.wave = c.wave = "core";
  const repo = configRepo([a, b, c]);
  // The canary site runs the second commit, healthy for two minutes (soak 1s); core runs the first.
  a.status = statusOf("site-a", repo.second, 2);
  b.status = statusOf("site-b", repo.first, 2);
  c.status = statusOf("site-c", repo.first, 3, 3);
  const token = "e2e-operator-token-" + Math.random().toString(16).slice(2);
  const tokenFile = join(work, "token");
  writeFileSync(tokenFile, token + "\n");
  chmodSync(tokenFile, 0o600);
  const consoleProcess = await startConsole(repo, tokenFile);
  console.log(`console at ${consoleProcess.url}`);

  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"] });
  cleanup.push(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1360, height: 820 } });
  page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  await page.goto(consoleProcess.url);

  // Fleet: three cards, in two wave columns.
  await page.waitForFunction(() => document.querySelectorAll(".card[data-state='ok']").length === 3, null, { timeout: 30_000 });
  const cards = await page.$$eval(".card", (els) => els.map((e) => e.dataset.cluster).sort());
  check(JSON.stringify(cards) === JSON.stringify(["site-a", "site-b", "site-c"]), "the fleet page shows the three cluster cards");
  const columns = await page.$$eval(".wave", (els) => els.map((e) => e.dataset.wave));
  check(JSON.stringify(columns) === JSON.stringify(["canary", "core"]), "waves are columns in rollout order");
  // A mark that a reload would wipe: the page must keep it to the end.
  await page.evaluate(() => { window.__noReload = "still here"; });
  await shot(page, "fleet");

  // Without the operator token the page is read-only: the wave page offers no action.
  await page.click(".wave[data-wave='core'] a.name");
  await page.waitForSelector("#wave[data-wave='core']");
  await page.waitForFunction(() => /Enter the operator token/.test(document.body.textContent), null, { timeout: 15_000 });
  check((await page.$$("#promote, #pause, #rollback")).length === 0, "without the token the wave page has no action buttons");

  // Operator token, then the core wave's page: promotion is ready once the canary gates hold.
  await page.fill("#token", token);
  await page.click("#save-token");
  await page.waitForSelector("#wave[data-wave='core']");
  await page.waitForFunction(() => /Ready: promotion moves/.test(document.body.textContent), null, { timeout: 30_000 });
  await page.waitForSelector("#promote");
  await shot(page, "wave");
  await page.click("#promote");
  await page.waitForSelector("#action-outcome", { timeout: 30_000 });
  const outcome = await page.$eval("#action-outcome", (e) => [e.dataset.status, e.textContent]);
  check(outcome[0] === "200", `promote answered 200 (${outcome[1].slice(0, 200)})`);
  const moved = git(work, "--git-dir", repo.remote, "rev-parse", "refs/heads/wave/core");
  check(moved === repo.second, "the core wave's ref moved to the second commit in the bare repo");
  await page.waitForSelector(`#wave[data-commit='${repo.second}']`, { timeout: 15_000 });
  check(true, "the wave page shows the new commit");

  // Back to the fleet; a simulated site turns unhealthy: its card turns red, without a reload.
  await page.click("a.brand");
  await page.waitForSelector(".card[data-cluster='site-b']");
  b.status = statusOf("site-b", repo.first, 0);
  await page.waitForSelector(".card[data-cluster='site-b'][data-state='bad']", { timeout: 20_000 });
  const facts = await page.$eval(".card[data-cluster='site-b']", (e) => e.textContent);
  check(/0\/2 healthy/.test(facts), `the site-b card shows 0/2 healthy (${facts})`);
  check((await page.evaluate(() => window.__noReload)) === "still here", "the page updated without a reload");
  check((await page.evaluate(() => window.lucidConsole.events)) >= 2, "the updates came as server-sent events");
  await shot(page, "fleet-unhealthy");

  // Cluster and commit pages.
  await page.click(".card[data-cluster='site-b']");
  await page.waitForSelector("#cluster[data-cluster='site-b'] #services");
  check((await page.$$eval("#services tbody tr", (r) => r.length)) === 2, "the cluster page lists the site's services");
  await shot(page, "cluster");
  await page.evaluate((id) => { location.hash = `#/commit/${id}`; }, repo.second);
  await page.waitForSelector(`#commit[data-commit='${repo.second}'] #diff`);
  const signature = await page.$eval("#signature", (e) => e.textContent);
  check(/ops@lucid/.test(signature), `the commit page names the signer (${signature})`);
  // What one site would make of it: the preview against that site's last-good commit.
  await page.click("button.preview[data-cluster='site-b']");
  await page.waitForSelector("#preview-result[data-cluster='site-b']", { timeout: 30_000 });
  const preview = await page.$eval("#preview-result", (e) => e.textContent);
  check(/Lint gate/.test(preview) && !/does not render/.test(preview), `the commit page shows site-b's preview (${preview.slice(0, 80)})`);
  const planDiff = await page.$eval("#plan-diff", (e) => e.textContent);
  check(planDiff.includes("sha256:" + "2".repeat(64)), "site-b's plan diff shows the new image");
  await shot(page, "commit");
  check((await page.evaluate(() => window.__noReload)) === "still here", "no page load happened in the whole run");

  await browser.close();
  consoleProcess.child.kill("SIGTERM");
  const exit = await new Promise((ok) => consoleProcess.child.on("exit", (c2) => ok(c2)));
  check(exit === 0, "lucidctl console serve ends with 0 on SIGTERM");
} catch (e) {
  console.error(e.stack || String(e));
  code = 1;
} finally {
  clearTimeout(deadline);
  for (const f of cleanup.reverse()) {
    try {
      Promise.resolve(f()).catch(() => {});
    } catch { /* already gone */ }
  }
  rmSync(work, { recursive: true, force: true });
}
console.log(`${passed} passed, ${code} failed`);
process.exit(code);
