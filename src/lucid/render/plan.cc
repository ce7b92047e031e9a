#include "lucid/render/plan.h"

#include <fmt/format.h>

#include "lucid/base/canonical_json.h"
#include "lucid/base/hex.h"
#include "lucid/crypto/blake3.h"
#include "lucid/yaml/emitter.h"

namespace lucid::render {
namespace {

nlohmann::json integers_only(const nlohmann::json& v) {
  if (v.is_number_float()) return fmt::format("{}", v.get<double>());
  if (v.is_object()) {
    nlohmann::json o = nlohmann::json::object();
    for (auto it = v.begin(); it != v.end(); ++it) o[it.key()] = integers_only(it.value());
    return o;
  }
  if (v.is_array()) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& i : v) a.push_back(integers_only(i));
    return a;
  }
  return v;
}

std::string blake3_hex(const std::string& s) {
  auto d = crypto::blake3(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  return to_hex(d);
}

}  // namespace

Result<std::string> hash_input(const nlohmann::json& value) {
  return canonical_json(integers_only(value));
}

std::string config_hash(const nlohmann::json& service) {
  auto c = hash_input(service);
  return c ? blake3_hex(*c) : std::string();
}

namespace {

// `document` with the config-hash label added to every service, `profiles:` removed (the plan is
// already the selection: every service in it runs) and image names re-homed, as block YAML: what
// Compose is fed.
std::string labeled_yaml(nlohmann::json document, const std::map<std::string, std::string>& hashes,
                         std::string_view from_registry, std::string_view to_registry) {
  for (const auto& [service, hash] : hashes) {
    auto& svc = document["services"][service];
    if (!svc["labels"].is_object()) svc["labels"] = nlohmann::json::object();
    svc["labels"][kConfigHashLabel] = hash;
    svc.erase("profiles");
    if (from_registry.empty() || !svc.contains("image") || !svc["image"].is_string()) continue;
    const std::string image = svc["image"].get<std::string>();
    const std::string prefix = std::string(from_registry) + "/";
    if (image.starts_with(prefix))
      svc["image"] = std::string(to_registry) + "/" + image.substr(prefix.size());
  }
  return yaml::emit(document);
}

}  // namespace

Status finish_plan(Plan& plan) {
  auto c = hash_input(plan.document);
  if (!c) return std::unexpected(c.error());
  plan.json = *c;
  plan.content_hash = blake3_hex(*c);
  plan.yaml = yaml::emit(plan.document);
  plan.service_hashes.clear();
  if (plan.document.contains("services"))
    for (auto it = plan.document["services"].begin(); it != plan.document["services"].end(); ++it)
      plan.service_hashes[it.key()] = config_hash(it.value());
  // The one place the config-hash label is added: to a copy, so `document` and its hashes stay put.
  plan.apply_yaml = labeled_yaml(plan.document, plan.service_hashes, {}, {});
  return {};
}

namespace {

// Whether any string (key or value) below `value` contains `needle`.
bool mentions(const nlohmann::json& value, const std::string& needle) {
  if (value.is_string()) return value.get_ref<const std::string&>().find(needle) != std::string::npos;
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it)
      if (it.key().find(needle) != std::string::npos || mentions(it.value(), needle)) return true;
    return false;
  }
  if (value.is_array())
    for (const auto& item : value)
      if (mentions(item, needle)) return true;
  return false;
}

}  // namespace

Status hash_without_secret_values(Plan& plan, const nlohmann::json& unresolved_document,
                                  const std::map<std::string, std::string>& secret_file_digests) {
  const nlohmann::json& services = unresolved_document.value("services", nlohmann::json::object());
  for (auto& [service, hash] : plan.service_hashes) {
    if (!services.contains(service))
      return fail(ErrorKind::kInternal,
                  fmt::format("service {} is missing from the plan rendered without secrets", service));
    const nlohmann::json& unresolved = services.at(service);
    nlohmann::json files = nlohmann::json::object();
    for (const auto& use : plan.secrets) {
      if (!mentions(unresolved, use.ref.text())) continue;
      auto digest = secret_file_digests.find(use.ref.file);
      files[use.ref.file] = digest == secret_file_digests.end() ? "unreadable" : digest->second;
    }
    if (files.empty()) {
      hash = config_hash(unresolved);
      continue;
    }
    auto c = hash_input(nlohmann::json{{"service", unresolved}, {"secret_files", files}});
    if (!c) return std::unexpected(c.error());
    hash = blake3_hex(*c);
  }
  plan.apply_yaml = labeled_yaml(plan.document, plan.service_hashes, {}, {});
  return {};
}

void rehome_images(Plan& plan, std::string_view from_registry, std::string_view to_registry) {
  plan.apply_yaml = labeled_yaml(plan.document, plan.service_hashes, from_registry, to_registry);
}

}  // namespace lucid::render
