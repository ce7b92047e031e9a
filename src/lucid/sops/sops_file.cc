#include "lucid/sops/sops_file.h"

#include <charconv>

#include <fmt/format.h>

#include "lucid/base/random.h"
#include "lucid/crypto/age_armor.h"
#include "lucid/crypto/constant_time.h"

namespace lucid::sops {
namespace {

constexpr std::string_view kSopsKey = "sops";
constexpr std::string_view kDotenvPrefix = "sops_";

Result<SopsNode> metadata_node(SopsNode& root, SopsFormat format, const std::string& name) {
  if (format == SopsFormat::kDotenv) {
    std::vector<std::pair<std::string, std::string>> flat;
    std::vector<std::pair<std::string, SopsNode>> rest;
    for (auto& [k, v] : root.entries) {
      if (k.starts_with(kDotenvPrefix))
        flat.emplace_back(k.substr(kDotenvPrefix.size()), v.text);
      else
        rest.emplace_back(k, std::move(v));
    }
    if (flat.empty())
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("{}: not a SOPS file: no sops_* metadata keys", name));
    root.entries = std::move(rest);
    return sops_unflatten(flat);
  }
  for (auto it = root.entries.begin(); it != root.entries.end(); ++it) {
    if (it->first != kSopsKey) continue;
    SopsNode meta = std::move(it->second);
    root.entries.erase(it);
    return meta;
  }
  return fail(ErrorKind::kInvalidArgument,
              fmt::format("{}: not a SOPS file: no top-level 'sops' metadata", name));
}

}  // namespace

Result<SopsFile> sops_parse(std::string_view text, SopsFormat format, const std::string& name) {
  auto root = sops_load(text, format, name);
  if (!root) return std::unexpected(root.error());
  auto meta_node = metadata_node(*root, format, name);
  if (!meta_node) return std::unexpected(meta_node.error());
  auto meta = sops_metadata_from_node(*meta_node);
  if (!meta) return std::unexpected(with_context(name, meta.error()));
  SopsFile f;
  f.format = format;
  f.data = std::move(*root);
  f.meta = std::move(*meta);
  return f;
}

Result<std::string> sops_serialize(const SopsFile& file) {
  SopsNode root = file.data;
  if (file.format == SopsFormat::kDotenv) {
    for (auto& [k, v] : sops_flatten(sops_metadata_to_node(file.meta, false)))
      root.entries.emplace_back(std::string(kDotenvPrefix) + k, SopsNode::scalar(SopsType::kStr, v));
  } else {
    root.entries.emplace_back(std::string(kSopsKey),
                              sops_metadata_to_node(file.meta, file.format == SopsFormat::kJson));
  }
  return sops_emit(root, file.format);
}

Status sops_check(const SopsFile& file, const std::string& name) {
  for (std::size_t g = 0; g < file.meta.groups.size(); ++g) {
    for (std::size_t i = 0; i < file.meta.groups[g].size(); ++i) {
      const auto& k = file.meta.groups[g][i];
      std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(k.enc.data()), k.enc.size());
      std::string where = file.meta.key_groups_form ? fmt::format("sops.key_groups[{}].age[{}]", g, i)
                                                    : fmt::format("sops.age[{}]", i);
      if (!crypto::age_is_armored(bytes))
        return fail(ErrorKind::kCorrupt, fmt::format("{}: {}.enc: not an armored age file", name, where));
      auto bin = crypto::age_dearmor(bytes);
      if (!bin)
        return fail(ErrorKind::kCorrupt, fmt::format("{}: {}.enc: {}", name, where, bin.error().message));
      if (!std::string_view(reinterpret_cast<const char*>(bin->data()), bin->size())
               .starts_with("age-encryption.org/v1\n"))
        return fail(ErrorKind::kCorrupt, fmt::format("{}: {}.enc: not an age v1 file", name, where));
    }
  }
  auto bad = sops_unencrypted_paths(file.data, file.meta.effective_rules());
  if (!bad.empty())
    return fail(ErrorKind::kCorrupt, fmt::format("{}: not fully encrypted: {}", name, fmt::join(bad, ", ")));
  return {};
}

Result<SopsPlain> sops_decrypt(const SopsFile& file, std::span<const crypto::X25519Identity> identities,
                               const std::string& name) {
  auto key = sops_unwrap_data_key(file.meta, identities);
  if (!key) return std::unexpected(with_context(name, key.error()));
  SopsPlain plain;
  plain.key = *key;
  plain.data = file.data;
  SopsRules rules = file.meta.effective_rules();
  auto mac = sops_decrypt_tree(plain.data, rules, plain.key, &plain.stash);
  if (!mac) return std::unexpected(with_context(name, mac.error()));
  auto aad = sops_lastmodified_aad(file.meta.lastmodified);
  if (!aad) return std::unexpected(with_context(name, aad.error()));
  auto stored = sops_open(file.meta.mac, plain.key, *aad);
  if (!stored)
    return fail(ErrorKind::kAuthentication,
                fmt::format("{}: sops.mac does not authenticate with sops.lastmodified as associated data "
                            "(the MAC or lastmodified was altered)",
                            name));
  std::string_view stored_hex(reinterpret_cast<const char*>(stored->plaintext.data()),
                              stored->plaintext.size());
  if (!crypto::equal_constant_time(stored_hex, *mac))
    return fail(
        ErrorKind::kAuthentication,
        fmt::format("{}: MAC mismatch: the file's values do not match sops.mac (a value was altered, added, "
                    "removed or reordered)",
                    name));
  return plain;
}

Result<SopsFile> sops_encrypt(SopsNode plain, SopsFormat format,
                              std::span<const crypto::X25519Recipient> recipients, const SopsRules& rules) {
  if (!plain.is_mapping())
    return fail(ErrorKind::kInvalidArgument, "the document to encrypt is not a mapping");
  for (const auto& [k, v] : plain.entries)
    if (k == kSopsKey || (format == SopsFormat::kDotenv && k.starts_with(kDotenvPrefix)))
      return fail(ErrorKind::kInvalidArgument, "the document already has sops metadata (already encrypted?)");
  SopsFile f;
  f.format = format;
  f.meta.rules = rules;
  if (rules.unencrypted_suffix.empty() && rules.encrypted_suffix.empty() && rules.unencrypted_regex.empty() &&
      rules.encrypted_regex.empty())
    f.meta.rules.unencrypted_suffix = "_unencrypted";
  if (auto s = f.meta.rules.validate(); !s) return std::unexpected(s.error());
  SopsDataKey key;
  random_bytes(std::span<std::uint8_t>(key.data(), key.size()));
  auto wrapped = sops_wrap_data_key(key, recipients);
  if (!wrapped) return std::unexpected(wrapped.error());
  f.meta.groups.push_back(std::move(*wrapped));
  f.meta.version = kSopsFormatVersion;
  SopsPlain before;
  before.key = key;
  return sops_reencrypt(f, before, std::move(plain));
}

Result<SopsFile> sops_reencrypt(const SopsFile& original, const SopsPlain& before, SopsNode edited) {
  SopsFile f;
  f.format = original.format;
  f.meta = original.meta;
  f.meta.lastmodified = sops_now();
  f.data = std::move(edited);
  auto mac = sops_encrypt_tree(f.data, f.meta.effective_rules(), before.key, &before.stash);
  if (!mac) return std::unexpected(mac.error());
  auto aad = sops_lastmodified_aad(f.meta.lastmodified);
  if (!aad) return std::unexpected(aad.error());
  auto sealed = sops_seal({reinterpret_cast<const std::uint8_t*>(mac->data()), mac->size()}, SopsType::kStr,
                          before.key, *aad);
  if (!sealed) return std::unexpected(sealed.error());
  f.meta.mac = std::move(*sealed);
  return f;
}

const SopsNode* sops_lookup(const SopsNode& data, std::string_view dotted) {
  const SopsNode* n = &data;
  std::size_t start = 0;
  for (;;) {
    auto dot = dotted.find('.', start);
    std::string_view part =
        dotted.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (n->is_mapping()) {
      n = n->find(part);
    } else if (n->is_sequence()) {
      std::size_t idx = 0;
      auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), idx);
      n = ec == std::errc() && p == part.data() + part.size() && idx < n->items.size() ? &n->items[idx]
                                                                                       : nullptr;
    } else {
      n = nullptr;
    }
    if (n == nullptr || dot == std::string_view::npos) return n;
    start = dot + 1;
  }
}

}  // namespace lucid::sops
