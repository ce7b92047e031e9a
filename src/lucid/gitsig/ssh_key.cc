#include "lucid/gitsig/ssh_key.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <array>
#include <memory>

#include <fmt/format.h>

#include "lucid/base/base64.h"
#include "lucid/crypto/ed25519.h"
#include "lucid/crypto/sha256.h"

namespace lucid::gitsig {
namespace {

struct EcCurve {
  std::string_view key_type;
  std::string_view ssh_name;
  const char* openssl_group;
  std::size_t field_bytes;
  const EVP_MD* (*digest)();
};

constexpr std::array<EcCurve, 3> kCurves = {{
    {"ecdsa-sha2-nistp256", "nistp256", "P-256", 32, EVP_sha256},
    {"ecdsa-sha2-nistp384", "nistp384", "P-384", 48, EVP_sha384},
    {"ecdsa-sha2-nistp521", "nistp521", "P-521", 66, EVP_sha512},
}};

const EcCurve* find_curve(std::string_view type) {
  for (const auto& c : kCurves)
    if (c.key_type == type) return &c;
  return nullptr;
}

constexpr std::size_t kRsaMinimumBits = 1024;  // OpenSSH's SSH_RSA_MINIMUM_MODULUS_SIZE

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)>;
using BnPtr = std::unique_ptr<BIGNUM, decltype(&BN_free)>;

Result<PkeyPtr> pkey_from_params(const char* algorithm, OSSL_PARAM_BLD* bld, const std::string& what) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld), OSSL_PARAM_free);
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0 || raw == nullptr)
    return fail(ErrorKind::kCorrupt, what + ": not a valid public key");
  return PkeyPtr(raw, EVP_PKEY_free);
}

Result<PkeyPtr> ec_pkey(const EcCurve& curve, ByteSpan point) {
  ParamBldPtr bld(OSSL_PARAM_BLD_new(), OSSL_PARAM_BLD_free);
  if (!bld ||
      !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve.openssl_group, 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()))
    return fail(ErrorKind::kInternal, "OpenSSL parameter builder failed");
  auto key = pkey_from_params("EC", bld.get(), std::string(curve.key_type) + " key");
  if (!key) return key;
  // fromdata does not always check that the point is on the curve; do it explicitly.
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key->get(), nullptr), EVP_PKEY_CTX_free);
  if (!check || EVP_PKEY_public_check(check.get()) != 1)
    return fail(ErrorKind::kCorrupt, std::string(curve.key_type) + " key: point is not on the curve");
  return key;
}

Result<PkeyPtr> rsa_pkey(ByteSpan e, ByteSpan n) {
  BnPtr bn_e(BN_bin2bn(e.data(), static_cast<int>(e.size()), nullptr), BN_free);
  BnPtr bn_n(BN_bin2bn(n.data(), static_cast<int>(n.size()), nullptr), BN_free);
  ParamBldPtr bld(OSSL_PARAM_BLD_new(), OSSL_PARAM_BLD_free);
  if (!bn_e || !bn_n || !bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()))
    return fail(ErrorKind::kInternal, "OpenSSL parameter builder failed");
  return pkey_from_params("RSA", bld.get(), "ssh-rsa key");
}

// DER INTEGER of a non-negative magnitude (no leading zeros).
void der_integer(Bytes& out, ByteSpan magnitude) {
  bool pad = magnitude.empty() || (magnitude[0] & 0x80) != 0;
  std::size_t len = magnitude.size() + (pad ? 1 : 0);
  out.push_back(0x02);
  if (len < 0x80) {
    out.push_back(static_cast<std::uint8_t>(len));
  } else {
    out.push_back(0x81);  // ECDSA integers are at most 67 bytes: one length byte suffices
    out.push_back(static_cast<std::uint8_t>(len));
  }
  if (pad) out.push_back(0);
  out.insert(out.end(), magnitude.begin(), magnitude.end());
}

Bytes der_ecdsa_signature(ByteSpan r, ByteSpan s) {
  Bytes body;
  der_integer(body, r);
  der_integer(body, s);
  Bytes out{0x30};
  if (body.size() < 0x80) {
    out.push_back(static_cast<std::uint8_t>(body.size()));
  } else {
    out.push_back(0x81);
    out.push_back(static_cast<std::uint8_t>(body.size()));
  }
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Status evp_verify(EVP_PKEY* key, const EVP_MD* md, ByteSpan sig, ByteSpan data) {
  MdCtxPtr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) != 1)
    return fail(ErrorKind::kInternal, "OpenSSL verify init failed");
  int rc = EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), data.data(), data.size());
  if (rc != 1) return fail(ErrorKind::kAuthentication, "signature does not verify");
  return {};
}

}  // namespace

bool is_supported_key_type(std::string_view type) {
  return type == "ssh-ed25519" || type == "ssh-rsa" || find_curve(type) != nullptr;
}

bool looks_like_key_type(std::string_view type) {
  return is_supported_key_type(type) || type == "ssh-dss" || type.starts_with("sk-") ||
         type.ends_with("@openssh.com");
}

Result<SshPublicKey> parse_public_key(ByteSpan blob) {
  SshReader r(blob);
  auto type = r.text("public key type");
  if (!type) return std::unexpected(type.error());
  if (!is_supported_key_type(*type))
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("key type {} is not supported (use ssh-ed25519, ecdsa-sha2-nistp256/384/521 "
                            "or ssh-rsa)",
                            *type));
  if (*type == "ssh-ed25519") {
    auto pk = r.string("ssh-ed25519 public key");
    if (!pk) return std::unexpected(pk.error());
    if (pk->size() != 32) return fail(ErrorKind::kCorrupt, "ssh-ed25519 public key: not 32 bytes");
  } else if (const EcCurve* curve = find_curve(*type)) {
    auto name = r.text("ecdsa curve name");
    if (!name) return std::unexpected(name.error());
    if (*name != curve->ssh_name)
      return fail(ErrorKind::kCorrupt, fmt::format("{} key names curve {}", *type, *name));
    auto point = r.string("ecdsa public point");
    if (!point) return std::unexpected(point.error());
    if (point->size() != 1 + 2 * curve->field_bytes || (*point)[0] != 0x04)
      return fail(ErrorKind::kCorrupt, fmt::format("{} key: not an uncompressed point", *type));
    if (auto k = ec_pkey(*curve, *point); !k) return std::unexpected(k.error());
  } else {  // ssh-rsa
    auto e = r.positive_mpint("rsa exponent");
    if (!e) return std::unexpected(e.error());
    auto n = r.positive_mpint("rsa modulus");
    if (!n) return std::unexpected(n.error());
    if (n->size() * 8 < kRsaMinimumBits)
      return fail(ErrorKind::kInvalidArgument, "ssh-rsa key: modulus shorter than 1024 bits");
  }
  if (auto d = r.done("public key"); !d) return std::unexpected(d.error());
  return SshPublicKey{*type, Bytes(blob.begin(), blob.end())};
}

Result<SshPublicKey> parse_public_key_text(std::string_view type, std::string_view base64) {
  auto blob = base64_decode(base64, Base64Options{.padded = true, .canonical = false});
  if (!blob) return fail(ErrorKind::kInvalidArgument, "key is not valid base64");
  auto key = parse_public_key(*blob);
  if (!key) return key;
  if (key->type != type)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("key type {} does not match the encoded key ({})", type, key->type));
  return key;
}

std::string fingerprint_sha256(const SshPublicKey& key) {
  return "SHA256:" + base64_encode(crypto::sha256(key.blob), Base64Options{.padded = false});
}

std::string key_label(const SshPublicKey& key) {
  if (key.type == "ssh-ed25519") return "ED25519";
  if (key.type == "ssh-rsa") return "RSA";
  return "ECDSA";
}

Status verify_ssh_signature(const SshPublicKey& key, ByteSpan signature_blob, ByteSpan data) {
  SshReader r(signature_blob);
  auto sig_type = r.text("signature type");
  if (!sig_type) return std::unexpected(sig_type.error());
  auto sig = r.string("signature");
  if (!sig) return std::unexpected(sig.error());
  if (auto d = r.done("signature"); !d) return d;

  SshReader k(key.blob);
  (void)k.text("key type");
  if (key.type == "ssh-ed25519") {
    if (*sig_type != "ssh-ed25519")
      return fail(ErrorKind::kCorrupt, fmt::format("signature type {} for an ssh-ed25519 key", *sig_type));
    if (sig->size() != 64) return fail(ErrorKind::kCorrupt, "ssh-ed25519 signature: not 64 bytes");
    auto pk_bytes = k.string("ssh-ed25519 public key");
    if (!pk_bytes) return std::unexpected(pk_bytes.error());
    crypto::Ed25519PublicKey pk{};
    crypto::Ed25519Signature s{};
    std::copy(pk_bytes->begin(), pk_bytes->end(), pk.begin());
    std::copy(sig->begin(), sig->end(), s.begin());
    if (!crypto::ed25519_verify(pk, data, s))
      return fail(ErrorKind::kAuthentication, "signature does not verify");
    return {};
  }
  if (const EcCurve* curve = find_curve(key.type)) {
    if (*sig_type != key.type)
      return fail(ErrorKind::kCorrupt, fmt::format("signature type {} for an {} key", *sig_type, key.type));
    SshReader rs(*sig);
    auto r_int = rs.positive_mpint("ecdsa r");
    if (!r_int) return std::unexpected(r_int.error());
    auto s_int = rs.positive_mpint("ecdsa s");
    if (!s_int) return std::unexpected(s_int.error());
    if (auto d = rs.done("ecdsa signature"); !d) return d;
    if (r_int->size() > curve->field_bytes || s_int->size() > curve->field_bytes)
      return fail(ErrorKind::kCorrupt, "ecdsa signature: r or s too large");
    (void)k.text("curve");
    auto point = k.string("point");
    if (!point) return std::unexpected(point.error());
    auto pkey = ec_pkey(*curve, *point);
    if (!pkey) return std::unexpected(pkey.error());
    return evp_verify(pkey->get(), curve->digest(), der_ecdsa_signature(*r_int, *s_int), data);
  }
  // ssh-rsa: SSHSIG allows only the SHA-2 signature types (RFC 8332), never SHA-1 "ssh-rsa".
  const EVP_MD* md = nullptr;
  if (*sig_type == "rsa-sha2-256") md = EVP_sha256();
  if (*sig_type == "rsa-sha2-512") md = EVP_sha512();
  if (md == nullptr)
    return fail(ErrorKind::kCorrupt,
                fmt::format("signature type {} for an ssh-rsa key (rsa-sha2-256/512 required)", *sig_type));
  auto e = k.positive_mpint("rsa exponent");
  auto n = k.positive_mpint("rsa modulus");
  if (!e || !n) return fail(ErrorKind::kCorrupt, "ssh-rsa key: malformed");
  if (sig->size() > n->size()) return fail(ErrorKind::kCorrupt, "rsa signature longer than the modulus");
  Bytes padded(n->size() - sig->size(), 0);  // OpenSSH accepts (and left-pads) short signatures
  padded.insert(padded.end(), sig->begin(), sig->end());
  auto pkey = rsa_pkey(*e, *n);
  if (!pkey) return std::unexpected(pkey.error());
  return evp_verify(pkey->get(), md, padded, data);
}

}  // namespace lucid::gitsig
