#include "lucid/gitsig/sshsig.h"

#include <openssl/evp.h>

#include <array>

#include <fmt/format.h>

#include "lucid/base/base64.h"
#include "lucid/base/text.h"

namespace lucid::gitsig {
namespace {

constexpr std::string_view kMagic = "SSHSIG";
constexpr std::string_view kBegin = "-----BEGIN SSH SIGNATURE-----";
constexpr std::string_view kEnd = "-----END SSH SIGNATURE-----";
constexpr std::uint32_t kVersion = 1;

}  // namespace

Result<Bytes> dearmor_sshsig(std::string_view armored) {
  std::string body;
  int state = 0;  // 0 before BEGIN, 1 inside, 2 after END
  std::size_t pos = 0;
  while (pos < armored.size()) {
    std::size_t eol = armored.find('\n', pos);
    if (eol == std::string_view::npos) eol = armored.size();
    std::string_view line = trim(armored.substr(pos, eol - pos));
    pos = eol + 1;
    if (line.empty()) continue;
    if (state == 0) {
      if (line != kBegin)
        return fail(ErrorKind::kCorrupt, fmt::format("signature armor: expected \"{}\"", kBegin));
      state = 1;
    } else if (state == 1) {
      if (line == kEnd) {
        state = 2;
      } else {
        body += line;
      }
    } else {
      return fail(ErrorKind::kCorrupt, "signature armor: text after the END line");
    }
  }
  if (state != 2) return fail(ErrorKind::kCorrupt, fmt::format("signature armor: missing \"{}\"", kEnd));
  auto blob = base64_decode(body, Base64Options{.padded = true, .canonical = false});
  if (!blob) return fail(ErrorKind::kCorrupt, "signature armor: " + blob.error().message);
  return blob;
}

Result<SshSignature> parse_sshsig(ByteSpan blob) {
  SshReader r(blob);
  auto magic = r.raw(kMagic.size(), "SSHSIG magic");
  if (!magic || as_text(*magic) != kMagic) return fail(ErrorKind::kCorrupt, "not an SSHSIG signature");
  auto version = r.u32("SSHSIG version");
  if (!version) return std::unexpected(version.error());
  if (*version != kVersion)
    return fail(ErrorKind::kCorrupt, fmt::format("SSHSIG version {} is not supported (1 is)", *version));
  auto key_blob = r.string("SSHSIG publickey");
  if (!key_blob) return std::unexpected(key_blob.error());
  auto ns = r.text("SSHSIG namespace");
  if (!ns) return std::unexpected(ns.error());
  auto reserved = r.string("SSHSIG reserved");
  if (!reserved) return std::unexpected(reserved.error());
  auto hash = r.text("SSHSIG hash_algorithm");
  if (!hash) return std::unexpected(hash.error());
  auto signature = r.string("SSHSIG signature");
  if (!signature) return std::unexpected(signature.error());
  if (auto d = r.done("SSHSIG"); !d) return std::unexpected(d.error());
  if (*hash != "sha256" && *hash != "sha512")
    return fail(ErrorKind::kCorrupt, fmt::format("SSHSIG hash_algorithm {} is not sha256 or sha512", *hash));
  auto key = parse_public_key(*key_blob);
  if (!key) return std::unexpected(with_context("SSHSIG publickey", key.error()));
  return SshSignature{std::move(*key), std::move(*ns), Bytes(reserved->begin(), reserved->end()),
                      std::move(*hash), Bytes(signature->begin(), signature->end())};
}

Result<SshSignature> parse_armored_sshsig(std::string_view armored) {
  auto blob = dearmor_sshsig(armored);
  if (!blob) return std::unexpected(blob.error());
  return parse_sshsig(*blob);
}

Result<Bytes> sshsig_signed_data(const SshSignature& sig, ByteSpan message) {
  const EVP_MD* md = sig.hash_algorithm == "sha256"   ? EVP_sha256()
                     : sig.hash_algorithm == "sha512" ? EVP_sha512()
                                                      : nullptr;
  if (md == nullptr)
    return fail(ErrorKind::kCorrupt,
                fmt::format("SSHSIG hash_algorithm {} is not supported", sig.hash_algorithm));
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  if (EVP_Digest(message.data(), message.size(), digest.data(), &len, md, nullptr) != 1)
    return fail(ErrorKind::kInternal, "OpenSSL digest failed");
  Bytes out;
  put_raw(out, kMagic);
  put_string(out, sig.ns);
  put_string(out, ByteSpan(sig.reserved));
  put_string(out, sig.hash_algorithm);
  put_string(out, ByteSpan(digest.data(), len));
  return out;
}

Status verify_sshsig(const SshSignature& sig, ByteSpan message, std::string_view expected_namespace) {
  if (sig.ns != expected_namespace)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("signature namespace is \"{}\", expected \"{}\"", sig.ns, expected_namespace));
  auto data = sshsig_signed_data(sig, message);
  if (!data) return std::unexpected(data.error());
  return verify_ssh_signature(sig.public_key, sig.signature, *data);
}

}  // namespace lucid::gitsig
