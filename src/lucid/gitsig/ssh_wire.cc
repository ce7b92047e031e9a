#include "lucid/gitsig/ssh_wire.h"

#include <fmt/format.h>

namespace lucid::gitsig {

Result<ByteSpan> SshReader::raw(std::size_t n, std::string_view field) {
  if (data_.size() - pos_ < n)
    return fail(ErrorKind::kCorrupt,
                fmt::format("{}: truncated ({} bytes needed, {} left)", field, n, data_.size() - pos_));
  ByteSpan out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

Result<std::uint32_t> SshReader::u32(std::string_view field) {
  auto b = raw(4, field);
  if (!b) return std::unexpected(b.error());
  const auto& v = *b;
  return (std::uint32_t{v[0]} << 24) | (std::uint32_t{v[1]} << 16) | (std::uint32_t{v[2]} << 8) |
         std::uint32_t{v[3]};
}

Result<ByteSpan> SshReader::string(std::string_view field) {
  auto len = u32(field);
  if (!len) return std::unexpected(len.error());
  return raw(*len, field);
}

Result<std::string> SshReader::text(std::string_view field) {
  auto b = string(field);
  if (!b) return std::unexpected(b.error());
  for (auto c : *b)
    if (c == 0) return fail(ErrorKind::kCorrupt, fmt::format("{}: contains a NUL byte", field));
  return std::string(as_text(*b));
}

Result<ByteSpan> SshReader::positive_mpint(std::string_view field) {
  auto b = string(field);
  if (!b) return std::unexpected(b.error());
  ByteSpan v = *b;
  if (!v.empty() && (v[0] & 0x80) != 0)
    return fail(ErrorKind::kCorrupt, fmt::format("{}: negative mpint", field));
  if (v.size() >= 2 && v[0] == 0 && (v[1] & 0x80) == 0)
    return fail(ErrorKind::kCorrupt, fmt::format("{}: mpint has a needless leading zero", field));
  while (!v.empty() && v[0] == 0) v = v.subspan(1);
  return v;
}

Status SshReader::done(std::string_view what) const {
  if (pos_ != data_.size())
    return fail(ErrorKind::kCorrupt, fmt::format("{}: {} trailing bytes", what, data_.size() - pos_));
  return {};
}

void put_u32(Bytes& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 24));
  out.push_back(static_cast<std::uint8_t>(v >> 16));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void put_string(Bytes& out, ByteSpan s) {
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

void put_string(Bytes& out, std::string_view s) {
  put_string(out, as_bytes(s));
}

void put_raw(Bytes& out, std::string_view s) {
  out.insert(out.end(), s.begin(), s.end());
}

}  // namespace lucid::gitsig
