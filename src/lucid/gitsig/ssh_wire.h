// SSH wire encoding (RFC 4251 §5): uint32, string and mpint, read strictly from a byte span and
// written to a byte vector. Readers never read past the end; every failure names the field.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::gitsig {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;

class SshReader {
 public:
  explicit SshReader(ByteSpan data) : data_(data) {}

  Result<std::uint32_t> u32(std::string_view field);
  Result<ByteSpan> string(std::string_view field);
  Result<std::string> text(std::string_view field);  // a string holding text (no NUL bytes)
  // An mpint that must be non-negative; returns its magnitude without leading zero bytes.
  Result<ByteSpan> positive_mpint(std::string_view field);
  Result<ByteSpan> raw(std::size_t n, std::string_view field);
  // Fails unless every byte was consumed.
  Status done(std::string_view what) const;
  bool empty() const { return pos_ == data_.size(); }

 private:
  ByteSpan data_;
  std::size_t pos_ = 0;
};

void put_u32(Bytes& out, std::uint32_t v);
void put_string(Bytes& out, ByteSpan s);
void put_string(Bytes& out, std::string_view s);
void put_raw(Bytes& out, std::string_view s);

inline ByteSpan as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_text(ByteSpan b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace lucid::gitsig
