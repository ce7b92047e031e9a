// secrets/*: every secrets/*.enc.yaml is SOPS-shaped: each value ENC[AES256_GCM,…] unless its key
// carries the unencrypted suffix, and a `sops` block with age recipients, lastmodified and mac.
#include <fmt/format.h>

#include "lucid/lint/checks.h"

namespace lucid::lint {
namespace {

bool is_b64(std::string_view s, bool allow_empty) {
  if (s.empty()) return allow_empty;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=') return false;
  return true;
}

// ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<str|int|float|bool|bytes|comment>]
bool is_sops_value(std::string_view v) {
  constexpr std::string_view kHead = "ENC[AES256_GCM,data:";
  if (!v.starts_with(kHead) || !v.ends_with("]")) return false;
  v.remove_prefix(kHead.size());
  v.remove_suffix(1);
  auto take = [&](std::string_view next) -> std::string_view {
    auto at = v.find(next);
    if (at == std::string_view::npos) return {};
    auto part = v.substr(0, at);
    v.remove_prefix(at + next.size());
    return part;
  };
  auto data = take(",iv:");
  auto iv = take(",tag:");
  auto tag = take(",type:");
  bool type_ok = v == "str" || v == "int" || v == "float" || v == "bool" || v == "bytes" || v == "comment";
  return is_b64(data, true) && is_b64(iv, false) && is_b64(tag, false) && type_ok;
}

std::string scalar(const yaml::Node* n) {
  return n && n->is_scalar() ? n->value : std::string();
}

class LeafCheck {
 public:
  LeafCheck(std::string suffix, Sink& sink) : suffix_(std::move(suffix)), sink_(sink) {}
  void walk(const yaml::Node& n, const std::string& path) {
    if (n.is_mapping()) {
      for (const auto& [k, v] : n.entries) {
        if (k.value.ends_with(suffix_)) continue;  // the whole subtree stays clear text
        walk(v, path.empty() ? k.value : path + "." + k.value);
      }
    } else if (n.is_sequence()) {
      for (const auto& i : n.items) walk(i, path);
    } else if (!n.value.empty() && !is_sops_value(n.value)) {  // sops leaves "" as it is: nothing to hide
      sink_.add(n.mark, "secrets/encrypted", fmt::format("value at '{}' is not SOPS-encrypted", path),
                fmt::format("encrypt the file with sops (age), or end the key with '{}' if it is not secret",
                            suffix_));
    }
  }

 private:
  std::string suffix_;
  Sink& sink_;
};

void check_metadata(const fleet::YamlFile& f, const yaml::Node& sops, Sink& sink) {
  constexpr const char* kRule = "secrets/sops-metadata";
  const yaml::Node* age = sops.find("age");
  if (!age || !age->is_sequence() || age->items.empty()) {
    sink.add(age ? age->mark : sops.mark, kRule, fmt::format("{}: sops.age lists no recipients", f.path),
             "encrypt to the operator's and the site's age keys (sops --age …)");
  } else {
    for (const auto& r : age->items)
      if (!scalar(r.find("recipient")).starts_with("age1") || scalar(r.find("enc")).empty())
        sink.add(r.mark, kRule, fmt::format("{}: an age entry needs `recipient: age1…` and `enc`", f.path),
                 "re-encrypt the file with sops");
  }
  if (scalar(sops.find("lastmodified")).empty())
    sink.add(sops.mark, kRule, fmt::format("{}: sops.lastmodified is missing", f.path),
             "re-encrypt the file with sops");
  if (const auto* mac = sops.find("mac"); !mac || !is_sops_value(scalar(mac)))
    sink.add(mac ? mac->mark : sops.mark, kRule, fmt::format("{}: sops.mac is missing or not ENC[…]", f.path),
             "the MAC protects the file's integrity; re-encrypt the file with sops");
}

}  // namespace

void check_secrets(const Context& ctx, Sink& sink) {
  for (const auto& [name, f] : ctx.model.secrets) {
    const yaml::Node& root = *f.root;
    if (!root.is_mapping()) {
      sink.add(root.mark, "secrets/sops-metadata", fmt::format("{} is not a SOPS YAML mapping", f.path),
               "create it with sops");
      continue;
    }
    const yaml::Node* sops = root.find("sops");
    std::string suffix = "_unencrypted";
    if (!sops || !sops->is_mapping()) {
      sink.add(root.mark, "secrets/sops-metadata", fmt::format("{} has no sops: block", f.path),
               "the file is not SOPS-encrypted; encrypt it with sops (age)");
    } else {
      check_metadata(f, *sops, sink);
      if (auto s = scalar(sops->find("unencrypted_suffix")); !s.empty()) suffix = s;
    }
    LeafCheck leaves(suffix, sink);
    for (const auto& [k, v] : root.entries) {
      if (k.value == "sops" || k.value.ends_with(suffix)) continue;
      leaves.walk(v, k.value);
    }
  }
}

}  // namespace lucid::lint
