#include "lucid/seal/keys.h"

#include <sys/stat.h>

#include <cerrno>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/base/random.h"
#include "lucid/base/secret.h"
#include "lucid/base/secret_env.h"

namespace lucid::seal {
namespace fs = std::filesystem;

namespace {

// The single 32-byte hex value of a key file, skipping '#' comments and blank lines. The text
// is wiped before returning; errors never quote file contents.
Status read_hex_key(const fs::path& path, const char* what, bool secret, std::span<std::uint8_t, 32> out) {
  if (secret) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("{}: permissions {:04o} are too open for a {}; run: chmod 600 {}",
                              path.string(), st.st_mode & 0777, what, path.string()));
    }
  }
  auto text = read_text_file(path);
  if (!text) return std::unexpected(text.error());
  std::string value;
  std::size_t start = 0;
  bool found = false;
  Status result = fail(ErrorKind::kInvalidArgument,
                       fmt::format("{}: no key found; expected 64 hex characters ({})", path.string(), what));
  while (start < text->size()) {
    std::size_t end = text->find('\n', start);
    if (end == std::string::npos) end = text->size();
    std::string_view line(text->data() + start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    start = end + 1;
    if (line.empty() || line.front() == '#') continue;
    if (found) {
      result =
          fail(ErrorKind::kInvalidArgument,
               fmt::format("{}: more than one key line; expected exactly one ({})", path.string(), what));
      break;
    }
    found = true;
    if (line.size() != 64 || !from_hex_into(line, out)) {
      result =
          fail(ErrorKind::kInvalidArgument,
               fmt::format("{}: malformed {}: expected 64 hex characters (32 bytes), found {} characters",
                           path.string(), what, line.size()));
      break;
    }
    result = {};
  }
  secure_zero(*text);
  if (!result) secure_zero(out.data(), out.size());
  return result;
}

Status write_hex_key(const fs::path& path, std::span<const std::uint8_t> key, const std::string& comment,
                     unsigned mode) {
  std::string text = fmt::format("# {}\n{}\n", comment, to_hex(key));
  auto s = write_file_atomic(path, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, mode);
  secure_zero(text);
  return s;
}

Status refuse_existing(const fs::path& path) {
  std::error_code ec;
  if (fs::exists(path, ec)) {
    return fail(ErrorKind::kAlreadyExists,
                fmt::format("{}: already exists; refusing to overwrite a key", path.string()));
  }
  return {};
}

fs::path public_path(const fs::path& key_file) {
  return fs::path(key_file.string() + ".pub");
}

}  // namespace

Result<crypto::Ed25519KeyPair> generate_node_key(const fs::path& key_file) {
  if (auto s = refuse_existing(key_file); !s) return std::unexpected(s.error());
  if (auto s = refuse_existing(public_path(key_file)); !s) return std::unexpected(s.error());
  auto kp = crypto::Ed25519KeyPair::generate();
  if (auto s = write_hex_key(key_file, kp.seed().span(),
                             "Lucid node key (Ed25519 seed). Secret: keep mode 0600.", 0600);
      !s)
    return std::unexpected(s.error());
  if (auto s =
          write_hex_key(public_path(key_file), kp.public_key(), "Lucid node public key (Ed25519).", 0644);
      !s) {
    std::error_code ec;
    fs::remove(key_file, ec);
    return std::unexpected(s.error());
  }
  return kp;
}

Result<crypto::Ed25519KeyPair> load_node_key(const fs::path& key_file) {
  crypto::Ed25519Seed seed;
  if (auto s = read_hex_key(key_file, "node key", true, seed.span()); !s) return std::unexpected(s.error());
  return crypto::Ed25519KeyPair::from_seed(seed);
}

Result<crypto::Ed25519PublicKey> load_public_key(const fs::path& pub_file) {
  crypto::Ed25519PublicKey pub{};
  if (auto s = read_hex_key(pub_file, "public key", false, pub); !s) return std::unexpected(s.error());
  return pub;
}

Result<SessionKey> load_session_key(const fs::path& key_file, bool create_if_missing) {
  SessionKey key;
  std::error_code ec;
  if (create_if_missing && !fs::exists(key_file, ec)) {
    random_bytes(key.span());
    if (auto s = write_hex_key(key_file, key.span(), "Lucid session key (32 bytes). Secret: keep mode 0600.",
                               0600);
        !s)
      return std::unexpected(s.error());
    return key;
  }
  if (auto s = read_hex_key(key_file, "session key", true, key.span()); !s) return std::unexpected(s.error());
  return key;
}

Result<crypto::Ed25519KeyPair> service_key(const char* seed_variable, const std::filesystem::path& key_file) {
  std::optional<std::string> seed_hex = take_secret_env(seed_variable);
  if (!seed_hex || seed_hex->empty()) {
    auto key = load_node_key(key_file);
    if (!key)
      return fail(key.error().kind,
                  fmt::format("no {} and the key file {}", seed_variable, key.error().message));
    return key;
  }
  crypto::Ed25519Seed seed;
  Status parsed = from_hex_into(*seed_hex, seed.span());
  secure_zero(*seed_hex);
  if (!parsed)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{} must hold the key's 32-byte seed as 64 hex digits (the value is not shown)",
                            seed_variable));
  return crypto::Ed25519KeyPair::from_seed(seed);
}

}  // namespace lucid::seal
