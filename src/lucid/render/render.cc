#include "lucid/render/render.h"

#include <algorithm>
#include <functional>
#include <set>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/crypto/blake3.h"
#include "lucid/crypto/onion_address.h"
#include "lucid/fleet/env_file.h"
#include "lucid/fleet/model.h"
#include "lucid/render/normalize.h"
#include "lucid/yaml/loader.h"
#include "lucid/yaml/scalar.h"

namespace lucid::render {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kSections[] = {"networks", "volumes", "secrets", "configs"};

Result<json> load_compose_json(const fs::path& file) {
  auto node = yaml::load_file(file);
  if (!node) return std::unexpected(node.error());
  auto doc = yaml::to_json(*node);
  if (!doc) return doc;
  if (!doc->is_object())
    return fail(ErrorKind::kInvalidArgument, fmt::format("{}: top level must be a mapping", file.string()));
  for (auto it = doc->begin(); it != doc->end(); ++it)
    if (!fleet::is_known_top_level_key(it.key()) && !it.key().starts_with("x-"))
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("{}: '{}' does not match any of the regexes: '^x-'", file.string(), it.key()));
  if (doc->contains("services") && !(*doc)["services"].is_object() && !(*doc)["services"].is_null())
    return fail(ErrorKind::kInvalidArgument, fmt::format("{}: services must be a mapping", file.string()));
  return doc;
}

// Interpolates every string below `value` (keys are left alone, as Compose does).
Status interpolate_tree(json& value, const Environment& env, const std::string& path,
                        std::set<std::string>& unset) {
  if (value.is_string()) {
    auto r = interpolate(value.get<std::string>(), env, Dialect::kCompose129, &unset);
    if (!r) {
      const auto& e = r.error();
      if (e.missing_required)
        return fail(ErrorKind::kInvalidArgument,
                    fmt::format("Missing mandatory value for \"{}\" option interpolating {}: {}", path,
                                value.get<std::string>(), e.message));
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("Invalid interpolation format for \"{}\" option: \"{}\"", path,
                              value.get<std::string>()));
    }
    value = *r;
  } else if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it)
      if (auto s = interpolate_tree(it.value(), env, path + "." + it.key(), unset); !s) return s;
  } else if (value.is_array()) {
    for (auto& item : value)
      if (auto s = interpolate_tree(item, env, path, unset); !s) return s;
  }
  return {};
}

void escape_dollars(json& value) {
  if (value.is_string()) {
    std::string s = value.get<std::string>();
    if (s.find('$') == std::string::npos) return;
    std::string out;
    for (char c : s) {
      if (c == '$') out += '$';
      out += c;
    }
    value = out;
  } else if (value.is_structured()) {
    for (auto& v : value) escape_dollars(v);
  }
}

std::vector<std::string> str_list(const json& v) {
  std::vector<std::string> out;
  if (v.is_string()) out.push_back(v.get<std::string>());
  if (v.is_array())
    for (const auto& i : v)
      if (i.is_string()) out.push_back(i.get<std::string>());
  return out;
}

struct Context {
  Environment env;
  fs::path project_dir;
  std::set<std::string> unset;
};

// env_file entries of one service merged under its environment (env_file first, in order).
Status apply_env_files(json& svc, const fs::path& base_dir, const Context& ctx) {
  if (!svc.contains("env_file") && !(svc.contains("environment") && svc["environment"].is_array())) return {};
  json merged = json::object();
  for (const auto& f : str_list(svc.value("env_file", json::array()))) {
    fs::path p = fs::path(f).is_absolute() ? fs::path(f) : base_dir / f;
    auto text = read_text_file(p);
    if (!text)
      return fail(ErrorKind::kNotFound,
                  fmt::format("Couldn't find env file: {}", p.lexically_normal().string()));
    auto parsed = fleet::parse_env_file(*text, p.string());
    for (auto& [k, v] : fleet::resolve_env_file(parsed, {})) merged[k] = v ? json(*v) : json(nullptr);
  }
  json env = svc.contains("environment") ? svc["environment"] : json::object();
  if (env.is_array()) {
    for (const auto& item : env) {
      std::string s = item.is_string() ? item.get<std::string>() : item.dump();
      auto eq = s.find('=');
      if (eq == std::string::npos)
        merged[s] = nullptr;
      else
        merged[s.substr(0, eq)] = s.substr(eq + 1);
    }
  } else if (env.is_object()) {
    for (auto it = env.begin(); it != env.end(); ++it) merged[it.key()] = it.value();
  }
  (void)ctx;
  svc["environment"] = merged;
  svc.erase("env_file");
  return {};
}

json merge_services(const json& base, const json& over) {
  json out = base;
  static const std::set<std::string> kMaps = {"environment", "labels",      "depends_on",  "ulimits",
                                              "sysctls",     "extra_hosts", "storage_opt", "healthcheck",
                                              "logging",     "deploy"};
  static const std::set<std::string> kUnique = {
      "cap_add",  "cap_drop", "expose",     "external_links", "volumes_from",
      "profiles", "dns",      "dns_search", "tmpfs",          "device_cgroup_rules"};
  for (auto it = over.begin(); it != over.end(); ++it) {
    const std::string& k = it.key();
    if (kMaps.contains(k) && out.contains(k) && out[k].is_object() && it.value().is_object()) {
      for (auto j = it.value().begin(); j != it.value().end(); ++j) out[k][j.key()] = j.value();
    } else if (kUnique.contains(k) && out.contains(k)) {
      std::set<std::string> s;
      for (const auto& x : str_list(out[k])) s.insert(x);
      for (const auto& x : str_list(it.value())) s.insert(x);
      out[k] = json(std::vector<std::string>(s.begin(), s.end()));
    } else if ((k == "ports" || k == "volumes" || k == "devices" || k == "networks") && out.contains(k) &&
               out[k].is_array() && it.value().is_array()) {
      for (const auto& x : it.value()) out[k].push_back(x);
    } else {
      out[k] = it.value();
    }
  }
  return out;
}

// Resolves `extends` (same file or another file) the way 1.29 does, recursively.
Result<json> resolve_extends(const std::string& name, const json& services, const fs::path& file,
                             const Context& ctx, int depth) {
  if (depth > 32)
    return fail(ErrorKind::kInvalidArgument, fmt::format("Circular reference: extends of '{}'", name));
  json svc = services.at(name);
  if (!svc.is_object()) svc = json::object();
  fs::path dir = file.parent_path();
  if (auto s = apply_env_files(svc, dir, ctx); !s) return std::unexpected(s.error());
  if (!svc.contains("extends")) return svc;
  json ext = svc["extends"];
  svc.erase("extends");
  std::string base_name = ext.is_string() ? ext.get<std::string>() : ext.value("service", "");
  fs::path base_file = file;
  json base_services = services;
  if (ext.is_object() && ext.contains("file")) {
    base_file = dir / ext["file"].get<std::string>();
    auto doc = load_compose_json(base_file);
    if (!doc) return std::unexpected(doc.error());
    std::set<std::string> unset;
    if (auto s = interpolate_tree(*doc, ctx.env, "extends", unset); !s) return std::unexpected(s.error());
    base_services = doc->value("services", json::object());
  }
  if (!base_services.contains(base_name))
    return fail(
        ErrorKind::kInvalidArgument,
        fmt::format("Cannot extend service '{}' in {}: Service not found", base_name, base_file.string()));
  auto base = resolve_extends(base_name, base_services, base_file, ctx, depth + 1);
  if (!base) return base;
  for (const char* forbidden : {"links", "volumes_from", "depends_on"})
    if (base->contains(forbidden))
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("Cannot extend service '{}' in {}: services with '{}' cannot be extended",
                              base_name, base_file.string(), forbidden));
  // Both sides in 1.29's normalised shapes before merging.
  for (json* s : {&*base, &svc}) {
    if (s->contains("labels"))
      (*s)["labels"] = [&] {
        json m = json::object();
        const json& l = (*s)["labels"];
        if (l.is_object()) return l;
        for (const auto& i : l) {
          std::string t = i.get<std::string>();
          auto eq = t.find('=');
          m[t.substr(0, eq)] = eq == std::string::npos ? "" : t.substr(eq + 1);
        }
        return m;
      }();
  }
  return merge_services(*base, svc);
}

Status check_dependencies(const json& services) {
  // Unknown services and cycles (1.29: "Circular dependency between …").
  std::map<std::string, int> state;
  std::function<Status(const std::string&, std::vector<std::string>&)> visit =
      [&](const std::string& n, std::vector<std::string>& stack) -> Status {
    if (state[n] == 2) return {};
    if (state[n] == 1) {
      auto it = std::find(stack.begin(), stack.end(), n);
      std::string cycle;
      for (; it != stack.end(); ++it) cycle += *it + " and ";
      return fail(ErrorKind::kInvalidArgument, fmt::format("Circular dependency between {}{}", cycle, n));
    }
    state[n] = 1;
    stack.push_back(n);
    const json& svc = services.at(n);
    if (svc.contains("depends_on"))
      for (auto it = svc["depends_on"].begin(); it != svc["depends_on"].end(); ++it) {
        const std::string& d = it.key();
        if (!services.contains(d))
          return fail(ErrorKind::kInvalidArgument,
                      fmt::format("Service '{}' depends on service '{}' which is undefined.", n, d));
        if (auto s = visit(d, stack); !s) return s;
      }
    stack.pop_back();
    state[n] = 2;
    return {};
  };
  for (auto it = services.begin(); it != services.end(); ++it) {
    std::vector<std::string> stack;
    if (auto s = visit(it.key(), stack); !s) return s;
  }
  return {};
}

Result<Plan> render_document(json doc, const fs::path& compose_file, Context& ctx, const RenderOptions& opt) {
  Plan plan;
  plan.project = opt.project_name;
  json services = doc.value("services", json::object());
  if (services.is_null()) services = json::object();
  // Interpolate per section (Compose interpolates services, networks, volumes, secrets, configs).
  for (auto it = services.begin(); it != services.end(); ++it) {
    if (!it.value().is_object() && !it.value().is_null())
      return fail(ErrorKind::kInvalidArgument, fmt::format("Service \"{}\" must be a mapping", it.key()));
    for (auto k = it.value().begin(); it.value().is_object() && k != it.value().end(); ++k)
      if (!fleet::is_known_service_key(k.key()) && !k.key().starts_with("x-"))
        return fail(ErrorKind::kInvalidArgument,
                    fmt::format("Unsupported config option for services.{}: '{}'", it.key(), k.key()));
    if (auto s = interpolate_tree(it.value(), ctx.env, "services." + it.key(), ctx.unset); !s)
      return std::unexpected(s.error());
  }
  json out = json::object();
  for (const char* section : kSections) {
    if (!doc.contains(section) || doc[section].is_null() || doc[section].empty()) continue;
    json sec = doc[section];
    if (auto s = interpolate_tree(sec, ctx.env, section, ctx.unset); !s) return std::unexpected(s.error());
    for (auto& v : sec)
      if (v.is_null()) v = json::object();
    if (auto s = convert_types(section, sec); !s) return std::unexpected(s.error());
    out[section] = sec;
  }
  json resolved = json::object();
  for (auto it = services.begin(); it != services.end(); ++it) {
    auto svc = resolve_extends(it.key(), services, compose_file, ctx, 0);
    if (!svc) return std::unexpected(svc.error());
    if (auto s = normalize_service(it.key(), *svc, ctx.env, ctx.project_dir); !s)
      return std::unexpected(s.error());
    resolved[it.key()] = *svc;
  }
  if (auto s = check_dependencies(resolved); !s) return std::unexpected(s.error());
  // Profile selection: services without profiles, those in an active profile, and beta for clusters.
  std::set<std::string> active(opt.profiles.begin(), opt.profiles.end());
  json selected = json::object();
  for (auto it = resolved.begin(); it != resolved.end(); ++it) {
    auto profiles = str_list(it.value().value("profiles", json::array()));
    bool on =
        profiles.empty() || (opt.always_include_beta && it.key() == "beta") ||
        std::any_of(profiles.begin(), profiles.end(), [&](const auto& p) { return active.contains(p); });
    if (on) selected[it.key()] = it.value();
  }
  if (!opt.beta_environment.empty() && selected.contains("beta")) {
    json& env = selected["beta"]["environment"];
    if (!env.is_object()) env = json::object();
    for (const auto& [name, value] : opt.beta_environment) {
      if (env.contains(name))
        return fail(ErrorKind::kInvalidArgument,
                    fmt::format("{}: services.beta.environment sets {}, which the config repo gives beta "
                                "(policies/acl.yaml); remove it from the compose file",
                                compose_file.string(), name));
      env[name] = value;
    }
  }
  out["services"] = selected;
  escape_dollars(out);
  plan.document = out;
  for (const auto& u : ctx.unset)
    plan.warnings.push_back(fmt::format("The {} variable is not set. Defaulting to a blank string.", u));
  if (auto s = finish_plan(plan); !s) return std::unexpected(s.error());
  return plan;
}

Status add_secrets(Environment& env, SecretResolver& secrets, std::vector<SecretUse>& uses) {
  for (auto& [k, v] : env) {
    auto ref = fleet::parse_secret_ref(v);
    if (!ref) continue;
    auto value = secrets.resolve(*ref);
    if (!value) return std::unexpected(value.error());
    uses.push_back(SecretUse{k, *ref, value->has_value()});
    if (*value) v = **value;
  }
  return {};
}

// A plan that uses secrets gets config hashes computed without their values (plan.h
// hash_without_secret_values): when any reference was resolved, `doc` is rendered once more from
// `plain`, the context before resolution, so the references stay text.
Status hash_secrets_unresolved(Plan& plan, json doc, const fs::path& compose_file, Context plain,
                               const RenderOptions& opt) {
  std::map<std::string, std::string> digests;
  for (const auto& use : plan.secrets) {
    if (opt.secrets_dir.empty() || digests.contains(use.ref.file)) continue;
    auto bytes = read_file(opt.secrets_dir / use.ref.file);
    if (bytes) digests[use.ref.file] = to_hex(crypto::blake3(*bytes));
  }
  bool resolved =
      std::any_of(plan.secrets.begin(), plan.secrets.end(), [](const auto& u) { return u.resolved; });
  if (!resolved) return hash_without_secret_values(plan, plan.document, digests);
  auto unresolved = render_document(std::move(doc), compose_file, plain, opt);
  if (!unresolved) return std::unexpected(unresolved.error());
  return hash_without_secret_values(plan, unresolved->document, digests);
}

}  // namespace

Result<Plan> render_file(const RenderOptions& options, SecretResolver& secrets) {
  Context ctx;
  fs::path file = fs::absolute(options.compose_file).lexically_normal();
  ctx.project_dir = options.project_dir.empty() ? file.parent_path() : fs::absolute(options.project_dir);
  std::vector<fs::path> env_files = options.env_files;
  if (env_files.empty() && options.read_default_env_file && fs::is_regular_file(ctx.project_dir / ".env"))
    env_files.push_back(ctx.project_dir / ".env");
  for (const auto& f : env_files) {
    auto text = read_text_file(f);
    if (!text) return fail(ErrorKind::kNotFound, fmt::format("Couldn't find env file: {}", f.string()));
    for (auto& [k, v] :
         fleet::resolve_env_file(fleet::parse_env_file(*text, f.string()), options.process_env))
      if (v) ctx.env[k] = *v;
  }
  for (const auto& [k, v] : options.process_env) ctx.env[k] = v;
  const Context plain = ctx;
  std::vector<SecretUse> uses;
  if (auto s = add_secrets(ctx.env, secrets, uses); !s) return std::unexpected(s.error());
  auto doc = load_compose_json(file);
  if (!doc) return std::unexpected(doc.error());
  const json original = uses.empty() ? json() : *doc;
  auto plan = render_document(std::move(*doc), file, ctx, options);
  if (!plan) return plan;
  plan->secrets = std::move(uses);
  if (!plan->secrets.empty())
    if (auto s = hash_secrets_unresolved(*plan, original, file, plain, options); !s)
      return std::unexpected(s.error());
  return plan;
}

namespace {

// The text of policies/<name>, nullopt when the repo has none, for beta's environment variable
// `variable` (at most kBetaPolicyMaxBytes). Its content is checked by beta at start (and, for the
// ACL, by lint): a policy that does not parse keeps the commit from turning healthy.
Result<std::optional<std::string>> beta_policy_text(const fs::path& repo, const char* name,
                                                    const char* variable) {
  const fs::path path = repo / fleet::kPoliciesDir / name;
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::optional<std::string>();
  if (!fs::is_regular_file(path, ec))
    return fail(ErrorKind::kInvalidArgument, path.string() + " is not a regular file");
  if (auto size = fs::file_size(path, ec); !ec && size > kBetaPolicyMaxBytes)
    return fail(ErrorKind::kInvalidArgument, fmt::format("{} is {} bytes; beta takes at most {} in {}",
                                                         path.string(), size, kBetaPolicyMaxBytes, variable));
  auto text = read_text_file(path);
  if (!text) return std::unexpected(text.error());
  return std::optional<std::string>(std::move(*text));
}

// The onions and client authorization keys other clusters pin in their .env (BETA_ONION_<PLANE>,
// BETA_CLIENT_<PLANE>), as beta's directory YAML (docs/formats.md "Onion pins and beta's
// directory"); nullopt when no other cluster pins either. A malformed pin is an error here, so a
// typo never reaches a site as a beta that cannot start.
Result<std::optional<std::string>> beta_onion_directory(const fs::path& repo, const std::string& cluster_id) {
  std::error_code ec;
  std::vector<std::string> others;
  for (fs::directory_iterator it(repo / "clusters", ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory(ec) && it->path().filename() != cluster_id && fs::exists(it->path() / ".env", ec))
      others.push_back(it->path().filename().string());
  std::sort(others.begin(), others.end());  // directory order is the filesystem's: the text must not be
  std::string onions, clients;
  for (const auto& other : others) {
    const fs::path env_path = repo / "clusters" / other / ".env";
    auto env = read_text_file(env_path);
    if (!env) return std::unexpected(env.error());
    std::map<std::string, std::string> onion_pins, client_pins;  // plane -> value, sorted
    const auto parsed = fleet::parse_env_file(*env, "clusters/" + other + "/.env");
    for (const auto& e : parsed.entries) {
      if (!e.value) continue;
      if (auto plane = fleet::onion_pin_plane(e.key)) {
        auto key = crypto::parse_onion_address(*e.value);
        if (!key)
          return fail(
              ErrorKind::kInvalidArgument,
              fmt::format("{}: {} is not a v3 onion address ({}); `lucidctl lint` names every such pin",
                          e.mark.str(), e.key, key.error().message));
        onion_pins[*plane] = crypto::onion_address(*key) + ".onion";
      } else if (auto client_plane = fleet::client_pin_plane(e.key)) {
        auto key = crypto::parse_client_auth_key(*e.value);
        if (!key)
          return fail(ErrorKind::kInvalidArgument,
                      fmt::format("{}: {}: {}; `lucidctl lint` names every such pin", e.mark.str(), e.key,
                                  key.error().message));
        client_pins[*client_plane] = crypto::client_auth_key_text(*key);
      }
    }
    auto section = [&](std::string& text, const std::map<std::string, std::string>& pins) {
      if (pins.empty()) return;
      text += fmt::format("  {}:\n", json(other).dump());
      for (const auto& [plane, value] : pins) text += fmt::format("    {}: {}\n", plane, value);
    };
    section(onions, onion_pins);
    section(clients, client_pins);
  }
  if (onions.empty() && clients.empty()) return std::optional<std::string>();
  std::string text = onions.empty() ? "clusters: {}\n" : "clusters:\n" + onions;
  if (!clients.empty()) text += "clients:\n" + clients;
  if (text.size() > kBetaDirectoryMaxBytes)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("the onion pins of the other clusters take {} bytes; beta takes at most {} in {}",
                            text.size(), kBetaDirectoryMaxBytes, kBetaDirectoryVariable));
  return std::optional<std::string>(std::move(text));
}

}  // namespace

Result<Plan> render_cluster(const fs::path& repo, const std::string& cluster_id, SecretResolver& secrets) {
  if (cluster_id.empty() || cluster_id.find('/') != std::string::npos || cluster_id == "..")
    return fail(ErrorKind::kInvalidArgument, fmt::format("invalid cluster id '{}'", cluster_id));
  fs::path env_path = repo / "clusters" / cluster_id / ".env";
  auto text = read_text_file(env_path);
  if (!text)
    return fail(ErrorKind::kNotFound, fmt::format("{}: no such cluster (clusters/{}/.env cannot be read)",
                                                  repo.string(), cluster_id));
  auto values = fleet::resolve_env_file(fleet::parse_env_file(*text, env_path.string()), {});
  RenderOptions opt;
  opt.compose_file = repo / fleet::kComposePath;
  opt.project_dir = opt.compose_file.parent_path();
  opt.read_default_env_file = false;
  opt.always_include_beta = true;
  opt.project_name = "lucid-" + cluster_id;
  Context ctx;
  for (auto& [k, v] : values)
    if (v) ctx.env[k] = *v;
  ctx.project_dir = fs::absolute(opt.project_dir).lexically_normal();
  if (auto p = ctx.env.find("PROFILES"); p != ctx.env.end()) {
    std::string s = p->second;
    std::size_t start = 0;
    for (;;) {
      auto c = s.find(',', start);
      std::string one = s.substr(start, c == std::string::npos ? std::string::npos : c - start);
      if (!one.empty()) opt.profiles.push_back(one);
      if (c == std::string::npos) break;
      start = c + 1;
    }
  }
  opt.secrets_dir = repo / "secrets";
  for (const auto& [file, variable] :
       {std::pair{"acl.yaml", kBetaAclVariable}, {"tunnels.yaml", kBetaTunnelsVariable}})
    if (auto policy = beta_policy_text(repo, file, variable); !policy)
      return std::unexpected(policy.error());
    else if (*policy)
      opt.beta_environment[variable] = **policy;
  if (auto directory = beta_onion_directory(repo, cluster_id); !directory)
    return std::unexpected(directory.error());
  else if (*directory)
    opt.beta_environment[kBetaDirectoryVariable] = **directory;
  const Context plain = ctx;
  std::vector<SecretUse> uses;
  if (auto s = add_secrets(ctx.env, secrets, uses); !s) return std::unexpected(s.error());
  fs::path file = fs::absolute(opt.compose_file).lexically_normal();
  auto doc = load_compose_json(file);
  if (!doc) return std::unexpected(doc.error());
  const json original = uses.empty() ? json() : *doc;
  auto plan = render_document(std::move(*doc), file, ctx, opt);
  if (!plan) return plan;
  plan->secrets = std::move(uses);
  if (!plan->secrets.empty())
    if (auto s = hash_secrets_unresolved(*plan, original, file, plain, opt); !s)
      return std::unexpected(s.error());
  return plan;
}

}  // namespace lucid::render
