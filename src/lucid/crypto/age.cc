#include "lucid/crypto/age.h"

#include <optional>
#include <type_traits>
#include <variant>

#include <fmt/format.h>

#include "lucid/base/random.h"
#include "lucid/crypto/constant_time.h"

namespace lucid::crypto {
namespace {

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Header (with MAC) ‖ payload, armored if asked.
Result<std::vector<std::uint8_t>> seal(std::span<const std::uint8_t> plaintext, const AgeFileKey& file_key,
                                       AgeHeader header, bool armor) {
  auto without_mac = serialize_age_header_without_mac(header);
  if (!without_mac) return std::unexpected(without_mac.error());
  header.mac = age_header_mac(file_key, bytes_of(*without_mac));
  auto full = serialize_age_header(header);
  if (!full) return std::unexpected(full.error());

  AgePayloadNonce nonce{};
  random_bytes(nonce);
  std::vector<std::uint8_t> payload = age_payload_encrypt(file_key, nonce, plaintext);
  std::vector<std::uint8_t> out(full->begin(), full->end());
  out.insert(out.end(), payload.begin(), payload.end());
  if (!armor) return out;
  std::string text = age_armor(out);
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

AgeFileKey fresh_file_key() {
  AgeFileKey key;
  random_bytes(key.span());
  return key;
}

}  // namespace

Result<std::vector<std::uint8_t>> age_encrypt(std::span<const std::uint8_t> plaintext,
                                              std::span<const X25519Recipient> recipients, bool armor) {
  if (recipients.empty())
    return fail(ErrorKind::kInvalidArgument, "age encryption needs at least one recipient");
  AgeFileKey file_key = fresh_file_key();
  AgeHeader header;
  for (const auto& r : recipients) {
    auto stanza = age_x25519_wrap(r, file_key);
    if (!stanza) return std::unexpected(stanza.error());
    header.stanzas.push_back(std::move(*stanza));
  }
  return seal(plaintext, file_key, std::move(header), armor);
}

Result<std::vector<std::uint8_t>> age_encrypt_with_passphrase(std::span<const std::uint8_t> plaintext,
                                                              std::string_view passphrase, int log_n,
                                                              bool armor) {
  if (passphrase.empty()) return fail(ErrorKind::kInvalidArgument, "age passphrase is empty");
  AgeFileKey file_key = fresh_file_key();
  auto stanza = age_scrypt_wrap(ScryptIdentity(passphrase), log_n, file_key);
  if (!stanza) return std::unexpected(stanza.error());
  AgeHeader header;
  header.stanzas.push_back(std::move(*stanza));
  return seal(plaintext, file_key, std::move(header), armor);
}

Result<AgeOpenedHeader> age_open_header(std::span<const std::uint8_t> binary,
                                        std::span<const AgeIdentity> identities) {
  auto parsed = parse_age_header(binary);
  if (!parsed) return std::unexpected(parsed.error());
  if (identities.empty())
    return fail(ErrorKind::kInvalidArgument, "age decryption needs at least one identity");
  const auto& stanzas = parsed->header.stanzas;

  // Passphrase files must not be mixed with other recipients: their authenticity rests on it.
  for (const auto& s : stanzas) {
    if (s.args[0] == "scrypt" && stanzas.size() != 1)
      return age_fail(AgeFailure::kHeader, "an scrypt stanza must be the only stanza in the header");
  }

  std::optional<AgeFileKey> file_key;
  for (std::size_t i = 0; i < stanzas.size() && !file_key; ++i) {
    for (const auto& identity : identities) {
      auto unwrapped = std::visit(
          [&](const auto& id) -> Result<std::optional<AgeFileKey>> {
            if constexpr (std::is_same_v<std::decay_t<decltype(id)>, X25519Identity>)
              return age_x25519_unwrap(id, stanzas[i]);
            else
              return age_scrypt_unwrap(id, stanzas[i]);
          },
          identity);
      if (!unwrapped)
        return std::unexpected(age_with_context(fmt::format("stanza {}", i + 1), unwrapped.error()));
      if (*unwrapped) {
        file_key = std::move(*unwrapped);
        break;
      }
    }
  }
  if (!file_key) {
    return age_fail(
        AgeFailure::kNoMatch,
        fmt::format("none of the {} identities opens any of the {} recipient stanzas (wrong key?)",
                    identities.size(), stanzas.size()));
  }

  AgeHeaderMac mac = age_header_mac(*file_key, binary.first(parsed->mac_input_size));
  if (!equal_constant_time(mac, parsed->header.mac))
    return age_fail(AgeFailure::kHmac, "the header MAC does not verify (the header was modified)");
  return AgeOpenedHeader{*file_key, parsed->size};
}

Result<SecretBytes> age_decrypt(std::span<const std::uint8_t> file, std::span<const AgeIdentity> identities) {
  std::vector<std::uint8_t> dearmored;
  std::span<const std::uint8_t> binary = file;
  if (age_is_armored(file)) {
    auto d = age_dearmor(file);
    if (!d) return std::unexpected(d.error());
    dearmored = std::move(*d);
    binary = dearmored;
  }
  auto opened = age_open_header(binary, identities);
  if (!opened) return std::unexpected(opened.error());
  return age_payload_decrypt(opened->file_key, binary.subspan(opened->payload_offset));
}

Result<SecretBytes> age_decrypt(std::span<const std::uint8_t> file,
                                std::span<const X25519Identity> identities) {
  std::vector<AgeIdentity> all(identities.begin(), identities.end());
  return age_decrypt(file, all);
}

}  // namespace lucid::crypto
