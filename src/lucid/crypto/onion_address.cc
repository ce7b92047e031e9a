#include "lucid/crypto/onion_address.h"

#include <algorithm>
#include <vector>

#include <openssl/evp.h>

namespace lucid::crypto {
namespace {

constexpr std::uint8_t kVersion = 0x03;

std::array<std::uint8_t, 2> checksum(const OnionPublicKey& pk) {
  static constexpr std::string_view kPrefix = ".onion checksum";
  std::uint8_t h[32];
  const std::uint8_t version = kVersion;
  unsigned len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha3_256(), nullptr);
  EVP_DigestUpdate(ctx, kPrefix.data(), kPrefix.size());
  EVP_DigestUpdate(ctx, pk.data(), pk.size());
  EVP_DigestUpdate(ctx, &version, 1);
  EVP_DigestFinal_ex(ctx, h, &len);
  EVP_MD_CTX_free(ctx);
  return {h[0], h[1]};
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

Result<std::vector<std::uint8_t>> base32_decode(std::string_view text) {
  std::vector<std::uint8_t> out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'a' && c <= 'z')
      v = c - 'a';
    else if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= '2' && c <= '7')
      v = c - '2' + 26;
    else
      return fail(ErrorKind::kInvalidArgument, "a character outside base32");
    buffer = (buffer << 5) | static_cast<unsigned>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<std::uint8_t>(buffer >> (bits - 8)));
      bits -= 8;
    }
  }
  // What is left must be padding bits of the last character, all zero (one encoding per value).
  if (bits >= 5 || (buffer & ((1u << bits) - 1)) != 0)
    return fail(ErrorKind::kInvalidArgument, "base32 with trailing bits");
  return out;
}

Result<OnionPublicKey> parse_onion_address(std::string_view address) {
  if (address.ends_with(".onion")) address.remove_suffix(6);
  if (address.size() != 56) return fail(ErrorKind::kInvalidArgument, "onion address must have 56 characters");
  auto raw = base32_decode(address);
  if (!raw) return fail(ErrorKind::kInvalidArgument, "onion address has " + raw.error().message);
  OnionPublicKey pk{};
  std::copy(raw->begin(), raw->begin() + 32, pk.begin());
  if ((*raw)[34] != kVersion) return fail(ErrorKind::kInvalidArgument, "onion address is not version 3");
  auto sum = checksum(pk);
  if ((*raw)[32] != sum[0] || (*raw)[33] != sum[1])
    return fail(ErrorKind::kInvalidArgument, "onion address checksum does not match");
  return pk;
}

std::string client_auth_key_text(const ClientAuthPublicKey& key) {
  std::string text = base32_lower(key);
  for (char& c : text)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return text;
}

Result<ClientAuthPublicKey> parse_client_auth_key(std::string_view text) {
  if (text.size() != 52)
    return fail(ErrorKind::kInvalidArgument, "a client authorization key has 52 base32 characters");
  auto raw = base32_decode(text);
  if (!raw) return fail(ErrorKind::kInvalidArgument, "client authorization key has " + raw.error().message);
  ClientAuthPublicKey key{};
  std::copy(raw->begin(), raw->end(), key.begin());
  return key;
}

}  // namespace lucid::crypto
