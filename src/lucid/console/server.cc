#include "lucid/console/server.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <fstream>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/number.h"
#include "lucid/base/temp_dir.h"
#include "lucid/base/text.h"
#include "lucid/base/time.h"
#include "lucid/console/commit_preview.h"
#include "lucid/console/web_assets.h"
#include "lucid/crypto/blake3.h"
#include "lucid/crypto/constant_time.h"
#include "lucid/gitsig/git_repo.h"
#include "lucid/gitsig/verify_commit.h"

namespace lucid::console {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using namespace std::chrono_literals;

constexpr std::size_t kMaxDiffBytes = 256 * 1024;  // a commit's patch shown in the page
constexpr std::int64_t kTimelineEntries = 50;      // a cluster's history: the newest transitions

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Headers every answer carries: the page loads only its own scripts and styles, is never framed,
// and nothing is sniffed or sent as a referrer.
std::vector<std::pair<std::string, std::string>> base_headers() {
  return {
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
      {"Cache-Control", "no-store"}};
}

http::Response json_response(int status, const Json& body) {
  return {status, "application/json", body.dump() + "\n", base_headers()};
}

http::Response error_response(int status, const std::string& message) {
  return json_response(status, Json{{"error", message}});
}

int status_of(const Error& e) {
  switch (e.kind) {
    case ErrorKind::kInvalidArgument:
      return 400;
    case ErrorKind::kNotFound:
      return 404;
    default:
      return 500;
  }
}

std::string str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Removes what changes with the clock alone (ages, soak seconds, the numbers in gate reasons), so that
// a new `fleet` event is sent when something happened, not every second; the page ticks ages itself.
void strip_clock(Json& j) {
  if (j.is_object()) {
    for (const char* key : {"now", "report_age_seconds", "held_seconds"}) j.erase(key);
    if (auto r = j.find("reason"); r != j.end() && r->is_string()) {
      std::string text = r->get<std::string>();
      for (auto& c : text)
        if (std::isdigit(static_cast<unsigned char>(c))) c = '#';
      *r = text;
    }
    for (auto& [k, v] : j.items()) strip_clock(v);
  } else if (j.is_array()) {
    for (auto& v : j) strip_clock(v);
  }
}

bool is_hex_id(std::string_view s) {
  return s.size() >= 4 && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// A wave or cluster name from a URL: what clusters.yaml allows, nothing that could reach git as an option.
bool is_name(std::string_view s) {
  return !s.empty() && s.size() <= 128 && s.front() != '-' && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

// "Name <email> 1700000000 +0100" → {name, email, time (RFC 3339 UTC)}.
Json person(const std::string& line) {
  Json j;
  auto lt = line.find('<'), gt = line.find('>');
  if (lt == std::string::npos || gt == std::string::npos || gt < lt) return Json{{"raw", line}};
  std::string name = line.substr(0, lt);
  while (!name.empty() && name.back() == ' ') name.pop_back();
  j["name"] = name;
  j["email"] = line.substr(lt + 1, gt - lt - 1);
  const std::string_view rest = trim(std::string_view(line).substr(gt + 1));  // "1700000000 +0100"
  auto seconds = parse_number<std::int64_t>(rest.substr(0, rest.find(' ')), "time");
  j["time"] = seconds ? rfc3339(static_cast<std::time_t>(*seconds)) : std::string();
  return j;
}

// Printable ASCII, bounded: a name an operator gives ends up in commit and tag messages.
std::string clean_actor(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c >= 0x20 && c < 0x7f && out.size() < 64) out += c;
  return out;
}

// Observations a cluster summary needs from one status: what changes are worth a timeline entry.
Json moment(const rollout::Observation& o) {
  Json m = {{"at", rfc3339(static_cast<std::time_t>(o.polled_at))}, {"reachable", o.reachable}};
  if (!o.reachable) {
    m["error"] = o.error;
    return m;
  }
  m["applied"] = str(o.status, "applied");
  m["last_good"] = str(o.status, "last_good");
  std::size_t healthy = 0, total = 0;
  if (auto s = o.status.find("services"); s != o.status.end() && s->is_array())
    for (const auto& svc : *s) {
      ++total;
      const std::string h = str(svc, "health");
      healthy += (h == "healthy" || (h.empty() && str(svc, "state") == "running")) ? 1 : 0;
    }
  m["services_healthy"] = healthy;
  m["services_total"] = total;
  if (auto a = o.status.find("attempts"); a != o.status.end() && a->is_array() && !a->empty())
    m["last_outcome"] = str((*a)[0], "outcome");
  return m;
}

}  // namespace

Result<std::string> read_token_file(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0)
    return fail(ErrorKind::kNotFound, fmt::format("token file {}: cannot read it", file.string()));
  if ((st.st_mode & 077) != 0)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("token file {} may be read by others (mode {:o}): chmod 600 it", file.string(),
                            st.st_mode & 0777));
  auto text = read_text_file(file);
  if (!text) return std::unexpected(text.error());
  std::string token = text->substr(0, text->find('\n'));
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front()))) token.erase(0, 1);
  if (token.size() < 16)
    return fail(
        ErrorKind::kInvalidArgument,
        fmt::format("token file {}: the token must be at least 16 characters (e.g. `openssl rand -hex 32`)",
                    file.string()));
  return token;
}

ConsoleService::ConsoleService(ConsoleOptions options, rollout::ConfigRepo repo, HistoryStore store)
    : options_(std::move(options)),
      repo_(std::move(repo)),
      store_(std::move(store)),
      poller_(store_, options_.poll) {
  // What this console paused before a restart stays done: an operator's resume is not undone.
  if (auto done = store_.automatic_pauses(); done) paused_for_ = std::move(*done);
}

Result<std::unique_ptr<ConsoleService>> ConsoleService::start(ConsoleOptions options) {
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec)
    return fail(ErrorKind::kIo, fmt::format("console directory {}: {}", options.dir.string(), ec.message()));
  auto repo = rollout::ConfigRepo::open(options.repo_url, options.dir / "repo.git");
  if (!repo) return std::unexpected(repo.error());
  auto store = HistoryStore::open(options.dir / "history.db", options.keep_history);
  if (!store) return std::unexpected(store.error());
  std::unique_ptr<ConsoleService> s(
      new ConsoleService(std::move(options), std::move(*repo), std::move(*store)));
  s->step(now_ms(), true);
  http::ServerOptions so;
  so.max_streams = s->options_.max_streams;
  so.max_connections = s->options_.max_streams + 32;
  // Operators reach the console through an SSH tunnel or a proxy: many browsers, one peer address.
  so.max_connections_per_peer = so.max_connections;
  auto server = http::Server::start(
      {s->options_.listen}, [p = s.get()](const http::Request& r) { return p->handle(r); }, so);
  if (!server) return std::unexpected(server.error());
  s->server_ = std::move(*server);
  s->loop_ = std::thread([p = s.get()] { p->loop(); });
  return s;
}

ConsoleService::~ConsoleService() {
  stop();
}

std::string ConsoleService::url() const {
  return fmt::format("http://{}:{}/", options_.listen.substr(0, options_.listen.rfind(':')), port());
}

void ConsoleService::stop() {
  {
    std::lock_guard lock(state_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  changed_.notify_all();
  if (loop_.joinable()) loop_.join();
  if (server_) server_->stop();
}

void ConsoleService::loop() {
  std::int64_t last_fetch = now_ms();
  while (true) {
    {
      std::unique_lock lock(state_mu_);
      changed_.wait_for(lock, options_.tick, [&] { return stopping_ || refresh_requested_; });
      if (stopping_) return;
      refresh_requested_ = false;
    }
    const std::int64_t t = now_ms();
    const bool fetch_due = t - last_fetch >= options_.fetch_interval.count();
    if (fetch_due) last_fetch = t;
    step(t, fetch_due);
  }
}

void ConsoleService::step(std::int64_t t, bool fetch) {
  bool dirty = false;
  if (fetch) {
    std::lock_guard lock(repo_mu_);
    auto fetched = repo_.fetch();
    std::lock_guard state(state_mu_);
    fetch_error_ = fetched ? std::string() : fetched.error().message;
    if (fetched) fetched_at_ = t / 1000;
    dirty = true;
  }
  std::optional<rollout::FleetDefinition> def;
  {
    std::lock_guard state(state_mu_);
    def = definition_;
  }
  if (fetch || !def) {
    auto loaded = rollout::current_definition(repo_);
    std::lock_guard state(state_mu_);
    if (loaded) {
      definition_ = *loaded;
      def = std::move(*loaded);
    } else {
      view_error_ = loaded.error().message;
    }
  }
  if (def && !poller_.poll_due(*def, t).empty()) dirty = true;
  // Soak progress and staleness move with the clock alone: judge again every few seconds anyway.
  if (dirty || t - last_view_ms_ >= 5000) {
    last_view_ms_ = t;
    refresh_view(t / 1000);
  }
}

rollout::History ConsoleService::history_fn(std::int64_t now) const {
  // Enough history for the longest soak and stale bound, with a margin; not the whole store.
  std::int64_t window = 600;
  {
    std::lock_guard lock(state_mu_);
    if (definition_)
      for (const auto& w : definition_->waves)
        window = std::max<std::int64_t>(window, w.soak.count() + w.stale_after.count() + 300);
  }
  const std::int64_t since = now - window;
  return [this, since](const std::string& cluster) {
    auto h = store_.history(cluster, since);
    return h ? std::move(*h) : std::vector<rollout::Observation>{};
  };
}

void ConsoleService::refresh_view(std::int64_t now) {
  std::lock_guard refreshing(refresh_mu_);
  auto history = history_fn(now);
  auto view = rollout::fleet_view(repo_, history, now);
  if (view) {
    // A gate that failed after promotion pauses the next wave (once per wave and commit).
    std::lock_guard lock(repo_mu_);
    const std::set<std::string> before = paused_for_;
    auto paused = rollout::pause_after_failures(repo_, *view, options_.signing, now, paused_for_);
    std::string remember_error;
    for (const auto& key : paused_for_)
      if (!before.contains(key))
        if (auto kept = store_.record_automatic_pause(key, now); !kept)
          remember_error = "automatic pause not remembered across a restart: " + kept.error().message;
    if (paused && !paused->empty())
      if (auto again = rollout::fleet_view(repo_, history, now); again) view = std::move(again);
    std::lock_guard state(state_mu_);
    pause_error_ = paused ? remember_error : "automatic pause: " + paused.error().message;
  }
  // The JSON is built outside state_mu_: at a thousand clusters it takes tens of milliseconds, and
  // requests for the fleet (which only take the published string) must not wait for it. refresh_mu_
  // keeps recomputations one at a time, so fingerprint_ and version_ change only here.
  std::shared_ptr<const std::string> previous;
  std::string errors;
  Json console = {{"actions_enabled", !options_.token.empty()}, {"repo", repo_.url()}};
  {
    std::lock_guard state(state_mu_);
    if (view)
      view_error_.clear();
    else
      view_error_ = view.error().message;
    previous = fleet_json_;
    errors = fetch_error_ + view_error_ + pause_error_;
    console["fetched_at"] = fetched_at_ > 0 ? rfc3339(static_cast<std::time_t>(fetched_at_)) : "";
    console["fetch_error"] = fetch_error_;
    console["view_error"] = view_error_;
    console["pause_error"] = pause_error_;
  }
  Json doc;
  if (view)
    doc = rollout::to_json(*view);
  else
    doc = previous ? Json::parse(*previous) : Json{{"waves", Json::array()}};
  doc.erase("console");
  Json fp = doc;
  strip_clock(fp);
  std::string fingerprint = fp.dump() + errors;
  const bool changed = fingerprint != fingerprint_;
  console["version"] = version_ + (changed ? 1 : 0);
  doc["console"] = std::move(console);
  auto json = std::make_shared<const std::string>(doc.dump());
  std::optional<rollout::FleetView> old_view;  // freed after the lock is released
  {
    std::lock_guard state(state_mu_);
    if (view) {
      old_view = std::move(view_);
      view_ = std::move(*view);
    }
    fleet_json_.swap(json);
    if (changed) {
      fingerprint_ = std::move(fingerprint);
      ++version_;
    }
  }
  if (changed) changed_.notify_all();
}

void ConsoleService::request_refresh() {
  {
    std::lock_guard lock(state_mu_);
    refresh_requested_ = true;
  }
  changed_.notify_all();
}

bool ConsoleService::host_allowed(const http::Request& req) const {
  // DNS rebinding: a page of another origin that resolves its name to 127.0.0.1 must not read the API.
  // On a loopback listener only loopback names are accepted.
  if (!req.local_ip.starts_with("127.")) return true;
  auto it = req.headers.find("host");
  if (it == req.headers.end()) return false;
  std::string host = it->second;
  if (host.starts_with("[")) {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.rfind(':'));
  }
  return host == "localhost" || host.starts_with("127.") || host == "[::1]";
}

bool ConsoleService::authorized(const http::Request& req) const {
  auto it = req.headers.find("authorization");
  if (it == req.headers.end() || !it->second.starts_with("Bearer ")) return false;
  std::string_view given = std::string_view(it->second).substr(7);
  // Hashes of equal length compared in constant time: neither the token's bytes nor its length leak.
  auto a = crypto::blake3({reinterpret_cast<const std::uint8_t*>(given.data()), given.size()});
  auto b =
      crypto::blake3({reinterpret_cast<const std::uint8_t*>(options_.token.data()), options_.token.size()});
  return crypto::equal_constant_time(a, b);
}

http::Response ConsoleService::handle(const http::Request& req) {
  if (!host_allowed(req))
    return error_response(403, "Host header not allowed: use http://127.0.0.1 or localhost");
  std::string path = req.target.substr(0, req.target.find('?'));
  std::string query =
      req.target.find('?') == std::string::npos ? "" : req.target.substr(req.target.find('?') + 1);
  if (path.starts_with("/api/v1/waves/") && req.method == "POST") {
    std::string rest = path.substr(14);
    auto slash = rest.find('/');
    if (slash == std::string::npos) return error_response(404, "POST /api/v1/waves/<wave>/<action>");
    return route_action(req, rest.substr(0, slash), rest.substr(slash + 1));
  }
  if (req.method != "GET" && req.method != "HEAD") {
    auto r = error_response(405, "only GET here (actions: POST /api/v1/waves/<wave>/<action>)");
    r.headers.push_back({"Allow", "GET"});
    return r;
  }
  return route_get(req, path, query);
}

http::Response ConsoleService::route_get(const http::Request& req, const std::string& path,
                                         const std::string& query) {
  if (path == "/api/v1/fleet") return fleet();
  if (path == "/api/v1/events") return events();
  if (path.starts_with("/api/v1/waves/")) return wave(path.substr(14));
  if (path.starts_with("/api/v1/clusters/")) return cluster(path.substr(17));
  if (path.starts_with("/api/v1/commits/")) {
    const std::string rest = path.substr(16);
    if (auto at = rest.find("/clusters/"); at != std::string::npos)
      return commit_on_cluster(rest.substr(0, at), rest.substr(at + 10));
    return commit(rest, query);
  }
  if (path.starts_with("/api/")) return error_response(404, "no such endpoint (docs/console.md lists them)");
  if (path == "/" || path == "/index.html") return asset(req, "index.html");
  if (path.starts_with("/assets/")) return asset(req, path.substr(8));
  return {404, "text/plain", "not found\n", base_headers()};
}

http::Response ConsoleService::asset(const http::Request& req, const std::string& name) {
  for (const auto& a : web_assets()) {
    if (a.name != name) continue;
    auto headers = base_headers();
    headers.back() = {"Cache-Control", "no-cache"};  // revalidate: the ETag makes that one small request
    headers.push_back({"ETag", std::string(a.etag)});
    if (auto inm = req.headers.find("if-none-match"); inm != req.headers.end() && inm->second == a.etag)
      return {304, std::string(a.content_type), "", headers};
    return {200, std::string(a.content_type), std::string(a.body), headers};
  }
  return {404, "text/plain", "not found\n", base_headers()};
}

std::shared_ptr<const std::string> ConsoleService::fleet_json() const {
  std::lock_guard lock(state_mu_);
  return fleet_json_;
}

http::Response ConsoleService::fleet() {
  // The published string is shared, not copied under the lock: at a thousand clusters it is about a
  // megabyte, and every request copying it while holding state_mu_ queued the others behind it.
  auto json = fleet_json();
  std::string body;
  body.reserve((json ? json->size() : 0) + 1);
  if (json) body += *json;
  body += '\n';
  return {200, "application/json", std::move(body), base_headers()};
}

http::Response ConsoleService::events() {
  http::Response r;
  r.content_type = "text/event-stream";
  r.headers = base_headers();
  r.headers.push_back({"X-Accel-Buffering", "no"});
  r.stream = [this](http::Stream& s) {
    std::uint64_t seen = 0;
    std::shared_ptr<const std::string> data;
    {
      std::lock_guard lock(state_mu_);
      seen = version_;
      data = fleet_json_;
    }
    // An event is written in pieces, without copying the fleet (about a megabyte at 1,000 clusters).
    auto send = [&](std::string_view head) {
      return s.write(head) && s.write(data ? std::string_view(*data) : std::string_view()) && s.write("\n\n");
    };
    // The current fleet first, so a client that reconnects is up to date at once.
    if (!send("retry: 2000\nevent: fleet\ndata: ")) return;
    while (true) {
      bool changed = false;
      {
        std::unique_lock lock(state_mu_);
        changed = changed_.wait_for(lock, s.stop_token(), 15s, [&] { return stopping_ || version_ != seen; });
        if (stopping_ || s.stop_token().stop_requested()) return;
        if (changed) {
          seen = version_;
          data = fleet_json_;
        }
      }
      // A comment every 15 s keeps proxies from closing the stream and finds clients that left.
      if (!(changed ? send("event: fleet\ndata: ") : s.write(": keep-alive\n\n"))) return;
    }
  };
  return r;
}

http::Response ConsoleService::wave(const std::string& name) {
  if (!is_name(name)) return error_response(400, "bad wave name");
  Json out;
  {
    auto json = fleet_json();  // parsed outside the lock
    if (!json || json->empty()) return error_response(503, "the fleet view is not ready yet");
    Json doc = Json::parse(*json);
    const Json* prev = nullptr;
    for (std::size_t i = 0; i < doc["waves"].size(); ++i) {
      const Json& w = doc["waves"][i];
      if (w["name"] == name) {
        out = w;
        out["index"] = i;
        out["previous"] = prev != nullptr ? (*prev)["name"] : Json();
        out["next"] = i + 1 < doc["waves"].size() ? doc["waves"][i + 1]["name"] : Json();
        if (prev != nullptr) out["previous_wave"] = *prev;
        out["console"] = doc["console"];
        break;
      }
      prev = &w;
    }
  }
  if (out.is_null()) return error_response(404, fmt::format("no wave '{}' in clusters/clusters.yaml", name));
  // What a promotion would do now: the same function as the action, without changing anything.
  const std::int64_t now = now_ms() / 1000;
  rollout::PromoteRequest preview;
  preview.wave = name;
  preview.dry_run = true;
  if (auto p = rollout::promote(repo_, history_fn(now), preview, now); p) {
    Json pj = p->to_json();
    if (p->detail.size() > kMaxDiffBytes) pj["detail"] = p->detail.substr(0, kMaxDiffBytes) + "\n… (cut)\n";
    out["promotion"] = pj;
  } else {
    out["promotion"] = {{"error", p.error().message}};
  }
  return json_response(200, out);
}

http::Response ConsoleService::cluster(const std::string& id) {
  if (!is_name(id)) return error_response(400, "bad cluster id");
  Json out;
  std::int64_t stale_after = rollout::kDefaultStaleAfter.count();
  {
    std::lock_guard lock(state_mu_);
    const rollout::ClusterDefinition* def = nullptr;
    if (definition_)
      for (const auto& c : definition_->clusters)
        if (c.id == id) def = &c;
    if (def == nullptr)
      return error_response(404, fmt::format("no cluster '{}' in clusters/clusters.yaml", id));
    out["cluster"] = id;
    out["wave"] = def->wave;
    out["profiles"] = def->profiles;
    out["status_url"] = def->status_url;
    if (const auto* w = definition_->find_wave(def->wave)) stale_after = w->stale_after.count();
    if (view_)
      for (const auto& w : view_->waves)
        for (const auto& c : w.clusters)
          if (c.id == id) {
            out["wave_commit"] = w.commit;
            out["stale"] = c.stale;
            out["report_age_seconds"] = c.report_age;
            out["gates"] = Json::array();
            for (const auto& g : c.gates) out["gates"].push_back(rollout::to_json(g));
          }
  }
  out["stale_after_seconds"] = stale_after;
  const std::int64_t now = now_ms() / 1000;
  auto history = store_.history(id, now - options_.keep_history.count());
  if (!history) return error_response(500, history.error().message);
  Json status;
  if (!history->empty()) {
    const auto& latest = history->back();
    out["latest"] = {{"polled_at", rfc3339(static_cast<std::time_t>(latest.polled_at))},
                     {"reachable", latest.reachable},
                     {"error", latest.error}};
    for (auto it = history->rbegin(); it != history->rend(); ++it)
      if (it->reachable) {
        status = it->status;
        out["status_polled_at"] = rfc3339(static_cast<std::time_t>(it->polled_at));
        break;
      }
  }
  out["status"] = status;
  // Bad commits and why: the reasons of the newest attempt of each that did not end well, looked up in
  // every report still kept (a site's status lists only its newest attempts).
  Json bad = Json::array();
  if (auto b = status.find("bad_commits"); b != status.end() && b->is_array())
    for (const auto& c : *b) {
      if (!c.is_string()) continue;
      Json entry = {{"commit", c}, {"outcome", ""}, {"reasons", Json::array()}, {"started", ""}};
      for (auto it = history->rbegin(); it != history->rend() && entry["outcome"] == ""; ++it) {
        if (!it->reachable) continue;
        auto a = it->status.find("attempts");
        if (a == it->status.end() || !a->is_array()) continue;
        for (const auto& at : *a)
          if (str(at, "commit") == c && !str(at, "outcome").empty() && str(at, "outcome") != "promoted") {
            entry["outcome"] = str(at, "outcome");
            entry["reasons"] = at.value("reasons", nlohmann::json::array());
            entry["started"] = str(at, "started");
            break;
          }
      }
      bad.push_back(std::move(entry));
    }
  out["bad_commits"] = bad;
  for (const char* key : {"attempts", "drift_corrections", "services"})
    out[key] = status.is_object() && status.contains(key) ? Json(status[key]) : Json::array();
  out["acceptance"] =
      status.is_object() && status.contains("acceptance") ? Json(status["acceptance"]) : Json();
  // The history in brief: how many reports, how many answered, and the moments something changed.
  std::size_t reachable = 0;
  Json timeline = Json::array();
  Json last;
  for (const auto& o : *history) {
    reachable += o.reachable ? 1 : 0;
    Json m = moment(o);
    Json key = m;
    key.erase("at");
    if (key != last) {
      timeline.push_back(m);
      last = std::move(key);
    }
  }
  if (static_cast<std::int64_t>(timeline.size()) > kTimelineEntries)
    timeline.erase(timeline.begin(), timeline.end() - kTimelineEntries);
  out["history"] = {
      {"kept_seconds", options_.keep_history.count()},
      {"reports", history->size()},
      {"answered", reachable},
      {"first", history->empty() ? "" : rfc3339(static_cast<std::time_t>(history->front().polled_at))},
      {"changes", timeline}};
  return json_response(200, out);
}

// What the cluster's site will make of the commit (commit_preview.h): its plan against the plan of the
// site's last-good commit, the lint gate and, with --registry, the image verdicts.
http::Response ConsoleService::commit_on_cluster(const std::string& sha, const std::string& cluster) {
  if (!is_hex_id(sha)) return error_response(400, "a commit id is 4 to 64 lower-case hex digits");
  auto id = repo_.resolve(sha);
  if (!id) return error_response(500, id.error().message);
  if (id->empty()) return error_response(404, fmt::format("no commit {} in the console's clone", sha));
  bool known = false;
  {
    std::lock_guard lock(state_mu_);
    if (definition_)
      for (const auto& c : definition_->clusters) known = known || c.id == cluster;
  }
  if (!known) return error_response(404, fmt::format("no cluster '{}' in clusters/clusters.yaml", cluster));
  std::string last_good;
  auto latest = store_.history(cluster, 0);
  if (latest)
    for (auto it = latest->rbegin(); it != latest->rend(); ++it)
      if (it->reachable && it->status.is_object()) {
        last_good = it->status.value("last_good", "");
        break;
      }
  // The site's last-good commit may be one the console has not fetched (yet): then no diff base.
  if (!last_good.empty())
    if (auto have = repo_.resolve(last_good); !have || have->empty()) last_good.clear();
  PreviewRequest q{repo_.dir(), *id, cluster, last_good, options_.registry};
  auto preview = preview_commit(q);
  if (!preview) return error_response(500, preview.error().message);
  return {200, "application/json", preview->dump() + "\n", base_headers()};
}

http::Response ConsoleService::commit(const std::string& sha, const std::string& query) {
  if (!is_hex_id(sha)) return error_response(400, "a commit id is 4 to 64 lower-case hex digits");
  auto id = repo_.resolve(sha);
  if (!id) return error_response(500, id.error().message);
  if (id->empty()) return error_response(404, fmt::format("no commit {} in the console's clone", sha));
  const std::string repo_dir = repo_.dir().string();
  auto raw = gitsig::read_commit_object(repo_dir, *id);
  if (!raw) return error_response(500, raw.error().message);
  Json out;
  out["commit"] = *id;
  out["parents"] = Json::array();
  std::size_t pos = 0;
  // Headers up to the blank line; the signature (gpgsig and its continuation lines) is not shown raw.
  while (pos < raw->size()) {
    auto nl = raw->find('\n', pos);
    if (nl == std::string::npos) nl = raw->size();
    std::string line = raw->substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) break;
    if (line.starts_with("tree ")) out["tree"] = line.substr(5);
    if (line.starts_with("parent ")) out["parents"].push_back(line.substr(7));
    if (line.starts_with("author ")) out["author"] = person(line.substr(7));
    if (line.starts_with("committer ")) out["committer"] = person(line.substr(10));
  }
  out["message"] = pos < raw->size() ? raw->substr(pos) : "";
  auto subject = repo_.subject(*id);
  out["subject"] = subject ? *subject : "";

  // The signature, judged against the allowed signers of the config repo's default branch (what the
  // console trusts now), written to a private file for the verifier.
  std::string config_commit;
  std::vector<std::pair<std::string, std::string>> waves;  // name, commit
  {
    std::lock_guard lock(state_mu_);
    if (view_) {
      config_commit = view_->config_commit;
      for (const auto& w : view_->waves) waves.emplace_back(w.definition.name, w.commit);
    }
  }
  Json sig = {{"verified", false}};
  auto signers = config_commit.empty()
                     ? Result<std::optional<std::string>>(std::nullopt)
                     : repo_.read_file(config_commit, std::string(gitsig::kAllowedSignersPath));
  auto tmp = PrivateTempDir::create("lucid-console-");
  if (signers && *signers && tmp) {
    const fs::path file = tmp->path() / "allowed_signers";
    std::ofstream(file) << **signers;
    auto verdict = gitsig::verify_commit(repo_dir, *id, gitsig::TrustRoot{file.string(), std::nullopt});
    if (!verdict) {
      sig["error"] = verdict.error().message;
    } else {
      sig["verified"] = verdict->accepted();
      sig["principals"] = verdict->principals;
      sig["key_type"] = verdict->key_type;
      sig["fingerprint"] = verdict->fingerprint;
      sig["signer_line"] =
          verdict->signer_line.empty()
              ? ""
              : fmt::format("{}:{}", gitsig::kAllowedSignersPath,
                            verdict->signer_line.substr(verdict->signer_line.rfind(':') + 1));
      sig["trust"] = fmt::format("{} at {}", gitsig::kAllowedSignersPath, config_commit.substr(0, 12));
      if (verdict->refusal) {
        sig["refusal"] = std::string(gitsig::refusal_code(*verdict->refusal));
        sig["reason"] = verdict->reason;
      }
    }
  } else {
    sig["error"] = signers && !*signers
                       ? fmt::format("the config repo has no {}", gitsig::kAllowedSignersPath)
                       : "the signature cannot be checked now";
  }
  out["signature"] = sig;

  // Which waves run it, or have it in their history.
  out["waves"] = Json::array();
  for (const auto& [name, at] : waves) {
    if (at.empty()) continue;
    auto contains = repo_.is_ancestor(*id, at);
    if (at == *id)
      out["waves"].push_back({{"wave", name}, {"runs", true}});
    else if (contains && *contains)
      out["waves"].push_back({{"wave", name}, {"runs", false}});
  }

  // The diff: against ?against=<commit>, else what ?wave=<name> runs (what promoting it there would
  // change), else the first parent. The repo holds only SOPS-encrypted secrets: no value is shown.
  std::string against = http::query_param(fmt::format("?{}", query), "against").value_or("");
  const std::string wave_name = http::query_param(fmt::format("?{}", query), "wave").value_or("");
  if (!against.empty() && !is_hex_id(against)) return error_response(400, "against: a commit id");
  if (against.empty() && !wave_name.empty())
    for (const auto& [name, at] : waves)
      if (name == wave_name) against = at;
  if (against.empty() && !out["parents"].empty()) against = out["parents"][0].get<std::string>();
  out["diff_against"] = against;
  out["diff_stat"] = "";
  out["diff"] = "";
  if (!against.empty() && against != *id) {
    auto from = repo_.resolve(against);
    if (from && !from->empty()) {
      out["diff_against"] = *from;
      auto d = repo_.diff(*from, *id);
      if (d) {
        auto patch = d->find("diff --git ");
        std::string stat = d->substr(0, patch);
        while (!stat.empty() && std::isspace(static_cast<unsigned char>(stat.back()))) stat.pop_back();
        out["diff_stat"] = stat;
        std::string body = patch == std::string::npos ? "" : d->substr(patch);
        out["diff_truncated"] = body.size() > kMaxDiffBytes;
        if (body.size() > kMaxDiffBytes) body.resize(kMaxDiffBytes);
        out["diff"] = body;
      } else {
        out["diff_error"] = d.error().message;
      }
    }
  }
  return json_response(200, out);
}

http::Response ConsoleService::route_action(const http::Request& req, const std::string& wave,
                                            const std::string& action) {
  if (!is_name(wave)) return error_response(400, "bad wave name");
  if (action != "promote" && action != "pause" && action != "resume" && action != "rollback")
    return error_response(404, "actions: promote, pause, resume, rollback");
  if (options_.token.empty())
    return error_response(403, "this console is read-only: start it with --token-file to allow actions");
  if (!authorized(req)) {
    auto r = error_response(401, "give the operator token as `Authorization: Bearer <token>`");
    r.headers.push_back({"WWW-Authenticate", "Bearer"});
    return r;
  }
  nlohmann::json body = nlohmann::json::object();
  if (!req.body.empty()) {
    body = nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
      return error_response(400, "the body must be a JSON object");
  }
  auto text = [&](const char* key) -> std::optional<std::string> {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) return std::string("\x01");  // refused below
    return it->get<std::string>();
  };
  for (const char* key : {"commit", "to", "reason", "actor"})
    if (auto v = text(key); v && *v == "\x01")
      return error_response(400, fmt::format("`{}` must be a string", key));
  if (auto d = body.find("dry_run"); d != body.end() && !d->is_boolean())
    return error_response(400, "`dry_run` must be true or false");
  const bool dry_run = body.value("dry_run", false);
  const std::string actor =
      fmt::format("{} (console, {})", clean_actor(text("actor").value_or("operator")), req.peer_ip);
  const std::int64_t now = now_ms() / 1000;
  Result<rollout::ActionResult> r = fail(ErrorKind::kInternal, "no action");
  {
    std::lock_guard lock(repo_mu_);
    auto history = history_fn(now);
    if (action == "promote") {
      rollout::PromoteRequest p;
      p.wave = wave;
      p.commit = text("commit");
      if (p.commit && !is_hex_id(*p.commit)) return error_response(400, "`commit`: a commit id");
      p.dry_run = dry_run;
      p.actor = actor;
      r = rollout::promote(repo_, history, p, now);
    } else if (action == "pause") {
      r = rollout::pause(repo_, wave, text("reason").value_or(""), actor, options_.signing, now);
    } else if (action == "resume") {
      r = rollout::resume(repo_, wave);
    } else {
      rollout::RollbackRequest rb;
      rb.wave = wave;
      rb.to = text("to");
      if (rb.to && !is_hex_id(*rb.to)) return error_response(400, "`to`: a commit id");
      rb.dry_run = dry_run;
      rb.actor = actor;
      rb.signing = options_.signing;
      r = rollout::rollback(repo_, history, rb, now);
    }
  }
  if (!r) return error_response(status_of(r.error()), r.error().message);
  if (r->done) refresh_view(now);  // the page sees the moved ref with the answer, not a tick later
  Json out = r->to_json();
  if (r->detail.size() > kMaxDiffBytes) out["detail"] = r->detail.substr(0, kMaxDiffBytes) + "\n… (cut)\n";
  return json_response(r->refusals.empty() ? 200 : 409, out);
}

}  // namespace lucid::console
