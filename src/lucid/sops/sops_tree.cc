#include "lucid/sops/sops_tree.h"

#include <openssl/evp.h>

#include <charconv>
#include <cmath>
#include <functional>
#include <regex>

#include <fmt/format.h>

#include "lucid/base/hex.h"

namespace lucid::sops {
namespace {

// sops.MACOnlyEncryptedInitialization: SHA-256("sops"), hashed first when mac_only_encrypted.
constexpr std::uint8_t kMacOnlyEncryptedInit[32] = {
    0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
    0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69};

class Mac {
 public:
  explicit Mac(bool mac_only_encrypted) : ctx_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(ctx_, EVP_sha512(), nullptr);
    if (mac_only_encrypted) EVP_DigestUpdate(ctx_, kMacOnlyEncryptedInit, sizeof kMacOnlyEncryptedInit);
  }
  ~Mac() { EVP_MD_CTX_free(ctx_); }
  Mac(const Mac&) = delete;
  Mac& operator=(const Mac&) = delete;
  void add(std::string_view bytes) { EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()); }
  std::string finish() {
    std::uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, digest, &len);
    std::string hex = to_hex(std::span<const std::uint8_t>(digest, len));
    for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return hex;
  }

 private:
  EVP_MD_CTX* ctx_;
};

using Leaf = std::function<Status(SopsNode&, const std::vector<std::string>&)>;

Status walk(SopsNode& node, std::vector<std::string>& path, const Leaf& leaf) {
  switch (node.kind) {
    case SopsNode::Kind::kScalar:
      if (node.type == SopsType::kNull) return {};  // SOPS never encrypts or MACs null
      return leaf(node, path);
    case SopsNode::Kind::kSequence:
      for (auto& item : node.items)
        if (auto s = walk(item, path, leaf); !s) return s;
      return {};
    case SopsNode::Kind::kMapping:
      for (auto& [k, v] : node.entries) {
        path.push_back(k);
        auto s = walk(v, path, leaf);
        path.pop_back();
        if (!s) return s;
      }
      return {};
  }
  return {};
}

Result<std::string> typed_text(SopsType type, std::string_view raw) {
  std::string s(raw);
  switch (type) {
    case SopsType::kStr:
    case SopsType::kBytes:
    case SopsType::kComment:
    case SopsType::kNull:
      return s;
    case SopsType::kInt: {
      long long v = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc() || p != s.data() + s.size() || s.empty())
        return fail(ErrorKind::kCorrupt, "decrypted value of type int is not an integer");
      return std::to_string(v);
    }
    case SopsType::kFloat: {
      double v = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc() || p != s.data() + s.size() || s.empty())
        return fail(ErrorKind::kCorrupt, "decrypted value of type float is not a number");
      return sops_format_float(v);
    }
    case SopsType::kBool: {
      // Go's strconv.ParseBool
      if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True")
        return std::string("True");
      if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False")
        return std::string("False");
      return fail(ErrorKind::kCorrupt, "decrypted value of type bool is not a boolean");
    }
  }
  return s;
}

bool regex_search_any(const std::string& re, const std::vector<std::string>& path) {
  std::regex r(re);
  for (const auto& p : path)
    if (std::regex_search(p, r)) return true;
  return false;
}

}  // namespace

SopsNode::~SopsNode() {
  secure_zero(text.data(), text.capacity());
}

SopsNode SopsNode::scalar(SopsType type, std::string text) {
  SopsNode n;
  n.type = type;
  n.text = std::move(text);
  return n;
}

const SopsNode* SopsNode::find(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}
SopsNode* SopsNode::find(std::string_view key) {
  for (auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}

Status SopsRules::validate() const {
  int n = !unencrypted_suffix.empty() + !encrypted_suffix.empty() + !unencrypted_regex.empty() +
          !encrypted_regex.empty();
  if (n > 1)
    return fail(
        ErrorKind::kInvalidArgument,
        "sops: more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex");
  for (const auto* re : {&unencrypted_regex, &encrypted_regex}) {
    if (re->empty()) continue;
    try {
      std::regex r(*re);
    } catch (const std::regex_error&) {
      return fail(ErrorKind::kInvalidArgument, fmt::format("sops: regex '{}' does not compile", *re));
    }
  }
  return {};
}

bool SopsRules::should_encrypt(const std::vector<std::string>& path) const {
  bool encrypted = true;
  if (!unencrypted_suffix.empty())
    for (const auto& p : path)
      if (p.ends_with(unencrypted_suffix)) {
        encrypted = false;
        break;
      }
  if (!encrypted_suffix.empty()) {
    encrypted = false;
    for (const auto& p : path)
      if (p.ends_with(encrypted_suffix)) {
        encrypted = true;
        break;
      }
  }
  if (!unencrypted_regex.empty() && regex_search_any(unencrypted_regex, path)) encrypted = false;
  if (!encrypted_regex.empty()) encrypted = regex_search_any(encrypted_regex, path);
  return encrypted;
}

std::string sops_aad(const std::vector<std::string>& path) {
  std::string s;
  for (const auto& p : path) s += p + ":";
  return s.empty() ? ":" : s;
}

std::string sops_path_text(const std::vector<std::string>& path) {
  if (path.empty()) return "(root)";
  std::string s;
  for (const auto& p : path) s += (s.empty() ? "" : ".") + p;
  return s;
}

std::string sops_format_float(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[512];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  if (ec != std::errc()) return fmt::format("{}", v);
  return std::string(buf, p);
}

Result<std::string> sops_encrypt_tree(SopsNode& tree, const SopsRules& rules, const SopsDataKey& key,
                                      const SopsIvStash* stash) {
  Mac mac(rules.mac_only_encrypted);
  std::vector<std::string> path;
  auto s = walk(tree, path, [&](SopsNode& n, const std::vector<std::string>& p) -> Status {
    bool enc = rules.should_encrypt(p);
    if (!rules.mac_only_encrypted || enc) mac.add(n.text);
    if (!enc) return {};
    if ((n.type == SopsType::kStr || n.type == SopsType::kBytes) && n.text.empty())
      return {};  // SOPS: "" stays ""
    std::string aad = sops_aad(p);
    std::span<const std::uint8_t> iv;
    if (stash) {
      auto it = stash->find({aad, n.type, n.text});
      if (it != stash->end()) iv = it->second;
    }
    auto sealed = sops_seal({reinterpret_cast<const std::uint8_t*>(n.text.data()), n.text.size()}, n.type,
                            key, aad, iv);
    if (!sealed) return std::unexpected(with_context(sops_path_text(p), sealed.error()));
    secure_zero(n.text.data(), n.text.capacity());
    n.text = std::move(*sealed);
    n.type = SopsType::kStr;
    return {};
  });
  if (!s) return std::unexpected(s.error());
  return mac.finish();
}

Result<std::string> sops_decrypt_tree(SopsNode& tree, const SopsRules& rules, const SopsDataKey& key,
                                      SopsIvStash* stash) {
  Mac mac(rules.mac_only_encrypted);
  std::vector<std::string> path;
  auto s = walk(tree, path, [&](SopsNode& n, const std::vector<std::string>& p) -> Status {
    bool enc = rules.should_encrypt(p);
    if (enc) {
      if (n.type != SopsType::kStr)
        return fail(ErrorKind::kCorrupt, fmt::format("value at '{}' should be encrypted but is a plain {}",
                                                     sops_path_text(p), sops_type_name(n.type)));
      if (!n.text.empty()) {
        if (!sops_looks_encrypted(n.text))
          return fail(ErrorKind::kCorrupt,
                      fmt::format("value at '{}' should be encrypted but is plaintext", sops_path_text(p)));
        std::string aad = sops_aad(p);
        auto opened = sops_open(n.text, key, aad);
        if (!opened)
          return fail(opened.error().kind,
                      fmt::format("value at '{}': {}", sops_path_text(p), opened.error().message));
        std::string_view raw(reinterpret_cast<const char*>(opened->plaintext.data()),
                             opened->plaintext.size());
        auto text = typed_text(opened->type, raw);
        if (!text)
          return fail(ErrorKind::kCorrupt,
                      fmt::format("value at '{}': {}", sops_path_text(p), text.error().message));
        secure_zero(n.text.data(), n.text.capacity());
        n.text = std::move(*text);
        n.type = opened->type;
        if (stash) (*stash)[{aad, n.type, n.text}] = opened->iv;
      }
    }
    if (!rules.mac_only_encrypted || enc) mac.add(n.text);
    return {};
  });
  if (!s) return std::unexpected(s.error());
  return mac.finish();
}

std::vector<std::string> sops_unencrypted_paths(const SopsNode& tree, const SopsRules& rules) {
  std::vector<std::string> out;
  std::vector<std::string> path;
  SopsNode copy = tree;
  (void)walk(copy, path, [&](SopsNode& n, const std::vector<std::string>& p) -> Status {
    if (!rules.should_encrypt(p)) return {};
    if (n.type == SopsType::kStr && n.text.empty()) return {};
    if (n.type != SopsType::kStr || !sops_looks_encrypted(n.text))
      out.push_back(sops_path_text(p) + " (plaintext)");
    else if (auto v = sops_parse_enc(n.text); !v)
      out.push_back(sops_path_text(p) + " (" + v.error().message + ")");
    return {};
  });
  return out;
}

}  // namespace lucid::sops
