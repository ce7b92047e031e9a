#include "lucid/crypto/blake3.h"

namespace lucid::crypto {

Blake3::Blake3() {
  blake3_hasher_init(&hasher_);
}

Blake3 Blake3::keyed(std::span<const std::uint8_t, 32> key) {
  Blake3 h;
  blake3_hasher_init_keyed(&h.hasher_, key.data());
  return h;
}

Blake3 Blake3::derive_key(std::string_view context) {
  Blake3 h;
  // The _raw form hashes the whole context, including any NUL bytes.
  blake3_hasher_init_derive_key_raw(&h.hasher_, context.data(), context.size());
  return h;
}

Blake3& Blake3::update(std::span<const std::uint8_t> bytes) {
  blake3_hasher_update(&hasher_, bytes.data(), bytes.size());
  return *this;
}

Digest Blake3::finalize() const {
  Digest out{};
  blake3_hasher_finalize(&hasher_, out.data(), out.size());
  return out;
}

std::vector<std::uint8_t> Blake3::finalize_xof(std::size_t length) const {
  std::vector<std::uint8_t> out(length);
  blake3_hasher_finalize(&hasher_, out.data(), out.size());
  return out;
}

Digest blake3(std::span<const std::uint8_t> bytes) {
  return Blake3().update(bytes).finalize();
}

}  // namespace lucid::crypto
