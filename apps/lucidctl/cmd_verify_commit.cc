#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cmd_verify.h"
#include "lucid/gitsig/verify_commit.h"

namespace lucidctl {
namespace {

void print_text(const lucid::gitsig::CommitVerdict& v) {
  if (v.accepted()) {
    fmt::print("commit {}: accepted\n", v.commit);
    fmt::print("  signer:  {}\n", v.principals);
    fmt::print("  key:     {} {}\n", v.key_type, v.fingerprint);
    fmt::print("  listed:  {}\n", v.signer_line);
  } else {
    fmt::print("commit {}: refused: {}\n", v.commit, v.reason);
    if (!v.fingerprint.empty()) fmt::print("  key:     {} {}\n", v.key_type, v.fingerprint);
    fmt::print("  trust:   {}\n", v.trust_source);
  }
  for (const auto& f : v.findings) fmt::print("  note:    {}\n", f);
}

void print_json(const lucid::gitsig::CommitVerdict& v) {
  nlohmann::ordered_json j;
  j["commit"] = v.commit;
  j["accepted"] = v.accepted();
  if (!v.accepted()) {
    j["refusal"] = std::string(lucid::gitsig::refusal_code(*v.refusal));
    j["reason"] = v.reason;
  } else {
    j["principals"] = v.principals;
    j["signer_line"] = v.signer_line;
  }
  if (!v.fingerprint.empty()) {
    j["key_type"] = v.key_type;
    j["fingerprint"] = v.fingerprint;
  }
  j["trust"] = v.trust_source;
  j["findings"] = v.findings;
  fmt::print("{}\n", j.dump());
}

}  // namespace

int run_verify_commit(const VerifyArgs& args) {
  if (args.allowed_signers.has_value() == args.trusted_commit.has_value()) {
    fmt::print(stderr,
               "lucidctl verify --commit: give exactly one of --allowed-signers FILE (first trust) and "
               "--trusted-commit C\n");
    return 2;
  }
  lucid::gitsig::TrustRoot trust{args.allowed_signers, args.trusted_commit};
  auto verdict = lucid::gitsig::verify_commit(args.repo, *args.commit, trust);
  if (!verdict) {
    fmt::print(stderr, "lucidctl verify: {}\n", verdict.error().message);
    return 2;
  }
  if (args.json)
    print_json(*verdict);
  else
    print_text(*verdict);
  return verdict->accepted() ? 0 : 1;
}

}  // namespace lucidctl
