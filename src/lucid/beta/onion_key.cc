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

namespace lucid::beta {
namespace {

constexpr std::string_view kKeyHeader = "lucid-beta-onion-key-v1 ";
constexpr std::uint8_t kVersion = 0x03;

void digest(const EVP_MD* md, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b,
            std::span<const std::uint8_t> c, std::uint8_t* out) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned len = 0;
  EVP_DigestInit_ex(ctx, md, nullptr);
  EVP_DigestUpdate(ctx, a.data(), a.size());
  EVP_DigestUpdate(ctx, b.data(), b.size());
  EVP_DigestUpdate(ctx, c.data(), c.size());
  EVP_DigestFinal_ex(ctx, out, &len);
  EVP_MD_CTX_free(ctx);
}

std::array<std::uint8_t, 2> checksum(const OnionPublicKey& pk) {
  static constexpr std::string_view kPrefix = ".onion checksum";
  std::uint8_t h[32];
  const std::uint8_t version = kVersion;
  digest(EVP_sha3_256(), {reinterpret_cast<const std::uint8_t*>(kPrefix.data()), kPrefix.size()}, pk,
         {&version, 1}, h);
  return {h[0], h[1]};
}

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  return true;
}

}  // namespace

std::string base32_lower(std::span<const std::uint8_t> bytes) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::uint8_t b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

std::string onion_address(const OnionPublicKey& public_key) {
  std::array<std::uint8_t, 35> raw{};
  std::copy(public_key.begin(), public_key.end(), raw.begin());
  auto sum = checksum(public_key);
  raw[32] = sum[0];
  raw[33] = sum[1];
  raw[34] = kVersion;
  return base32_lower(raw);
}

Result<OnionPublicKey> parse_onion_address(std::string_view address) {
  if (address.ends_with(".onion")) address.remove_suffix(6);
  if (address.size() != 56) return fail(ErrorKind::kInvalidArgument, "onion address must have 56 characters");
  std::array<std::uint8_t, 35> raw{};
  std::uint64_t buffer = 0;
  int bits = 0;
  std::size_t n = 0;
  for (char c : address) {
    int v;
    if (c >= 'a' && c <= 'z')
      v = c - 'a';
    else if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= '2' && c <= '7')
      v = c - '2' + 26;
    else
      return fail(ErrorKind::kInvalidArgument, "onion address has a character outside base32");
    buffer = (buffer << 5) | static_cast<unsigned>(v);
    bits += 5;
    if (bits >= 8) {
      raw[n++] = static_cast<std::uint8_t>(buffer >> (bits - 8));
      bits -= 8;
    }
  }
  OnionPublicKey pk{};
  std::copy(raw.begin(), raw.begin() + 32, pk.begin());
  if (raw[34] != kVersion) return fail(ErrorKind::kInvalidArgument, "onion address is not version 3");
  auto sum = checksum(pk);
  if (raw[32] != sum[0] || raw[33] != sum[1])
    return fail(ErrorKind::kInvalidArgument, "onion address checksum does not match");
  return pk;
}

OnionIdentity OnionIdentity::from_seed(const SecretArray<32>& seed) {
  OnionIdentity id;
  id.seed_ = seed;
  crypto::Ed25519Seed s;
  std::copy(seed.data(), seed.data() + 32, s.data());
  id.public_key_ = crypto::Ed25519KeyPair::from_seed(s).public_key();
  digest(EVP_sha512(), seed.span(), {}, {}, id.expanded_.data());
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
  std::string b64 = base64_encode(expanded_.span());
  static constexpr std::string_view kPrefix = "ED25519-V3:";
  SecretBytes out(kPrefix.size() + b64.size());
  std::memcpy(out.data(), kPrefix.data(), kPrefix.size());
  std::memcpy(out.data() + kPrefix.size(), b64.data(), b64.size());
  secure_zero(b64);
  return out;
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
