#include "lucid/sops/sops_metadata.h"

#include <ctime>
#include <regex>

#include <fmt/format.h>

#include "lucid/base/number.h"
#include "lucid/crypto/age.h"

namespace lucid::sops {
namespace {

constexpr const char* kOtherKeyLists[] = {"kms", "gcp_kms", "azure_kv", "hc_vault", "pgp"};

Result<std::string> scalar_field(const SopsNode& m, const char* name, bool required) {
  const SopsNode* n = m.find(name);
  if (n == nullptr || (n->is_scalar() && n->type == SopsType::kNull)) {
    if (required) return fail(ErrorKind::kCorrupt, fmt::format("sops.{}: missing", name));
    return std::string();
  }
  if (!n->is_scalar()) return fail(ErrorKind::kCorrupt, fmt::format("sops.{}: not a scalar", name));
  return n->text;
}

Result<std::vector<SopsAgeKey>> age_list(const SopsNode* list, const std::string& where) {
  std::vector<SopsAgeKey> out;
  if (list == nullptr || (list->is_scalar() && list->type == SopsType::kNull)) return out;
  if (!list->is_sequence()) return fail(ErrorKind::kCorrupt, fmt::format("{}: not a list", where));
  for (std::size_t i = 0; i < list->items.size(); ++i) {
    const auto& item = list->items[i];
    std::string at = fmt::format("{}[{}]", where, i);
    if (!item.is_mapping()) return fail(ErrorKind::kCorrupt, fmt::format("{}: not a mapping", at));
    const SopsNode* r = item.find("recipient");
    const SopsNode* e = item.find("enc");
    if (r == nullptr || !r->is_scalar() || r->text.empty())
      return fail(ErrorKind::kCorrupt, fmt::format("{}.recipient: missing", at));
    if (e == nullptr || !e->is_scalar() || e->text.empty())
      return fail(ErrorKind::kCorrupt, fmt::format("{}.enc: missing", at));
    if (!crypto::X25519Recipient::parse(r->text))
      return fail(ErrorKind::kCorrupt, fmt::format("{}.recipient: not an age X25519 recipient", at));
    out.push_back({r->text, e->text});
  }
  return out;
}

void note_unusable(const SopsNode& m, const std::string& where, std::vector<std::string>& out) {
  for (const char* k : kOtherKeyLists)
    if (const SopsNode* n = m.find(k); n != nullptr && n->is_sequence() && !n->items.empty())
      out.push_back(where + k);
}

SopsNode str(std::string s) {
  return SopsNode::scalar(SopsType::kStr, std::move(s));
}

SopsNode age_nodes(const std::vector<SopsAgeKey>& keys, bool json) {
  if (keys.empty() && json) return SopsNode::scalar(SopsType::kNull, "");
  SopsNode seq = SopsNode::sequence();
  for (const auto& k : keys) {
    SopsNode m = SopsNode::mapping();
    m.entries.emplace_back("recipient", str(k.recipient));
    m.entries.emplace_back("enc", str(k.enc));
    seq.items.push_back(std::move(m));
  }
  return seq;
}

SopsNode empty_list(bool json) {
  return json ? SopsNode::scalar(SopsType::kNull, "") : SopsNode::sequence();
}

}  // namespace

SopsRules SopsMetadata::effective_rules() const {
  SopsRules r = rules;
  if (r.unencrypted_suffix.empty() && r.encrypted_suffix.empty() && r.unencrypted_regex.empty() &&
      r.encrypted_regex.empty())
    r.unencrypted_suffix = "_unencrypted";
  return r;
}

Result<SopsMetadata> sops_metadata_from_node(const SopsNode& m) {
  if (!m.is_mapping()) return fail(ErrorKind::kCorrupt, "sops: metadata is not a mapping");
  SopsMetadata meta;
  auto lm = scalar_field(m, "lastmodified", true);
  if (!lm) return std::unexpected(lm.error());
  meta.lastmodified = *lm;
  if (auto aad = sops_lastmodified_aad(meta.lastmodified); !aad) return std::unexpected(aad.error());
  auto mac = scalar_field(m, "mac", true);
  if (!mac) return std::unexpected(mac.error());
  meta.mac = *mac;
  if (auto v = sops_parse_enc(meta.mac); !v)
    return fail(ErrorKind::kCorrupt, fmt::format("sops.mac: {}", v.error().message));
  auto version = scalar_field(m, "version", false);
  if (!version) return std::unexpected(version.error());
  meta.version = *version;
  struct {
    const char* name;
    std::string* field;
  } selectors[] = {{"unencrypted_suffix", &meta.rules.unencrypted_suffix},
                   {"encrypted_suffix", &meta.rules.encrypted_suffix},
                   {"unencrypted_regex", &meta.rules.unencrypted_regex},
                   {"encrypted_regex", &meta.rules.encrypted_regex}};
  for (auto& s : selectors) {
    auto v = scalar_field(m, s.name, false);
    if (!v) return std::unexpected(v.error());
    *s.field = *v;
  }
  for (const char* unsupported : {"unencrypted_comment_regex", "encrypted_comment_regex"})
    if (auto v = scalar_field(m, unsupported, false); v && !v->empty())
      return fail(ErrorKind::kInvalidArgument, fmt::format("sops.{}: not supported by Lucid", unsupported));
  if (auto s = meta.rules.validate(); !s) return std::unexpected(s.error());
  if (const SopsNode* n = m.find("mac_only_encrypted"); n != nullptr && n->is_scalar()) {
    if (n->text == "True" || n->text == "true")
      meta.rules.mac_only_encrypted = true;
    else if (!(n->text == "False" || n->text == "false" || n->type == SopsType::kNull))
      return fail(ErrorKind::kCorrupt, "sops.mac_only_encrypted: not a boolean");
  }
  if (const SopsNode* n = m.find("shamir_threshold");
      n != nullptr && n->is_scalar() && n->type != SopsType::kNull) {
    auto threshold = parse_number<int>(n->text, "sops.shamir_threshold");
    if (!threshold) return fail(ErrorKind::kCorrupt, "sops.shamir_threshold: not an integer");
    meta.shamir_threshold = *threshold;
  }
  auto top = age_list(m.find("age"), "sops.age");
  if (!top) return std::unexpected(top.error());
  note_unusable(m, "sops.", meta.unusable);
  const SopsNode* groups = m.find("key_groups");
  if (!top->empty()) {
    meta.groups.push_back(std::move(*top));
  } else if (groups != nullptr && groups->is_sequence() && !groups->items.empty()) {
    meta.key_groups_form = true;
    for (std::size_t i = 0; i < groups->items.size(); ++i) {
      const auto& g = groups->items[i];
      std::string where = fmt::format("sops.key_groups[{}]", i);
      if (!g.is_mapping()) return fail(ErrorKind::kCorrupt, where + ": not a mapping");
      auto keys = age_list(g.find("age"), where + ".age");
      if (!keys) return std::unexpected(keys.error());
      note_unusable(g, where + ".", meta.unusable);
      meta.groups.push_back(std::move(*keys));
    }
  }
  bool any_age = false;
  for (const auto& g : meta.groups) any_age = any_age || !g.empty();
  if (!any_age)
    return fail(ErrorKind::kCorrupt,
                meta.unusable.empty()
                    ? "sops: no keys found in the metadata (no age recipients)"
                    : fmt::format("sops: no age recipients (only {} keys, which Lucid does not use)",
                                  meta.unusable.front()));
  return meta;
}

SopsNode sops_metadata_to_node(const SopsMetadata& meta, bool json) {
  SopsNode m = SopsNode::mapping();
  bool groups_form = meta.key_groups_form || meta.groups.size() > 1;
  if (meta.shamir_threshold != 0)
    m.entries.emplace_back("shamir_threshold",
                           SopsNode::scalar(SopsType::kInt, std::to_string(meta.shamir_threshold)));
  if (groups_form) {
    SopsNode seq = SopsNode::sequence();
    for (const auto& g : meta.groups) {
      SopsNode gm = SopsNode::mapping();
      gm.entries.emplace_back("hc_vault", empty_list(json));
      gm.entries.emplace_back("age", age_nodes(g, json));
      seq.items.push_back(std::move(gm));
    }
    m.entries.emplace_back("key_groups", std::move(seq));
  }
  for (const char* k : {"kms", "gcp_kms", "azure_kv", "hc_vault"})
    m.entries.emplace_back(k, empty_list(json));
  m.entries.emplace_back(
      "age", groups_form || meta.groups.empty() ? empty_list(json) : age_nodes(meta.groups[0], json));
  m.entries.emplace_back("lastmodified", str(meta.lastmodified));
  m.entries.emplace_back("mac", str(meta.mac));
  m.entries.emplace_back("pgp", empty_list(json));
  if (!meta.rules.unencrypted_suffix.empty())
    m.entries.emplace_back("unencrypted_suffix", str(meta.rules.unencrypted_suffix));
  if (!meta.rules.encrypted_suffix.empty())
    m.entries.emplace_back("encrypted_suffix", str(meta.rules.encrypted_suffix));
  if (!meta.rules.unencrypted_regex.empty())
    m.entries.emplace_back("unencrypted_regex", str(meta.rules.unencrypted_regex));
  if (!meta.rules.encrypted_regex.empty())
    m.entries.emplace_back("encrypted_regex", str(meta.rules.encrypted_regex));
  if (meta.rules.mac_only_encrypted)
    m.entries.emplace_back("mac_only_encrypted", SopsNode::scalar(SopsType::kBool, "True"));
  m.entries.emplace_back("version", str(meta.version.empty() ? kSopsFormatVersion : meta.version));
  return m;
}

Result<std::string> sops_lastmodified_aad(const std::string& lm) {
  static const std::regex re(R"(^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$)");
  std::smatch m;
  if (!std::regex_match(lm, m, re))
    return fail(ErrorKind::kCorrupt, "sops.lastmodified: not an RFC 3339 time");
  std::string zone = m[3].str();
  bool utc = zone == "+00:00" || zone == "-00:00";
  return m[1].str() + (utc ? std::string(1, 'Z') : zone);
}

std::string sops_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<SopsDataKey> sops_unwrap_data_key(const SopsMetadata& meta,
                                         std::span<const crypto::X25519Identity> identities) {
  if (meta.groups.size() > 1)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("sops: {} key groups (Shamir secret sharing) are not supported by Lucid",
                            meta.groups.size()));
  if (identities.empty())
    return fail(ErrorKind::kInvalidArgument, "no age identity given to decrypt the data key");
  std::vector<std::string> ours;
  for (const auto& id : identities) ours.push_back(id.recipient().to_string());
  const auto& group = meta.groups.at(0);
  std::string where = meta.key_groups_form ? "sops.key_groups[0].age" : "sops.age";
  std::string damaged;
  for (std::size_t i = 0; i < group.size(); ++i) {
    const auto& k = group[i];
    std::span<const std::uint8_t> file(reinterpret_cast<const std::uint8_t*>(k.enc.data()), k.enc.size());
    auto key = crypto::age_decrypt(file, identities);
    bool for_us = std::find(ours.begin(), ours.end(), k.recipient) != ours.end();
    if (!key) {
      if (for_us && damaged.empty())
        damaged = fmt::format("{}[{}] (data key for {}): {}", where, i, k.recipient, key.error().message);
      continue;
    }
    if (key->size() != kSopsDataKeyBytes) {
      damaged = fmt::format("{}[{}] (data key for {}): holds {} bytes, not a 32-byte data key", where, i,
                            k.recipient, key->size());
      continue;
    }
    SopsDataKey out;
    std::copy(key->begin(), key->end(), out.data());
    return out;
  }
  if (!damaged.empty())
    return fail(ErrorKind::kAuthentication, fmt::format("cannot decrypt the data key: {}", damaged));
  return fail(
      ErrorKind::kAuthentication,
      fmt::format(
          "wrong key: no given age identity ({}) is a recipient of the data key ({} recipient(s) in {})",
          fmt::join(ours, ", "), group.size(), where));
}

Result<std::vector<SopsAgeKey>> sops_wrap_data_key(const SopsDataKey& key,
                                                   std::span<const crypto::X25519Recipient> recipients) {
  if (recipients.empty())
    return fail(ErrorKind::kInvalidArgument, "no age recipient to encrypt the data key to");
  std::vector<SopsAgeKey> out;
  for (const auto& r : recipients) {
    auto wrapped = crypto::age_encrypt(key.span(), std::span<const crypto::X25519Recipient>(&r, 1), true);
    if (!wrapped) return std::unexpected(wrapped.error());
    out.push_back({r.to_string(), std::string(wrapped->begin(), wrapped->end())});
  }
  return out;
}

}  // namespace lucid::sops
