#include "lucid/console/poller.h"

#include <algorithm>
#include <mutex>

#include <fmt/format.h>

#include "lucid/base/http_client.h"
#include "lucid/base/parallel.h"

namespace lucid::console {

namespace {

// Sites polled at once: enough to keep a large fleet's round short, few enough for a small console.
constexpr unsigned kPollThreads = 16;

}  // namespace

rollout::Observation poll_site(const std::string& cluster, const std::string& url, const PollOptions& options,
                               std::int64_t now) {
  rollout::Observation o;
  o.cluster = cluster;
  o.polled_at = now;
  HttpOptions http;
  http.timeout = options.timeout;
  http.socks_proxy = options.socks_proxy;
  auto r = http_get(url, http);
  if (!r) {
    o.error = r.error().message;
    return o;
  }
  if (r->status != 200) {
    o.error = fmt::format("{}: HTTP {}", url, r->status);
    return o;
  }
  if (r->body.size() > options.max_body) {
    o.error = fmt::format("{}: status of {} bytes (more than {})", url, r->body.size(), options.max_body);
    return o;
  }
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    o.error = fmt::format("{}: the answer is not a status object", url);
    return o;
  }
  if (auto c = j.find("cluster"); c != j.end() && c->is_string() && *c != cluster) {
    // A URL that serves another cluster's status must not vouch for this one.
    o.error =
        fmt::format("{} serves the status of cluster '{}', not '{}'", url, c->get<std::string>(), cluster);
    return o;
  }
  o.reachable = true;
  o.status = std::move(j);
  return o;
}

std::vector<rollout::Observation> Poller::poll(const std::vector<const rollout::ClusterDefinition*>& due,
                                               std::int64_t now_ms) {
  std::vector<rollout::Observation> out(due.size());
  parallel_for(
      due.size(),
      std::min<unsigned>(kPollThreads, static_cast<unsigned>(std::max<std::size_t>(1, due.size()))),
      [&](std::size_t i) { out[i] = poll_site(due[i]->id, due[i]->status_url, options_, now_ms / 1000); });
  for (const auto& o : out) {
    (void)store_.add(o);  // a history write that fails loses one sample; the next poll retries
    Schedule& s = schedule_[o.cluster];
    if (o.reachable) {
      s.backoff = std::chrono::milliseconds(0);
      s.next_ms = now_ms + options_.interval.count();
    } else {  // back off while the site does not answer: interval, 2×, 4×, … up to max_backoff
      s.backoff = std::min(options_.max_backoff, s.backoff.count() == 0 ? options_.interval : s.backoff * 2);
      s.next_ms = now_ms + s.backoff.count();
    }
  }
  return out;
}

std::vector<rollout::Observation> Poller::poll_due(const rollout::FleetDefinition& fleet,
                                                   std::int64_t now_ms) {
  std::vector<const rollout::ClusterDefinition*> due;
  for (const auto& c : fleet.clusters)
    if (!c.status_url.empty() && schedule_[c.id].next_ms <= now_ms) due.push_back(&c);
  return poll(due, now_ms);
}

std::vector<rollout::Observation> Poller::poll_all(const rollout::FleetDefinition& fleet,
                                                   std::int64_t now_ms) {
  std::vector<const rollout::ClusterDefinition*> due;
  for (const auto& c : fleet.clusters)
    if (!c.status_url.empty()) due.push_back(&c);
  return poll(due, now_ms);
}

}  // namespace lucid::console
