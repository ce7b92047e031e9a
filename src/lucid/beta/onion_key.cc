#include "lucid/beta/onion_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "lucid/base/base64.h"
#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/base/random.h"
#include "lucid/crypto/ed25519.h"
#include "lucid/crypto/hkdf.h"

namespace lucid::beta {
namespace {

constexpr std::string_view kKeyHeader = "lucid-beta-onion-key-v1 ";

void sha512(std::span<const std::uint8_t> in, std::uint8_t* out) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned len = 0;
  EVP_DigestInit_ex(ctx, EVP_sha512(), nullptr);
  EVP_DigestUpdate(ctx, in.data(), in.size());
  EVP_DigestFinal_ex(ctx, out, &len);
  EVP_MD_CTX_free(ctx);
}

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  return true;
}

// "<prefix><base64 of key>", the way tor's control port takes a key, in memory that is zeroed.
SecretBytes tor_secret_spec(std::string_view prefix, std::span<const std::uint8_t> key) {
  std::string b64 = base64_encode(key);
  SecretBytes out(prefix.size() + b64.size());
  std::memcpy(out.data(), prefix.data(), prefix.size());
  std::memcpy(out.data() + prefix.size(), b64.data(), b64.size());
  secure_zero(b64);
  return out;
}

}  // namespace

OnionIdentity OnionIdentity::from_seed(const SecretArray<32>& seed) {
  OnionIdentity id;
  id.seed_ = seed;
  crypto::Ed25519Seed s;
  std::copy(seed.data(), seed.data() + 32, s.data());
  id.public_key_ = crypto::Ed25519KeyPair::from_seed(s).public_key();
  sha512(seed.span(), id.expanded_.data());
  id.expanded_.data()[0] &= 248;
  id.expanded_.data()[31] &= 63;
  id.expanded_.data()[31] |= 64;
  return id;
}

OnionIdentity OnionIdentity::generate() {
  SecretArray<32> seed;
  random_bytes(seed.span());
  return from_seed(seed);
}

SecretBytes OnionIdentity::tor_key_spec() const {
  return tor_secret_spec("ED25519-V3:", expanded_.span());
}

crypto::X25519SecretKey OnionIdentity::client_auth_secret() const {
  static constexpr std::string_view kInfo = "lucid-beta-client-auth-v1";
  crypto::X25519SecretKey secret;
  // HKDF cannot fail for a 32-byte output.
  (void)crypto::hkdf_sha256(
      seed_.span(), {}, {reinterpret_cast<const std::uint8_t*>(kInfo.data()), kInfo.size()}, secret.span());
  return secret;
}

crypto::ClientAuthPublicKey OnionIdentity::client_auth_public_key() const {
  return crypto::x25519_public_key(client_auth_secret());
}

SecretBytes OnionIdentity::tor_client_auth_spec() const {
  return tor_secret_spec("x25519:", client_auth_secret().span());
}

Result<std::filesystem::path> identity_path(const std::filesystem::path& key_dir, std::string_view cluster_id,
                                            std::string_view plane) {
  if (!valid_name(cluster_id))
    return fail(ErrorKind::kInvalidArgument, "BETA_CLUSTER_ID must match [a-z0-9_-]{1,63}");
  if (!valid_name(plane))
    return fail(ErrorKind::kInvalidArgument,
                "plane name '" + std::string(plane) + "' must match [a-z0-9_-]{1,63}");
  return key_dir / std::string(cluster_id) / (std::string(plane) + ".onion-key");
}

Result<OnionIdentity> load_identity(const std::filesystem::path& path) {
  const std::string where = path.string();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    int err = errno;
    return fail(err == ENOENT ? ErrorKind::kNotFound : ErrorKind::kIo, where + ": " + errno_text(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(ErrorKind::kCorrupt, where + ": not a regular file");
  }
  if (st.st_mode & 077) {
    ::close(fd);
    return fail(ErrorKind::kInvalidArgument, where + ": key file is readable by group or others (mode " +
                                                 fmt::format("{:o}", st.st_mode & 0777) + "); chmod 600 it");
  }
  SecretBytes text(256);
  ssize_t n = ::read(fd, text.data(), text.size());
  ::close(fd);
  const std::size_t expected = kKeyHeader.size() + 64 + 1;
  if (n < 0) return fail(ErrorKind::kIo, where + ": read failed");
  if (static_cast<std::size_t>(n) != expected ||
      std::string_view(reinterpret_cast<const char*>(text.data()), kKeyHeader.size()) != kKeyHeader ||
      text[expected - 1] != '\n')
    return fail(ErrorKind::kCorrupt, where + ": not a lucid-beta-onion-key-v1 file (corrupt or truncated)");
  SecretArray<32> seed;
  auto ok = from_hex_into(
      std::string_view(reinterpret_cast<const char*>(text.data()) + kKeyHeader.size(), 64), seed.span());
  if (!ok) return fail(ErrorKind::kCorrupt, where + ": key is not 64 hex digits (corrupt)");
  return OnionIdentity::from_seed(seed);
}

Status save_identity(const std::filesystem::path& path, const OnionIdentity& identity) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return fail(ErrorKind::kIo, path.parent_path().string() + ": " + ec.message());
  std::filesystem::permissions(path.parent_path(), std::filesystem::perms::owner_all, ec);
  std::string hex = to_hex(identity.seed().span());
  SecretBytes text(kKeyHeader.size() + hex.size() + 1);
  std::memcpy(text.data(), kKeyHeader.data(), kKeyHeader.size());
  std::memcpy(text.data() + kKeyHeader.size(), hex.data(), hex.size());
  text.back() = '\n';
  secure_zero(hex);
  return write_file_atomic(path, text, 0600);
}

Result<OnionIdentity> load_or_create_identity(const std::filesystem::path& key_dir,
                                              std::string_view cluster_id, std::string_view plane) {
  auto path = identity_path(key_dir, cluster_id, plane);
  if (!path) return std::unexpected(path.error());
  auto loaded = load_identity(*path);
  if (loaded || loaded.error().kind != ErrorKind::kNotFound) return loaded;
  auto fresh = OnionIdentity::generate();
  if (auto s = save_identity(*path, fresh); !s) return std::unexpected(s.error());
  return fresh;
}

}  // namespace lucid::beta
