#include "lucid/sops/sops_value.h"

#include <openssl/evp.h>

#include <memory>

#include <fmt/format.h>

#include "lucid/base/base64.h"
#include "lucid/base/random.h"

namespace lucid::sops {
namespace {

constexpr std::string_view kPrefix = "ENC[AES256_GCM,";

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

Result<std::vector<std::uint8_t>> b64_field(std::string_view text, std::string_view name) {
  auto bytes = base64_decode(text, Base64Options{.padded = true, .canonical = false});
  if (!bytes) return fail(ErrorKind::kCorrupt, fmt::format("ENC value: {} is not valid base64", name));
  return bytes;
}

}  // namespace

std::string_view sops_type_name(SopsType type) {
  switch (type) {
    case SopsType::kStr:
      return "str";
    case SopsType::kInt:
      return "int";
    case SopsType::kFloat:
      return "float";
    case SopsType::kBool:
      return "bool";
    case SopsType::kBytes:
      return "bytes";
    case SopsType::kComment:
      return "comment";
    case SopsType::kNull:
      return "null";
  }
  return "str";
}

std::optional<SopsType> sops_type_from_name(std::string_view name) {
  for (SopsType t : {SopsType::kStr, SopsType::kInt, SopsType::kFloat, SopsType::kBool, SopsType::kBytes,
                     SopsType::kComment})
    if (sops_type_name(t) == name) return t;
  return std::nullopt;
}

bool sops_looks_encrypted(std::string_view text) {
  return text.starts_with("ENC[");
}

Result<SopsEncValue> sops_parse_enc(std::string_view text) {
  if (!text.starts_with(kPrefix) || !text.ends_with("]"))
    return fail(ErrorKind::kCorrupt, "not an ENC[AES256_GCM,...] value");
  std::string_view body = text.substr(kPrefix.size(), text.size() - kPrefix.size() - 1);
  std::string_view parts[4];
  constexpr std::string_view kNames[4] = {"data", "iv", "tag", "type"};
  for (int i = 0; i < 4; ++i) {
    std::string_view want = kNames[i];
    if (!body.starts_with(want) || body.size() <= want.size() || body[want.size()] != ':')
      return fail(ErrorKind::kCorrupt, fmt::format("ENC value: field '{}' missing or out of order", want));
    body.remove_prefix(want.size() + 1);
    auto comma = i < 3 ? body.find(',') : std::string_view::npos;
    if (i < 3 && comma == std::string_view::npos)
      return fail(ErrorKind::kCorrupt, fmt::format("ENC value: field '{}' is not terminated", want));
    parts[i] = body.substr(0, comma);
    body = i < 3 ? body.substr(comma + 1) : std::string_view{};
  }
  SopsEncValue v;
  auto data = b64_field(parts[0], "data");
  if (!data) return std::unexpected(data.error());
  auto iv = b64_field(parts[1], "iv");
  if (!iv) return std::unexpected(iv.error());
  auto tag = b64_field(parts[2], "tag");
  if (!tag) return std::unexpected(tag.error());
  if (iv->empty()) return fail(ErrorKind::kCorrupt, "ENC value: iv is empty");
  if (tag->size() != kSopsTagBytes)
    return fail(ErrorKind::kCorrupt, fmt::format("ENC value: tag is {} bytes, not 16", tag->size()));
  auto type = sops_type_from_name(parts[3]);
  if (!type) return fail(ErrorKind::kCorrupt, "ENC value: unknown type");
  v.ciphertext = std::move(*data);
  v.iv = std::move(*iv);
  v.tag = std::move(*tag);
  v.type = *type;
  return v;
}

std::string sops_format_enc(const SopsEncValue& v) {
  return fmt::format("ENC[AES256_GCM,data:{},iv:{},tag:{},type:{}]", base64_encode(v.ciphertext),
                     base64_encode(v.iv), base64_encode(v.tag), sops_type_name(v.type));
}

Result<std::string> sops_seal(std::span<const std::uint8_t> plaintext, SopsType type, const SopsDataKey& key,
                              std::string_view aad, std::span<const std::uint8_t> iv_in) {
  SopsEncValue v;
  v.type = type;
  if (iv_in.empty()) {
    v.iv.resize(kSopsIvBytes);
    random_bytes(v.iv);
  } else {
    v.iv.assign(iv_in.begin(), iv_in.end());
  }
  Ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  v.ciphertext.resize(plaintext.size());
  v.tag.resize(kSopsTagBytes);
  bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(v.iv.size()), nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), v.iv.data()) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), v.ciphertext.data(), &len, plaintext.data(),
                        static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), v.ciphertext.data() + len, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kSopsTagBytes), v.tag.data()) ==
          1;
  if (!ok) return fail(ErrorKind::kInternal, "AES-256-GCM encryption failed (OpenSSL)");
  return sops_format_enc(v);
}

Result<SopsOpened> sops_open(std::string_view enc, const SopsDataKey& key, std::string_view aad) {
  auto v = sops_parse_enc(enc);
  if (!v) return std::unexpected(v.error());
  SopsOpened out;
  out.type = v->type;
  out.plaintext.resize(v->ciphertext.size());
  Ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool setup =
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(v->iv.size()), nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), v->iv.data()) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), out.plaintext.data(), &len, v->ciphertext.data(),
                        static_cast<int>(v->ciphertext.size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kSopsTagBytes), v->tag.data()) ==
          1;
  if (!setup) return fail(ErrorKind::kInternal, "AES-256-GCM setup failed (OpenSSL)");
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), out.plaintext.data() + len, &final_len) != 1) {
    out.plaintext.clear();
    return fail(ErrorKind::kAuthentication,
                "AES-GCM authentication failed (value, iv, tag or key path altered, or wrong data key)");
  }
  out.iv = std::move(v->iv);
  return out;
}

}  // namespace lucid::sops
