// libFuzzer target: a sealed session as an untrusted peer could send it. The input is split at each
// kSeparator into manifest.json and up to four chunk files (chunks/00000000.sealed, …); parse_manifest,
// then verify_session and open_session over the files must refuse what is wrong with an error or a
// problem — never crash, hang or allocate beyond the format's bounds (libFuzzer's -malloc_limit_mb
// turns any single allocation over its limit into a crash). The session key is the one of
// tests/vectors/sealed-chunk.json; the seeds (corpus/seal_session/) are a one- and a two-chunk session
// that `lucid-node-worker seal` made under it, so they verify and open.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/seal/format.h"
#include "lucid/seal/manifest.h"
#include "lucid/seal/open_session.h"
#include "lucid/seal/verify_session.h"

namespace {
namespace fs = std::filesystem;

constexpr std::string_view kSeparator = "\n--lucid-chunk--\n";

// A fresh scratch session directory per input, removed after it (libFuzzer may end the process
// without running atexit handlers, so nothing is kept across inputs).
fs::path make_session_dir() {
  std::string templ = (fs::temp_directory_path() / "lucid-fuzz-seal-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) __builtin_trap();
  return fs::path(templ);
}

void write(const fs::path& path, std::string_view bytes) {
  if (!lucid::write_file_atomic(path, {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}))
    __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  while (parts.size() < 5) {
    std::size_t at = input.find(kSeparator);
    parts.push_back(input.substr(0, at));
    if (at == std::string_view::npos) break;
    input.remove_prefix(at + kSeparator.size());
  }
  auto manifest = lucid::seal::parse_manifest(std::string(parts[0]));
  if (!manifest) {
    if (manifest.error().message.empty()) __builtin_trap();  // every refusal says why
    return 0;
  }

  const fs::path dir = make_session_dir();
  std::error_code ec;
  fs::create_directory(dir / lucid::seal::kChunksDirName, ec);
  write(dir / lucid::seal::kManifestFileName, parts[0]);
  for (std::size_t i = 1; i < parts.size(); ++i)
    write(dir / lucid::seal::chunk_relative_path(i - 1), parts[i]);

  auto report = lucid::seal::verify_session(dir, std::nullopt, 1);
  if (!report) __builtin_trap();  // the manifest parsed, so only problems inside the report remain
  lucid::seal::SessionKey key;
  if (!lucid::from_hex_into("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", key.span()))
    __builtin_trap();
  lucid::seal::OpenOptions options;
  options.threads = 1;
  options.incident_log = dir / "incidents.jsonl";
  auto opened = lucid::seal::open_session(dir, key, dir / "restored", options);
  // open must not succeed where verify found a problem (verify is the weaker check: no AEAD).
  if (opened && !report->ok()) __builtin_trap();
  fs::remove_all(dir, ec);
  return 0;
}
