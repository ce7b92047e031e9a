// `lucidctl secrets check|decrypt|encrypt|edit`: SOPS files with age keys (lucid::sops).
// Keys come only from --identity FILE, $AGE_PRIVATE_KEY (key text), $SOPS_AGE_KEY or
// $SOPS_AGE_KEY_FILE — never argv — and never appear in output. Outputs are whole or nothing.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "command.h"
#include "lucid/base/files.h"
#include "lucid/base/secret.h"
#include "lucid/sops/sops_config.h"
#include "lucid/sops/sops_edit.h"
#include "lucid/sops/sops_file.h"
#include "lucid/sops/sops_keys.h"

namespace lucidctl {
namespace {

namespace fs = std::filesystem;
namespace sops = lucid::sops;

struct SecretsOptions {
  std::string repo = ".";
  std::string file, output, identity;
  std::vector<std::string> age;
  std::string unencrypted_suffix, encrypted_suffix, unencrypted_regex, encrypted_regex;
  bool mac_only_encrypted = false;
};

// 1: the input was refused (integrity, format, wrong key); 2: usage or I/O.
int exit_for(const lucid::Error& e) {
  switch (e.kind) {
    case lucid::ErrorKind::kIo:
    case lucid::ErrorKind::kNotFound:
    case lucid::ErrorKind::kAlreadyExists:
      return 2;
    default:
      return 1;
  }
}

int report(const char* sub, const lucid::Error& e) {
  fmt::print(stderr, "lucidctl secrets {}: {}\n", sub, e.message);
  return exit_for(e);
}

std::optional<fs::path> identity_opt(const SecretsOptions& o) {
  return o.identity.empty() ? std::nullopt : std::optional<fs::path>(o.identity);
}

lucid::Result<std::vector<lucid::crypto::X25519Identity>> require_identities(const SecretsOptions& o) {
  auto ids = sops::sops_load_identities(identity_opt(o));
  if (!ids) return std::unexpected(ids.error());
  if (!*ids)
    return lucid::fail(lucid::ErrorKind::kInvalidArgument,
                       "no age identity: set AGE_PRIVATE_KEY or SOPS_AGE_KEY_FILE, or give --identity FILE");
  return std::move(**ids);
}

lucid::Status write_output(const std::string& output, const std::string& bytes, unsigned mode) {
  std::span<const std::uint8_t> span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  if (!output.empty()) return lucid::write_file_atomic(output, span, mode);
  return lucid::write_all(STDOUT_FILENO, span, "stdout");
}

int run_check(const SecretsOptions& o) {
  fs::path dir = fs::path(o.repo) / "secrets";
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().filename().string().ends_with(".enc.yaml")) files.push_back(e.path());
  if (ec) {
    fmt::print(stderr, "lucidctl secrets check: {}: cannot be read\n", dir.string());
    return 2;
  }
  std::sort(files.begin(), files.end());
  auto ids = sops::sops_load_identities(identity_opt(o));
  if (!ids) return report("check", ids.error());
  int failed = 0;
  for (const auto& f : files) {
    std::string name = "secrets/" + f.filename().string();
    auto text = lucid::read_text_file(f);
    lucid::Status s;
    if (!text) s = lucid::fail(lucid::ErrorKind::kIo, name + ": cannot be read");
    auto parsed =
        text ? sops::sops_parse(*text, sops::SopsFormat::kYaml, name) : lucid::Result<sops::SopsFile>();
    if (s && !parsed) s = std::unexpected(parsed.error());
    if (s) s = sops::sops_check(*parsed, name);
    if (s && *ids) {
      auto plain = sops::sops_decrypt(*parsed, **ids, name);
      if (!plain) s = std::unexpected(plain.error());
    }
    if (!s) {
      ++failed;
      fmt::print("FAIL {}\n", s.error().message);
    } else {
      fmt::print("ok   {}: well formed, fully encrypted{}\n", name, *ids ? ", MAC verified" : "");
    }
  }
  if (!*ids)
    fmt::print(
        "note: no age identity given; MACs not verified (set AGE_PRIVATE_KEY, SOPS_AGE_KEY_FILE or "
        "--identity)\n");
  fmt::print("{} file(s), {} failed\n", files.size(), failed);
  return failed == 0 ? 0 : 1;
}

int run_decrypt(const SecretsOptions& o) {
  auto ids = require_identities(o);
  if (!ids) return report("decrypt", ids.error());
  auto text = lucid::read_text_file(o.file);
  if (!text) return report("decrypt", lucid::Error(text.error().kind, o.file + ": cannot be read"));
  auto format = sops::sops_format_for(o.file);
  auto parsed = sops::sops_parse(*text, format, o.file);
  if (!parsed) return report("decrypt", parsed.error());
  auto plain = sops::sops_decrypt(*parsed, *ids, o.file);
  if (!plain) return report("decrypt", plain.error());
  auto out = sops::sops_emit(plain->data, format);
  if (!out) return report("decrypt", out.error());
  auto s = write_output(o.output, *out, 0600);
  lucid::secure_zero(*out);
  if (!s) return report("decrypt", s.error());
  return 0;
}

int run_encrypt(const SecretsOptions& o) {
  sops::SopsRules rules{o.unencrypted_suffix, o.encrypted_suffix, o.unencrypted_regex, o.encrypted_regex,
                        o.mac_only_encrypted};
  std::vector<std::string> recipients;
  for (const auto& a : o.age) {  // sops accepts comma-separated lists too
    std::size_t start = 0;
    for (;;) {
      auto c = a.find(',', start);
      std::string one = a.substr(start, c == std::string::npos ? std::string::npos : c - start);
      if (!one.empty()) recipients.push_back(one);
      if (c == std::string::npos) break;
      start = c + 1;
    }
  }
  if (recipients.empty()) {
    auto rule = sops::sops_find_creation_rule(o.file);
    if (!rule) return report("encrypt", rule.error());
    if (!*rule || (*rule)->age.empty())
      return report(
          "encrypt",
          lucid::Error(lucid::ErrorKind::kInvalidArgument,
                       "no recipients: give --age RECIPIENT or a .sops.yaml creation rule with age"));
    recipients = (*rule)->age;
    bool any = !rules.unencrypted_suffix.empty() || !rules.encrypted_suffix.empty() ||
               !rules.unencrypted_regex.empty() || !rules.encrypted_regex.empty();
    if (!any) rules = (*rule)->rules;
  }
  std::vector<lucid::crypto::X25519Recipient> parsed_recipients;
  for (const auto& r : recipients) {
    auto p = lucid::crypto::X25519Recipient::parse(r);
    if (!p)
      return report("encrypt", lucid::Error(lucid::ErrorKind::kInvalidArgument,
                                            fmt::format("--age {}: not an age X25519 recipient", r)));
    parsed_recipients.push_back(*p);
  }
  auto text = lucid::read_text_file(o.file);
  if (!text) return report("encrypt", lucid::Error(text.error().kind, o.file + ": cannot be read"));
  auto format = sops::sops_format_for(o.file);
  auto plain = sops::sops_load(*text, format, o.file);
  lucid::secure_zero(*text);
  if (!plain) return report("encrypt", plain.error());
  auto file = sops::sops_encrypt(std::move(*plain), format, parsed_recipients, rules);
  if (!file) return report("encrypt", file.error());
  auto out = sops::sops_serialize(*file);
  if (!out) return report("encrypt", out.error());
  if (auto s = write_output(o.output, *out, 0644); !s) return report("encrypt", s.error());
  return 0;
}

int run_edit(const SecretsOptions& o) {
  auto ids = require_identities(o);
  if (!ids) return report("edit", ids.error());
  const char* editor = std::getenv("EDITOR");
  auto r = sops::sops_edit_file(o.file, *ids, editor != nullptr && *editor != '\0' ? editor : "vi");
  if (!r) return report("edit", r.error());
  fmt::print(stderr, "{}: {}\n", o.file,
             *r == sops::SopsEditOutcome::kUnchanged ? "no changes" : "re-encrypted (changed values only)");
  return 0;
}

}  // namespace

void register_secrets(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<SecretsOptions>();
  auto* cmd = app.add_subcommand("secrets", "Check, decrypt, encrypt and edit SOPS secrets files (age keys)");
  cmd->require_subcommand(1);
  cmd->footer(
      "Keys: --identity FILE, or $AGE_PRIVATE_KEY (the key text), $SOPS_AGE_KEY, $SOPS_AGE_KEY_FILE.\n"
      "Exit: 0 ok, 1 refused (malformed, not fully encrypted, wrong key, MAC mismatch), 2 usage or I/O.");

  auto* check = cmd->add_subcommand(
      "check", "Every secrets/*.enc.yaml is well formed and fully encrypted (MAC too with a key)");
  check->add_option("repo", o->repo, "Config repo (default .)");
  check->add_option("--identity", o->identity, "age identity file");
  check->callback([o, &ctx] { ctx.exit_code = run_check(*o); });

  auto* decrypt =
      cmd->add_subcommand("decrypt", "Print the plaintext of a SOPS file (after verifying its MAC)");
  decrypt->add_option("file", o->file, "SOPS file (.yaml, .json or .env)")->required();
  decrypt->add_option("-o,--output", o->output, "Write here (mode 0600, whole or nothing) instead of stdout");
  decrypt->add_option("--identity", o->identity, "age identity file");
  decrypt->callback([o, &ctx] { ctx.exit_code = run_decrypt(*o); });

  auto* encrypt =
      cmd->add_subcommand("encrypt", "Encrypt a plaintext YAML/JSON/dotenv file to age recipients");
  encrypt->add_option("file", o->file, "Plaintext file")->required();
  encrypt->add_option("--age", o->age, "age recipient(s) age1… (default: .sops.yaml creation rule)");
  encrypt->add_option("-o,--output", o->output, "Write here instead of stdout");
  auto* us = encrypt->add_option("--unencrypted-suffix", o->unencrypted_suffix,
                                 "Leave keys with this suffix in clear");
  auto* es =
      encrypt->add_option("--encrypted-suffix", o->encrypted_suffix, "Encrypt only keys with this suffix");
  auto* ur = encrypt->add_option("--unencrypted-regex", o->unencrypted_regex, "Leave matching keys in clear");
  auto* er = encrypt->add_option("--encrypted-regex", o->encrypted_regex, "Encrypt only matching keys");
  us->excludes(es)->excludes(ur)->excludes(er);
  es->excludes(ur)->excludes(er);
  ur->excludes(er);
  encrypt->add_flag("--mac-only-encrypted", o->mac_only_encrypted, "MAC only the encrypted values");
  encrypt->callback([o, &ctx] { ctx.exit_code = run_encrypt(*o); });

  auto* edit =
      cmd->add_subcommand("edit", "Edit a SOPS file in $EDITOR; only changed values are re-encrypted");
  edit->add_option("file", o->file, "SOPS file")->required();
  edit->add_option("--identity", o->identity, "age identity file");
  edit->callback([o, &ctx] { ctx.exit_code = run_edit(*o); });
}

}  // namespace lucidctl
