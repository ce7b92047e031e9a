#include "lucid/render/normalize.h"

#include <algorithm>
#include <cmath>
#include <regex>

#include <fmt/format.h>

#include "lucid/base/number.h"
#include "lucid/base/text.h"
#include "lucid/fleet/compose.h"

namespace lucid::render {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::optional<bool> to_boolean(const json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (!v.is_string()) return std::nullopt;
  const std::string s = lower(v.get<std::string>());
  if (s == "y" || s == "yes" || s == "true" || s == "on") return true;
  if (s == "n" || s == "no" || s == "false" || s == "off") return false;
  return std::nullopt;
}

std::optional<std::int64_t> to_int(const json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (!v.is_string()) return std::nullopt;
  std::string s = v.get<std::string>();
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  long long x = std::strtoll(s.c_str(), &end, 10);
  if (*end) return std::nullopt;
  return x;
}

std::string str_of(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";  // Python's str(bool)
  if (v.is_null()) return "";
  return v.dump();
}

Status bool_field(json& obj, const char* key, const std::string& where) {
  if (!obj.is_object() || !obj.contains(key)) return {};
  auto b = to_boolean(obj[key]);
  if (!b)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("Error while attempting to convert {}.{} to appropriate type: \"{}\" is not a "
                            "valid boolean value",
                            where, key, str_of(obj[key])));
  obj[key] = *b;
  return {};
}

Status int_field(json& obj, const char* key, const std::string& where) {
  if (!obj.is_object() || !obj.contains(key)) return {};
  auto i = to_int(obj[key]);
  if (!i)
    return fail(
        ErrorKind::kInvalidArgument,
        fmt::format(
            "Error while attempting to convert {}.{} to appropriate type: \"{}\" is not a valid integer",
            where, key, str_of(obj[key])));
  obj[key] = *i;
  return {};
}

json kv_map(const json& v, bool null_for_missing) {
  json out = json::object();
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it)
      out[it.key()] = it.value().is_null() ? json(nullptr) : json(str_of(it.value()));
  } else if (v.is_array()) {
    for (const auto& item : v) {
      std::string s = str_of(item);
      auto eq = s.find('=');
      if (eq == std::string::npos)
        out[s] = null_for_missing ? json(nullptr) : json("");
      else
        out[s.substr(0, eq)] = s.substr(eq + 1);
    }
  }
  return out;
}

Result<std::vector<std::int64_t>> port_range(const std::string& s) {
  auto dash = s.find('-');
  auto a = parse_number<std::int64_t>(std::string_view(s).substr(0, dash), "port");
  if (!a) return std::unexpected(a.error());
  auto b = dash == std::string::npos
               ? a
               : parse_number<std::int64_t>(std::string_view(s).substr(dash + 1), "port");
  if (!b) return std::unexpected(b.error());
  std::vector<std::int64_t> out;
  for (auto p = *a; p <= *b && out.size() < 65536; ++p) out.push_back(p);
  return out;
}

Status ports(json& svc, const std::string& name) {
  if (!svc.contains("ports")) return {};
  json out = json::array();
  for (auto& p : svc["ports"]) {
    if (p.is_object()) {
      if (auto s = int_field(p, "target", "services." + name + ".ports"); !s) return s;
      if (auto s = int_field(p, "published", "services." + name + ".ports"); !s) return s;
      out.push_back(p);
      continue;
    }
    std::string text = str_of(p);
    fleet::Port port;
    if (!fleet::parse_short_port(text, port))
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("Invalid port \"{}\", should be "
                              "[[remote_ip:]remote_port[-remote_port]:]port[/protocol]",
                              text));
    if (!port.host_ip.empty()) {  // 1.29's legacy_repr: ip:published:target/protocol
      out.push_back(text.find('/') == std::string::npos ? text + "/tcp" : text);
      continue;
    }
    auto target_range = port_range(port.target);
    if (!target_range)
      return std::unexpected(with_context(fmt::format("Invalid port \"{}\"", text), target_range.error()));
    const std::vector<std::int64_t>& targets = *target_range;
    std::vector<std::int64_t> published;
    if (!port.published.empty()) {
      auto range = port_range(port.published);
      if (!range)
        return std::unexpected(with_context(fmt::format("Invalid port \"{}\"", text), range.error()));
      published = std::move(*range);
    }
    if (!published.empty() && published.size() != targets.size() && published.size() != 1)
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("Port ranges don't match in length: \"{}\"", text));
    for (std::size_t i = 0; i < targets.size(); ++i) {
      json e = json::object();
      e["target"] = targets[i];
      if (!published.empty()) e["published"] = published.size() == 1 ? published[0] : published[i];
      if (text.find('/') != std::string::npos) e["protocol"] = port.protocol;
      out.push_back(e);
    }
  }
  svc["ports"] = out;
  return {};
}

void volumes(json& svc, const fs::path& project_dir) {
  if (!svc.contains("volumes") || !svc["volumes"].is_array()) return;
  for (auto& v : svc["volumes"]) {
    if (v.is_object()) {
      if (v.value("type", "") == "bind" && v.contains("source") && v["source"].is_string()) {
        std::string src = v["source"];
        if (src.starts_with(".")) v["source"] = (project_dir / src).lexically_normal().string();
      }
      continue;
    }
    if (!v.is_string()) continue;
    std::string s = v;
    auto c1 = s.find(':');
    if (c1 == std::string::npos) continue;
    std::string src = s.substr(0, c1), rest = s.substr(c1 + 1);
    if (src.starts_with(".")) {
      std::string abs = (project_dir / src).lexically_normal().string();
      while (abs.size() > 1 && abs.back() == '/') abs.pop_back();
      src = abs;
    }
    if (rest.find(':') == std::string::npos) rest += ":rw";
    v = src + ":" + rest;
  }
}

}  // namespace

std::string canonical_duration(const std::string& text) {
  static const std::regex part(R"(([0-9]+(?:\.[0-9]+)?)(us|ms|s|m|h|ns))");
  long double ns = 0;
  std::size_t pos = 0;
  auto begin = std::sregex_iterator(text.begin(), text.end(), part);
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    if (static_cast<std::size_t>(it->position()) != pos) return text;
    pos += static_cast<std::size_t>(it->length());
    // The regex admits digits with at most one '.': always a number, though it may overflow.
    auto n = parse_number<long double>((*it)[1].str(), "duration");
    if (!n) return text;
    std::string u = (*it)[2].str();
    long double mult = u == "ns"   ? 1
                       : u == "us" ? 1e3
                       : u == "ms" ? 1e6
                       : u == "s"  ? 1e9
                       : u == "m"  ? 6e10
                                   : 3.6e12;
    ns += *n * mult;
  }
  if (pos != text.size() || text.empty()) return text;
  // serialize_ns_time_value
  long double value = std::floor(ns);
  std::string unit = "ns";
  std::int64_t shown = static_cast<std::int64_t>(value);
  const std::pair<long double, const char*> table[] = {
      {1000, "us"}, {1000, "ms"}, {1000, "s"}, {60, "m"}, {60, "h"}};
  for (auto [div, u] : table) {
    long double tmp = value / div;
    if (tmp == std::floor(tmp)) {
      value = tmp;
      shown = static_cast<std::int64_t>(value);
      unit = u;
    } else {
      break;
    }
  }
  return fmt::format("{}{}", shown, unit);
}

Status convert_types(const std::string& section, json& value) {
  if (!value.is_object()) return {};
  for (auto it = value.begin(); it != value.end(); ++it) {
    json& item = it.value();
    std::string where = section + "." + it.key();
    if (section == "networks" || section == "volumes" || section == "secrets" || section == "configs") {
      if (auto s = bool_field(item, "external", where); !s) return s;
      if (section == "networks") {
        if (auto s = bool_field(item, "internal", where); !s) return s;
        if (auto s = bool_field(item, "attachable", where); !s) return s;
      }
      if (item.is_object() && item.contains("labels") && item["labels"].is_object())
        for (auto& l : item["labels"]) l = str_of(l);
    }
  }
  return {};
}

Status normalize_service(const std::string& name, json& svc, const Environment& env,
                         const fs::path& project_dir) {
  std::string w = "services." + name;
  for (const char* b : {"privileged", "read_only", "stdin_open", "tty", "oom_kill_disable"})
    if (auto s = bool_field(svc, b, w); !s) return s;
  for (const char* i : {"scale", "cpu_count", "mem_swappiness", "oom_score_adj"})
    if (auto s = int_field(svc, i, w); !s) return s;
  if (svc.contains("labels")) svc["labels"] = kv_map(svc["labels"], false);
  if (svc.contains("environment") || svc.contains("env_file")) {
    json envmap = svc.contains("environment") ? kv_map(svc["environment"], true) : json::object();
    // Keys without a value take the variable from the Compose environment when set.
    for (auto it = envmap.begin(); it != envmap.end(); ++it)
      if (it.value().is_null())
        if (auto e = env.find(it.key()); e != env.end()) it.value() = e->second;
    svc["environment"] = envmap;
  }
  if (svc.contains("depends_on") && svc["depends_on"].is_array()) {
    json m = json::object();
    for (const auto& d : svc["depends_on"]) m[str_of(d)] = {{"condition", "service_started"}};
    svc["depends_on"] = m;
  }
  if (svc.contains("networks") && svc["networks"].is_array()) {
    json m = json::object();
    for (const auto& n : svc["networks"]) m[str_of(n)] = nullptr;
    svc["networks"] = m;
  }
  if (svc.contains("expose"))
    for (auto& e : svc["expose"]) e = str_of(e);
  if (auto s = ports(svc, name); !s) return s;
  volumes(svc, project_dir);
  if (svc.contains("healthcheck") && svc["healthcheck"].is_object()) {
    json& h = svc["healthcheck"];
    if (auto s = int_field(h, "retries", w + ".healthcheck"); !s) return s;
    if (h.contains("disable")) {
      // 1.29 replaces any `disable` (even false) with test: [NONE].
      h.erase("disable");
      h["test"] = json::array({"NONE"});
    }
    for (const char* d : {"interval", "timeout", "start_period"})
      if (h.contains(d) && h[d].is_string()) h[d] = canonical_duration(h[d]);
  }
  for (const char* list : {"cap_add", "cap_drop", "security_opt", "profiles", "dns", "tmpfs"})
    if (svc.contains(list) && svc[list].is_string()) svc[list] = json::array({svc[list]});
  return {};
}

}  // namespace lucid::render
