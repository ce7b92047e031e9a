#include "lucid/lint/policy.h"

#include <fmt/format.h>

#include "lucid/lint/context.h"

namespace lucid::lint {
namespace {

using yaml::Node;

constexpr const char* kSpecProfiles[] = {"blockchain", "sessions", "node", "admin", "observability", "relay"};
constexpr const char* kSpecPlanes[] = {"ops", "chain", "wallet"};

std::string text(const Node* n) {
  return n && n->is_scalar() ? n->value : std::string();
}

bool truthy(const Node* n) {
  std::string v = text(n);
  return v == "true" || v == "yes" || v == "on" || v == "True" || v == "TRUE";
}

const Node* root_of(const fleet::Model& m, const char* name) {
  auto it = m.policies.find(name);
  return it == m.policies.end() ? nullptr : it->second.root.get();
}

std::string path_of(const fleet::Model& m, const char* name) {
  auto it = m.policies.find(name);
  return it == m.policies.end() ? fmt::format("policies/{}", name) : it->second.path;
}

void read_profiles(const fleet::Model& m, Policy& p, Sink& sink) {
  const Node* root = root_of(m, "profiles.yaml");
  const Node* profiles = root ? root->find("profiles") : nullptr;
  if (!profiles || !profiles->is_mapping()) {
    if (root)
      sink.add(root->mark, "policy/shape", "profiles.yaml has no `profiles:` mapping",
               "list each profile with its `services:`");
    else
      sink.add_file(path_of(m, "profiles.yaml"), "policy/shape", "policies/profiles.yaml is missing",
                    "copy it from the reference repo (deploy/policies)");
    for (const char* name : kSpecProfiles) p.profiles[name] = {};
    p.have_allow_lists = false;
    p.always = {"beta"};
    return;
  }
  for (const auto& [k, v] : profiles->entries) {
    auto& allowed = p.profiles[k.value];
    const Node* services = v.find("services");
    if (!services || !services->is_sequence()) {
      sink.add(k.mark, "policy/shape", fmt::format("profile '{}' has no `services:` list", k.value),
               "list the services this profile may enable");
      continue;
    }
    for (const Node& s : services->items) allowed.insert(s.value);
  }
  if (const Node* always = root->find("always"); always && always->is_sequence()) {
    for (const Node& s : always->items) p.always.push_back(s.value);
  } else {
    p.always = {"beta"};
  }
}

void read_acl(const fleet::Model& m, Policy& p, Sink& sink) {
  const Node* root = root_of(m, "acl.yaml");
  const Node* planes = root ? root->find("planes") : nullptr;
  if (!planes || !planes->is_mapping()) {
    if (root)
      sink.add(root->mark, "policy/shape", "acl.yaml has no `planes:` mapping",
               "define ops, chain and wallet");
    else
      sink.add_file(path_of(m, "acl.yaml"), "policy/shape", "policies/acl.yaml is missing",
                    "copy it from the reference repo (deploy/policies)");
    for (const char* name : kSpecPlanes) p.planes.insert(name);
    p.deny_planes.insert("wallet");
    return;
  }
  for (const auto& [k, v] : planes->entries) {
    p.planes.insert(k.value);
    if (text(v.find("default")) == "deny") p.deny_planes.insert(k.value);
    const Node* allow = v.find("allow");
    if (!allow) continue;
    if (!allow->is_sequence()) {
      sink.add(allow->mark, "policy/shape", fmt::format("planes.{}.allow must be a list", k.value));
      continue;
    }
    for (const Node& a : allow->items) {
      std::string from = text(a.find("from")), to = text(a.find("to"));
      if (from.empty() || to.empty()) {
        sink.add(a.mark, "policy/shape", "an allow entry needs `from` and `to`");
        continue;
      }
      p.allowed_pairs.emplace(from, to);
      if (truthy(a.find("bidirectional"))) p.allowed_pairs.emplace(to, from);
    }
  }
  if (const Node* links = root->find("links"); links && links->is_sequence()) {
    for (const Node& l : links->items) {
      const Node* from = l.find("from");
      const Node* to = l.find("to");
      if (!from || !to || !from->is_scalar() || !to->is_scalar()) {
        sink.add(l.mark, "policy/shape", "a link needs `from`, `to` and `plane`");
        continue;
      }
      p.links.push_back(AclLink{{from->value, from->mark},
                                {to->value, to->mark},
                                text(l.find("plane")),
                                truthy(l.find("bidirectional"))});
    }
  }
}

void read_privileged(const fleet::Model& m, Policy& p, Sink& sink) {
  const Node* root = root_of(m, "privileged.yaml");
  if (!root) return;  // default deny
  const Node* services = root->find("services");
  if (!services || services->is_null()) return;
  if (!services->is_mapping()) {
    sink.add(services->mark, "policy/shape", "privileged.yaml `services` must be a mapping");
    return;
  }
  for (const auto& entry : services->entries) {
    const Node& name = entry.first;
    const Node& grants = entry.second;  // (not a structured binding: lambdas below capture it)
    Allowance& a = p.allowances[name.value];
    auto each = [&](const char* key, auto&& fn) {
      if (const Node* list = grants.find(key); list && list->is_sequence())
        for (const Node& item : list->items) fn(item);
    };
    each("cap_add",
         [&](const Node& i) { a.cap_add.insert(i.is_scalar() ? i.value : text(i.find("capability"))); });
    each("group_add",
         [&](const Node& i) { a.group_add.insert(i.is_scalar() ? i.value : text(i.find("group"))); });
    each("user", [&](const Node& i) { a.users.insert(i.is_scalar() ? i.value : text(i.find("user"))); });
    each("mounts", [&](const Node& i) {
      a.mounts.push_back({text(i.find("source")), text(i.find("target")), truthy(i.find("read_only"))});
    });
    each("networks", [&](const Node& i) {
      if (i.is_scalar()) a.networks.insert(i.value);
      if (const Node* names = i.find("names"); names && names->is_sequence())
        for (const Node& n : names->items) a.networks.insert(n.value);
    });
    each("host_namespaces",
         [&](const Node& i) { a.host_namespaces.insert(i.is_scalar() ? i.value : text(i.find("key"))); });
    a.privileged = truthy(grants.find("privileged"));
    a.devices = truthy(grants.find("devices"));
  }
}

}  // namespace

const Allowance* Policy::allowance(const std::string& service) const {
  auto it = allowances.find(service);
  return it == allowances.end() ? nullptr : &it->second;
}

Policy read_policy(const fleet::Model& model, std::vector<fleet::Finding>& findings) {
  Policy p;
  Sink sink(findings);
  read_profiles(model, p, sink);
  read_acl(model, p, sink);
  read_privileged(model, p, sink);
  return p;
}

}  // namespace lucid::lint
