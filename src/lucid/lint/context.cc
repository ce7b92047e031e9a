#include "lucid/lint/context.h"

#include "lucid/base/labels.h"
#include "lucid/lint/lint.h"

namespace lucid::lint {
namespace {

fleet::Severity severity_of(std::string_view rule_id) {
  const RuleInfo* r = find_rule(rule_id);
  return r ? r->severity : fleet::Severity::kError;
}

}  // namespace

void Sink::add(const yaml::Mark& at, std::string_view rule_id, std::string message, std::string hint) {
  out_.push_back(fleet::make_finding(at, severity_of(rule_id), std::string(rule_id), std::move(message),
                                     std::move(hint)));
}

void Sink::add_file(const std::string& file, std::string_view rule_id, std::string message,
                    std::string hint) {
  out_.push_back(fleet::Finding{file, 0, 0, severity_of(rule_id), std::string(rule_id), std::move(message),
                                std::move(hint)});
}

Context::Context(const fleet::Model& m, std::vector<fleet::Finding>& policy_findings)
    : model(m), policy(read_policy(m, policy_findings)) {
  if (!m.compose) return;
  services.reserve(m.compose->services.size());
  for (const auto& s : m.compose->services) {
    services.emplace(s.name, &s);
    if (const auto* p = label(s, kPlaneLabel); p && policy.planes.contains(p->value))
      plane_of.emplace(s.name, p->value);
  }
}

const fleet::Service* Context::service(const std::string& name) const {
  auto it = services.find(name);
  return it == services.end() ? nullptr : it->second;
}

std::string Context::plane(const std::string& service) const {
  auto it = plane_of.find(service);
  return it == plane_of.end() ? std::string() : it->second;
}

const fleet::LString* label(const fleet::Service& s, std::string_view key) {
  const fleet::LString* found = nullptr;
  for (const auto& [k, v] : s.labels)
    if (k.value == key) found = &v;  // the last one wins, as in Compose
  return found;
}

std::string link_target(const std::string& entry) {
  return entry.substr(0, entry.find(':'));
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    auto part = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!part.empty() && (part.front() == ' ' || part.front() == '\t')) part.remove_prefix(1);
    while (!part.empty() && (part.back() == ' ' || part.back() == '\t')) part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace lucid::lint
