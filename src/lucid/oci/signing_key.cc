#include "lucid/oci/signing_key.h"

#include <cstring>

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "lucid/base/files.h"
#include "lucid/base/secret_bytes.h"

namespace lucid::oci {
namespace {

namespace fs = std::filesystem;

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* k) {
  return std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free);
}

bool is_p256(EVP_PKEY* k) {
  if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC) return false;
  char group[64] = {};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) != 1)
    return false;
  return std::strcmp(group, "prime256v1") == 0 || std::strcmp(group, "P-256") == 0;
}

// The bytes a memory BIO holds, copied into `out`.
template <typename Out>
void bio_bytes(BIO* bio, Out& out) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  out.assign(data, data + (n > 0 ? n : 0));
}

}  // namespace

Result<PublicKey> PublicKey::from_pem(std::string_view pem, const std::string& name) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                BIO_free);
  if (!bio) return fail(ErrorKind::kInternal, "OpenSSL: no BIO");
  EVP_PKEY* raw = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (!raw) return fail(ErrorKind::kInvalidArgument, fmt::format("{}: not a PEM PUBLIC KEY", name));
  auto key = own(raw);
  int id = EVP_PKEY_get_base_id(raw);
  if (id == EVP_PKEY_EC && !is_p256(raw))
    return fail(ErrorKind::kInvalidArgument, fmt::format("{}: EC key is not on P-256", name));
  if (id != EVP_PKEY_EC && id != EVP_PKEY_RSA)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{}: key type is neither ECDSA P-256 nor RSA", name));
  if (id == EVP_PKEY_RSA && EVP_PKEY_get_bits(raw) < 2048)
    return fail(ErrorKind::kInvalidArgument, fmt::format("{}: RSA key shorter than 2048 bits", name));
  return PublicKey(std::move(key), name);
}

Result<PublicKey> PublicKey::load(const fs::path& path) {
  auto text = read_text_file(path);
  if (!text) return std::unexpected(text.error());
  return from_pem(*text, path.string());
}

bool PublicKey::verify(std::span<const std::uint8_t> message, std::span<const std::uint8_t> signature) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx) return false;
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key_.get()) != 1) return false;
  if (EVP_PKEY_get_base_id(key_.get()) == EVP_PKEY_RSA &&
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
    return false;
  return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(), message.size()) == 1;
}

std::string PublicKey::pem() const {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) return {};
  std::string out;
  bio_bytes(bio.get(), out);
  return out;
}

std::string PublicKey::algorithm() const {
  if (EVP_PKEY_get_base_id(key_.get()) == EVP_PKEY_RSA)
    return fmt::format("rsa-{}", EVP_PKEY_get_bits(key_.get()));
  return "ecdsa-p256";
}

Result<PrivateKey> PrivateKey::generate() {
  EVP_PKEY* raw = EVP_EC_gen("P-256");
  if (!raw) return fail(ErrorKind::kInternal, "OpenSSL: P-256 key generation failed");
  return PrivateKey(own(raw));
}

Result<PrivateKey> PrivateKey::load(const fs::path& path) {
  auto bytes = read_file(path);
  if (!bytes) return std::unexpected(bytes.error());
  SecretBytes pem(bytes->begin(), bytes->end());
  OPENSSL_cleanse(bytes->data(), bytes->size());
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                BIO_free);
  if (!bio) return fail(ErrorKind::kInternal, "OpenSSL: no BIO");
  // An empty password callback result makes an encrypted key fail instead of prompting on a terminal.
  auto no_password = [](char*, int, int, void*) -> int { return 0; };
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr);
  if (!raw)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{}: not an unencrypted PEM private key (encrypted keys are not supported yet)",
                            path.string()));
  auto key = own(raw);
  if (!is_p256(raw))
    return fail(ErrorKind::kInvalidArgument, fmt::format("{}: not an ECDSA P-256 key", path.string()));
  return PrivateKey(std::move(key));
}

Result<std::vector<std::uint8_t>> PrivateKey::sign(std::span<const std::uint8_t> message) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1)
    return fail(ErrorKind::kInternal, "OpenSSL: ECDSA sign init failed");
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1)
    return fail(ErrorKind::kInternal, "OpenSSL: ECDSA sign failed");
  std::vector<std::uint8_t> sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1)
    return fail(ErrorKind::kInternal, "OpenSSL: ECDSA sign failed");
  sig.resize(len);
  return sig;
}

PublicKey PrivateKey::public_key() const {
  // Round-trip through the public encoding so the PublicKey never holds the private scalar.
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PUBKEY(bio.get(), key_.get());
  std::string pem;
  bio_bytes(bio.get(), pem);
  auto pub = PublicKey::from_pem(pem, "generated key");
  return *pub;  // cannot fail for a key this class generated or loaded as P-256
}

Status PrivateKey::write_pem(const fs::path& path) const {
  std::error_code ec;
  if (fs::exists(path, ec))
    return fail(ErrorKind::kAlreadyExists, fmt::format("{}: already exists", path.string()));
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio ||
      PEM_write_bio_PKCS8PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return fail(ErrorKind::kInternal, "OpenSSL: cannot encode the private key");
  SecretBytes pem;
  bio_bytes(bio.get(), pem);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  if (n > 0) OPENSSL_cleanse(data, static_cast<size_t>(n));
  return write_file_atomic(path, pem, 0600);
}

Result<PublicKey> generate_key_files(const fs::path& private_path, const fs::path& public_path) {
  std::error_code ec;
  for (const auto& p : {private_path, public_path})
    if (fs::exists(p, ec))
      return fail(ErrorKind::kAlreadyExists, fmt::format("{}: already exists", p.string()));
  auto key = PrivateKey::generate();
  if (!key) return std::unexpected(key.error());
  PublicKey pub = key->public_key();
  std::string pem = pub.pem();
  if (auto st = write_file_atomic(
          public_path, std::span(reinterpret_cast<const std::uint8_t*>(pem.data()), pem.size()), 0644);
      !st)
    return std::unexpected(st.error());
  if (auto st = key->write_pem(private_path); !st) {
    fs::remove(public_path, ec);
    return std::unexpected(st.error());
  }
  return PublicKey::from_pem(pem, public_path.string());
}

}  // namespace lucid::oci
