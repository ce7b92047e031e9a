// Image signing keys (cosign-compatible): ECDSA P-256 key pairs as PKCS#8 / SubjectPublicKeyInfo PEM,
// signatures over SHA-256 in DER; public keys may also be RSA (PKCS#1 v1.5, SHA-256) for verifying.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace lucid::oci {

// A verifying key. Copies share the same immutable OpenSSL key.
class PublicKey {
 public:
  // Parses one "-----BEGIN PUBLIC KEY-----" block; `name` is used in messages (usually the file).
  static Result<PublicKey> from_pem(std::string_view pem, const std::string& name);
  static Result<PublicKey> load(const std::filesystem::path& path);

  // True when `signature` (DER ECDSA, or raw RSA PKCS#1 v1.5) verifies over SHA-256(message).
  bool verify(std::span<const std::uint8_t> message, std::span<const std::uint8_t> signature) const;
  std::string pem() const;        // SubjectPublicKeyInfo PEM with a trailing newline
  std::string algorithm() const;  // "ecdsa-p256" or "rsa-<bits>"
  const std::string& name() const { return name_; }

 private:
  PublicKey(std::shared_ptr<EVP_PKEY> key, std::string name) : key_(std::move(key)), name_(std::move(name)) {}
  std::shared_ptr<EVP_PKEY> key_;
  std::string name_;
};

// An ECDSA P-256 signing key. Never printed; its PEM exists only in wiped buffers and the 0600 file.
class PrivateKey {
 public:
  static Result<PrivateKey> generate();
  // Reads an unencrypted PKCS#8 (or SEC1 "EC PRIVATE KEY") PEM file holding a P-256 key.
  static Result<PrivateKey> load(const std::filesystem::path& path);

  // ECDSA over SHA-256(message), DER-encoded (what cosign puts, base64, in the annotation).
  Result<std::vector<std::uint8_t>> sign(std::span<const std::uint8_t> message) const;
  PublicKey public_key() const;
  // Writes the key as PKCS#8 PEM, mode 0600, whole or nothing; refuses to overwrite an existing file.
  Status write_pem(const std::filesystem::path& path) const;

 private:
  explicit PrivateKey(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)) {}
  std::shared_ptr<EVP_PKEY> key_;
};

// `lucidctl keys gen`: a new P-256 pair written to `private_path` (0600) and `public_path` (0644).
// Refuses when either exists. Returns the public key.
Result<PublicKey> generate_key_files(const std::filesystem::path& private_path,
                                     const std::filesystem::path& public_path);

}  // namespace lucid::oci
