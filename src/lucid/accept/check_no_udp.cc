// cluster.no-udp: on each plane network of the project, a listener container counts UDP datagrams
// from two senders: one labelled like a service of that plane (com.lucid.plane, com.lucid.service,
// and beta's scope label), which must deliver none, and an unlabelled control, which must deliver
// all (else the probe proved nothing). Every probe container is removed afterwards.
#include <thread>

#include <fmt/format.h>

#include "lucid/accept/checks.h"
#include "lucid/base/labels.h"
#include "lucid/base/random.h"
#include "lucid/beta/labels.h"
#include "lucid/engine/short_lived.h"

namespace lucid::accept {

using namespace std::chrono_literals;

namespace {

constexpr int kPort = 47000;

struct PlaneOutcome {
  bool pass = false;
  std::string line;
  nlohmann::ordered_json detail;
};

std::vector<std::string> probe_cmd(const ProbeImage& img, std::vector<std::string> args) {
  std::vector<std::string> cmd = img.prefix;
  cmd.insert(cmd.end(), args.begin(), args.end());
  return cmd;
}

Result<nlohmann::json> json_output(const engine::ShortLivedContainer& c, const char* what) {
  auto l = c.logs();
  if (!l) return std::unexpected(l.error());
  // The last line of stdout is the probe's JSON (the listener prints "ready" first).
  std::string out = l->out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  auto j = nlohmann::json::parse(out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1),
                                 nullptr, false);
  if (j.is_discarded())
    return fail(ErrorKind::kCorrupt, fmt::format("{} printed no result: {}", what, l->err.substr(0, 200)));
  return j;
}

Result<PlaneOutcome> probe_plane(RunContext& ctx, const ProbeImage& img, const PlaneNetwork& net,
                                 const std::string& run_id) {
  const int n = ctx.settings.udp_datagrams;
  std::map<std::string, std::string> plain = {{kAcceptProbeLabel, run_id},
                                              {kAcceptProjectLabel, ctx.site.project}};
  ctx.say(fmt::format("udp: plane {} (network {}): listener", net.plane, net.name));
  auto name = [&](const char* role) { return fmt::format("lucid-accept-{}-{}-{}", run_id, net.plane, role); };
  engine::ContainerSpec listen{
      name("udp-listen"), img.tag,
      probe_cmd(img, {"udp-listen", "--port", std::to_string(kPort), "--timeout-ms", "30000"}), net.id,
      plain};
  auto listener = engine::ShortLivedContainer::start(ctx.docker, listen);
  if (!listener) return std::unexpected(listener.error());
  if (auto s = listener->wait_for_output("ready", 15s); !s) return std::unexpected(s.error());
  auto ip = listener->ip();
  if (!ip) return std::unexpected(ip.error());
  const std::string to = fmt::format("{}:{}", *ip, kPort);

  // The labelled sender: what beta sees as a service of this plane.
  auto labelled_labels = plain;
  labelled_labels[beta::kPlaneLabel] = net.plane;
  labelled_labels[beta::kServiceLabel] = "accept-probe";
  auto scope = beta_scope_label(ctx);
  if (scope) labelled_labels[scope->first] = scope->second;
  ctx.say(fmt::format("udp: plane {}: labelled sender ({} datagrams after {} ms for beta's ban)", net.plane,
                      n, ctx.settings.ban_grace.count()));
  auto ms = [](std::chrono::milliseconds d) { return std::to_string(d.count()); };
  engine::ContainerSpec labelled{
      name("udp-labelled"), img.tag,
      probe_cmd(img, {"udp-send", "--to", to, "--count", std::to_string(n), "--tag", "labelled", "--delay-ms",
                      ms(ctx.settings.ban_grace)}),
      net.id, labelled_labels};
  auto s1 = engine::ShortLivedContainer::start(ctx.docker, labelled);
  if (!s1) return std::unexpected(s1.error());
  if (auto w = s1->wait(ctx.settings.ban_grace + 20s); !w) return std::unexpected(w.error());
  auto labelled_out = json_output(*s1, "the labelled sender");
  if (!labelled_out) return std::unexpected(labelled_out.error());

  ctx.say(fmt::format("udp: plane {}: unlabelled control sender", net.plane));
  engine::ContainerSpec control{name("udp-control"), img.tag,
                                probe_cmd(img, {"udp-send", "--to", to, "--count", std::to_string(n), "--tag",
                                                "control", "--delay-ms", "0", "--end"}),
                                net.id, plain};
  auto s2 = engine::ShortLivedContainer::start(ctx.docker, control);
  if (!s2) return std::unexpected(s2.error());
  if (auto w = s2->wait(20s); !w) return std::unexpected(w.error());
  if (auto w = listener->wait(35s); !w) return std::unexpected(w.error());
  auto got = json_output(*listener, "the listener");
  if (!got) return std::unexpected(got.error());

  int from_labelled = (*got)["received"].value("labelled", 0);
  int from_control = (*got)["received"].value("control", 0);
  PlaneOutcome o;
  o.detail = {{"plane", net.plane},
              {"network", net.name},
              {"datagrams", n},
              {"labelled_sent", labelled_out->value("sent", 0)},
              {"labelled_send_errors", labelled_out->value("errors", 0)},
              {"labelled_first_error", labelled_out->value("first_error", "")},
              {"labelled_received", from_labelled},
              {"control_received", from_control},
              {"labels", labelled_labels}};
  if (from_control < n) {
    o.line = fmt::format(
        "{}: inconclusive, the unlabelled control delivered only {}/{} (the listener is not "
        "reachable, so 0 from the labelled sender proves nothing)",
        net.plane, from_control, n);
  } else if (from_labelled > 0) {
    o.line = fmt::format("{}: {}/{} UDP datagrams from a labelled container arrived (control {}/{})",
                         net.plane, from_labelled, n, from_control, n);
  } else {
    o.pass = true;
    o.line =
        fmt::format("{}: 0/{} from the labelled container, control {}/{}", net.plane, n, from_control, n);
  }
  return o;
}

}  // namespace

CheckResult check_no_udp(const CheckSpec& spec, RunContext& ctx) {
  CheckResult r = result_for(spec);
  r.outcome = Outcome::kFail;
  auto nets = plane_networks(ctx.docker, ctx.site.project);
  if (!nets) {
    r.evidence = "cannot list the project's networks: " + nets.error().message;
    return r;
  }
  if (nets->empty()) {
    r.evidence = fmt::format("cannot probe: project {} has no network labelled {} (is the site deployed?)",
                             ctx.site.project, beta::kPlaneLabel);
    return r;
  }
  auto img = ctx.probe_image();
  if (!img) {
    r.evidence = "cannot probe: " + img.error().message;
    return r;
  }
  std::uint8_t rnd[6];
  random_bytes(rnd);
  std::string run_id;
  for (auto b : rnd) run_id += fmt::format("{:02x}", b);
  r.detail["probe_image"] = img->tag;
  r.detail["planes"] = nlohmann::ordered_json::array();
  std::vector<std::string> lines;
  bool all = true;
  for (const auto& net : *nets) {
    auto o = probe_plane(ctx, *img, net, run_id);
    if (!o) {
      all = false;
      lines.push_back(fmt::format("{}: probe could not run: {}", net.plane, o.error().message));
      r.detail["planes"].push_back(
          {{"plane", net.plane}, {"network", net.name}, {"error", o.error().message}});
      continue;
    }
    all = all && o->pass;
    lines.push_back(o->line);
    r.detail["planes"].push_back(o->detail);
  }
  if (all) r.outcome = Outcome::kPass;
  r.evidence = fmt::format("{}", fmt::join(lines, "; "));
  return r;
}

}  // namespace lucid::accept
