// lucid-node-worker: the node's sealed-chunk data path (SPEC-4 Stage 3). Thin: parses flags,
// calls lucid::seal, maps errors to exit codes.
#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/base/number.h"
#include "lucid/base/parallel.h"
#include "lucid/base/process_hardening.h"
#include "lucid/base/time.h"
#include "lucid/crypto/merkle.h"
#include "lucid/seal/format.h"
#include "lucid/seal/heartbeat.h"
#include "lucid/seal/keys.h"
#include "lucid/seal/node_service.h"
#include "lucid/seal/open_session.h"
#include "lucid/seal/proof.h"
#include "lucid/seal/seal_session.h"
#include "lucid/seal/session_file.h"
#include "lucid/seal/verify_session.h"
#include "lucid/version.h"

namespace {
namespace fs = std::filesystem;
using namespace lucid;
using nlohmann::json;

// Exit codes (documented in --help and docs/operations.md).
constexpr int kExitOk = 0;
constexpr int kExitVerifyFailed = 1;  // verify / verify-proof found the data does not check out
constexpr int kExitBadInput = 2;      // usage, unreadable input, bad key, output in the way, I/O
constexpr int kExitIncident = 3;      // open met an integrity failure; an incident was logged
constexpr int kExitUnhealthy = 1;     // health: no fresh heartbeat from a running worker

int report(const Error& e, int code = kExitBadInput) {
  fmt::print(stderr, "lucid-node-worker: error: {}\n", e.message);
  return code;
}

// "8MiB", "12M", "16777216" → bytes.
lucid::Result<std::uint64_t> parse_size(const std::string& text) {
  const std::size_t pos = text.find_first_not_of("0123456789");
  auto n = lucid::parse_number<std::uint64_t>(std::string_view(text).substr(0, pos), "--chunk-size");
  if (!n)
    return lucid::fail(ErrorKind::kInvalidArgument,
                       fmt::format("--chunk-size {}: not a size (use bytes or e.g. 8MiB)", text));
  std::string unit = pos == std::string::npos ? std::string() : text.substr(pos);
  std::uint64_t mult = 1;
  if (unit == "" || unit == "B")
    mult = 1;
  else if (unit == "K" || unit == "KiB")
    mult = 1024;
  else if (unit == "M" || unit == "MiB")
    mult = seal::kMiB;
  else
    return lucid::fail(ErrorKind::kInvalidArgument,
                       fmt::format("--chunk-size {}: unknown unit \"{}\" (use KiB or MiB)", text, unit));
  if (*n > UINT64_MAX / mult) {
    return lucid::fail(ErrorKind::kInvalidArgument, fmt::format("--chunk-size {}: too large", text));
  }
  return *n * mult;
}

// A positive duration flag ("500ms", "5s", "2m"; lucid::parse_duration).
lucid::Result<std::chrono::milliseconds> positive_duration(const std::string& flag, const std::string& text) {
  auto d = lucid::parse_duration(text);
  if (!d || d->count() <= 0)
    return lucid::fail(ErrorKind::kInvalidArgument,
                       fmt::format("{} {}: not a duration (give e.g. 500ms, 5s or 2m)", flag, text));
  return *d;
}

std::string device_fingerprint() {
  auto id = read_text_file("/etc/machine-id");
  if (!id) return "unknown";
  auto h = crypto::Blake3::derive_key("lucid 2026-11 device fingerprint v1")
               .update({reinterpret_cast<const std::uint8_t*>(id->data()), id->size()})
               .finalize();
  return to_hex(h);
}

std::string mib(std::uint64_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / seal::kMiB);
}

// ---- subcommands ----

struct KeygenArgs {
  fs::path out;
};

int run_keygen(const KeygenArgs& a) {
  auto kp = seal::generate_node_key(a.out);
  if (!kp) return report(kp.error());
  fmt::print("node key written to {} (mode 0600); public key {} in {}.pub\n", a.out.string(),
             to_hex(kp->public_key()), a.out.string());
  return kExitOk;
}

struct SealArgs {
  std::string input = "-";
  fs::path out;
  fs::path node_key;
  fs::path session_key_file;
  std::string chunk_size = "8MiB";
  int level = seal::kDefaultZstdLevel;
  unsigned threads = 0;
  std::string codec = "application/octet-stream";
  std::vector<std::string> participants;
  bool json = false;
  bool progress = false;
  bool quiet = false;
  bool no_fsync = false;
};

// The sealing options `seal` and `run` share (both seal through seal::seal_stream).
lucid::Result<seal::SealOptions> seal_options(const SealArgs& a) {
  seal::SealOptions o;
  auto size = parse_size(a.chunk_size);
  if (!size) return std::unexpected(size.error());
  o.chunk_size = *size;
  o.zstd_level = a.level;
  o.threads = a.threads;
  o.codec = a.codec;
  o.fsync = !a.no_fsync;
  o.device_fingerprint = device_fingerprint();
  if (auto s = seal::validate_seal_options(o); !s) return std::unexpected(s.error());
  return o;
}

int run_seal(const SealArgs& a) {
  auto options = seal_options(a);
  if (!options) return report(options.error());
  seal::SealOptions& o = *options;
  for (const auto& p : a.participants) {
    crypto::Ed25519PublicKey pub{};
    if (!from_hex_into(p, pub))
      return report(Error{ErrorKind::kInvalidArgument,
                          fmt::format("--participant {}: expected a 64-hex Ed25519 public key", p)});
    o.participants.push_back(pub);
  }

  // Check everything that can be checked before creating anything.
  int fd = STDIN_FILENO;
  if (a.input != "-") {
    fd = ::open(a.input.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return report(
          Error{ErrorKind::kIo, fmt::format("{}: cannot open input: {}", a.input, errno_text(errno))});
  }
  auto node = seal::load_node_key(a.node_key);
  if (!node) return report(node.error());
  {
    std::error_code ec;
    if (fs::exists(a.out, ec) && (!fs::is_directory(a.out, ec) || !fs::is_empty(a.out, ec))) {
      return report(Error{ErrorKind::kAlreadyExists,
                          fmt::format("{}: output exists and is not an empty directory; choose a new --out",
                                      a.out.string())});
    }
  }
  std::error_code ec;
  bool created_key = !fs::exists(a.session_key_file, ec);
  auto key = seal::load_session_key(a.session_key_file, true);
  if (!key) return report(key.error());

  bool show_progress = !a.quiet && (a.progress || ::isatty(STDERR_FILENO));
  if (show_progress) {
    o.progress = [](std::uint64_t chunks, std::uint64_t bytes) {
      fmt::print(stderr, "\rsealing: {} chunks, {} read", chunks, mib(bytes));
      std::fflush(stderr);
    };
  }
  auto summary = seal::seal_stream(fd, a.out, *node, *key, o);
  if (fd != STDIN_FILENO) ::close(fd);
  if (show_progress) fmt::print(stderr, "\n");
  if (!summary) {
    if (created_key) fs::remove(a.session_key_file, ec);  // leave nothing behind
    return report(summary.error());
  }
  const auto& m = summary->manifest;
  double ratio = m.total_bytes == 0
                     ? 1.0
                     : static_cast<double>(summary->sealed_bytes) / static_cast<double>(m.total_bytes);
  if (a.json) {
    json out = {{"directory", a.out.string()},           {"session_id", m.session_id},
                {"merkle_root", to_hex(m.merkle_root)},  {"manifest_hash", to_hex(summary->manifest_hash)},
                {"chunk_count", m.chunk_count},          {"total_bytes", m.total_bytes},
                {"sealed_bytes", summary->sealed_bytes}, {"sealed_to_plain_ratio", ratio}};
    fmt::print("{}\n", out.dump());
  } else {
    fmt::print(
        "session       {}\nmerkle root   {}\nmanifest hash {}\nchunks        {}\nbytes         {} in, {} "
        "sealed ({:.3f} of input)\n",
        m.session_id, to_hex(m.merkle_root), to_hex(summary->manifest_hash), m.chunk_count, m.total_bytes,
        summary->sealed_bytes, ratio);
  }
  return kExitOk;
}

struct OpenArgs {
  fs::path dir;
  fs::path session_key_file;
  fs::path out;
  fs::path node_pub;
  fs::path incident_log;
  unsigned threads = 0;
};

int run_open(const OpenArgs& a) {
  seal::OpenOptions o;
  o.threads = a.threads;
  o.incident_log = a.incident_log.empty() ? seal::default_incident_log(a.dir) : a.incident_log;
  if (!a.node_pub.empty()) {
    auto pub = seal::load_public_key(a.node_pub);
    if (!pub) return report(pub.error());
    o.expected_node_key = *pub;
  }
  if (a.out != "-") {
    std::error_code ec;
    if (fs::exists(a.out, ec))
      return report(Error{ErrorKind::kAlreadyExists,
                          fmt::format("{}: output already exists; choose another -o", a.out.string())});
  }
  auto key = seal::load_session_key(a.session_key_file, false);
  if (!key) return report(key.error());
  auto summary = seal::open_session(a.dir, *key, a.out, o);
  if (!summary)
    return report(summary.error(),
                  summary.error().kind == ErrorKind::kAuthentication ? kExitIncident : kExitBadInput);
  if (a.out != "-")
    fmt::print(stderr, "restored {} bytes of session {} to {}\n", summary->bytes_written,
               summary->manifest.session_id, a.out.string());
  return kExitOk;
}

struct VerifyArgs {
  fs::path dir;
  fs::path node_pub;
  bool any_signer = false;
  unsigned threads = 0;
  bool json = false;
};

constexpr std::string_view kSignerNotPinned =
    "the signer is not pinned: a session from another node proves nothing unless its signer is the node you "
    "expect";

int run_verify(const VerifyArgs& a) {
  std::optional<crypto::Ed25519PublicKey> expected;
  if (!a.node_pub.empty()) {
    auto pub = seal::load_public_key(a.node_pub);
    if (!pub) return report(pub.error());
    expected = *pub;
  } else if (!a.any_signer) {
    // Refused before anything is read: a self-consistent session signed by any key would pass.
    std::string message = fmt::format(
        "{}: {}; give --node-pub FILE (the sealing node's public key), or "
        "--any-signer to check the session against whichever key signed it",
        a.dir.string(), kSignerNotPinned);
    if (a.json) {
      json problem = {{"subject", "signer"}, {"message", message}, {"chunk_index", nullptr}};
      fmt::print("{}\n", json{{"directory", a.dir.string()},
                              {"ok", false},
                              {"signer_pinned", false},
                              {"problems", json::array({problem})}}
                             .dump());
    }
    return report(Error{ErrorKind::kInvalidArgument, message}, kExitVerifyFailed);
  }
  auto r = seal::verify_session(a.dir, expected, a.threads == 0 ? lucid::default_thread_count() : a.threads);
  if (!r) return report(r.error());
  if (a.json) {
    json problems = json::array();
    for (const auto& p : r->problems)
      problems.push_back(json{{"subject", p.subject},
                              {"message", p.message},
                              {"chunk_index", p.chunk_index ? json(*p.chunk_index) : json()}});
    json out = {{"directory", a.dir.string()},
                {"ok", r->ok()},
                {"signer_pinned", expected.has_value()},
                {"problems", problems},
                {"bytes_hashed", r->bytes_hashed}};
    if (r->manifest) {
      out["session_id"] = r->manifest->session_id;
      out["merkle_root"] = to_hex(r->manifest->merkle_root);
      out["manifest_hash"] = to_hex(r->manifest_hash);
      out["chunk_count"] = r->manifest->chunk_count;
    }
    fmt::print("{}\n", out.dump());
  } else if (r->ok()) {
    fmt::print("OK  session {}: {} chunks, root {}, signed by node {}{}\n", r->manifest->session_id,
               r->manifest->chunk_count, to_hex(r->manifest->merkle_root),
               to_hex(*r->manifest->node_public_key()),
               expected ? "" : " (--any-signer: the signer was not pinned; check that key yourself)");
  } else {
    for (const auto& p : r->problems) fmt::print(stderr, "FAIL {}: {}\n", p.subject, p.message);
    fmt::print(stderr, "{}: verification failed ({} problem{})\n", a.dir.string(), r->problems.size(),
               r->problems.size() == 1 ? "" : "s");
  }
  return r->ok() ? kExitOk : kExitVerifyFailed;
}

struct ProofArgs {
  fs::path dir;
  std::uint64_t index = 0;
};

int run_proof(const ProofArgs& a) {
  auto m = seal::read_manifest(a.dir);
  if (!m) return report(m.error());
  auto proof = seal::make_inclusion_proof(*m, a.index);
  if (!proof) return report(proof.error());
  fmt::print("{}\n", proof->dump(2));
  return kExitOk;
}

struct VerifyProofArgs {
  std::string root;
  std::string leaf;
  std::string proof = "-";
};

int run_verify_proof(const VerifyProofArgs& a) {
  crypto::Digest root{};
  if (auto s = from_hex_into(a.root, root); !s)
    return report(Error{ErrorKind::kInvalidArgument, "--root: " + s.error().message});
  crypto::Digest leaf{};
  if (!from_hex_into(a.leaf, leaf)) {
    // Not a digest: a sealed chunk file whose leaf hash is computed here, read as `verify` reads one
    // (a regular file, not a link or a pipe, no larger than a sealed chunk can be).
    fs::path path(a.leaf);
    std::vector<std::uint8_t> bytes;
    auto file = seal::open_session_file(path.has_parent_path() ? path.parent_path() : fs::path("."),
                                        path.filename(), seal::kMaxSealedChunkBytes);
    auto read = file ? file->read_all(bytes) : lucid::Status(std::unexpected(file.error()));
    if (!read)
      return report(Error{ErrorKind::kInvalidArgument,
                          fmt::format("--leaf {}: neither a 64-hex leaf hash nor a readable chunk file ({})",
                                      a.leaf, read.error().message)});
    leaf = crypto::merkle_leaf_hash(bytes);
  }
  std::string text;
  if (a.proof == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    auto t = read_text_file(a.proof);
    if (!t) return report(t.error());
    text = std::move(*t);
  }
  auto s = seal::verify_inclusion_proof(text, root, leaf);
  if (!s)
    return report(s.error(),
                  s.error().kind == ErrorKind::kAuthentication ? kExitVerifyFailed : kExitBadInput);
  fmt::print("OK  leaf {} is included under root {}\n", to_hex(leaf), to_hex(root));
  return kExitOk;
}

struct RunArgs {
  fs::path spool = "/var/lib/lucid";
  std::string heartbeat = "5s";
  SealArgs seal;  // only the sealing options are used
};

// One JSON object per line on stdout, flushed at once (the container log is the event stream).
void print_event(const json& event) {
  std::string line = event.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

int run_service(const RunArgs& a) {
  seal::ServiceOptions o;
  o.spool.root = a.spool;
  auto beat = positive_duration("--heartbeat", a.heartbeat);
  if (!beat) return report(beat.error());
  o.heartbeat = *beat;
  auto options = seal_options(a.seal);
  if (!options) return report(options.error());
  o.seal = std::move(*options);

  // SIGTERM/SIGINT arrive on a signalfd the service polls between recordings; blocked before any
  // thread starts, so every thread inherits the mask and the recording in hand is finished first.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  int stop_fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (stop_fd < 0) return report(Error{ErrorKind::kIo, fmt::format("signalfd: {}", errno_text(errno))});
  auto s = seal::run_service(o, stop_fd, print_event);
  ::close(stop_fd);
  if (!s) return report(s.error());
  return kExitOk;
}

struct HealthArgs {
  fs::path spool = "/var/lib/lucid";
  std::string max_age;
  bool binary_only = false;
};

int run_health(const HealthArgs& a) {
  if (a.binary_only) {
    fmt::print("lucid-node-worker {} ok\n", lucid::kLucidVersion);
    return kExitOk;
  }
  std::optional<std::chrono::milliseconds> max_age;
  if (!a.max_age.empty()) {
    auto d = positive_duration("--max-age", a.max_age);
    if (!d) return report(d.error());
    max_age = *d;
  }
  auto ok = seal::check_heartbeat(seal::Spool{a.spool}.health(), max_age);
  if (!ok) {
    fmt::print("unhealthy: {}\n", ok.error().message);
    return kExitUnhealthy;
  }
  fmt::print("{}\n", *ok);
  return kExitOk;
}

constexpr const char* kExitCodes =
    "EXIT STATUS\n"
    "  0  success\n"
    "  1  verify / verify-proof: the data does not check out (each problem is printed);\n"
    "     verify without --node-pub or --any-signer: the signer is not pinned\n"
    "     health: no fresh heartbeat from a running worker (the reason is printed)\n"
    "  2  usage error, unreadable input, bad or missing key, output in the way, I/O error;\n"
    "     run: the spool is not usable (not writable, locked by another worker) or was removed\n"
    "  3  open: a chunk or the manifest failed authentication; nothing of it or after it was\n"
    "     written, any output file was removed, and an incident was appended to the incident log\n";

}  // namespace

int main(int argc, char** argv) {
  // Keys live in this process: no core file, no same-user ptrace or /proc/<pid>/mem reads
  // (docs/operations.md "Secrets in memory").
  if (auto hardened = lucid::harden_process(); !hardened) {
    fmt::print(stderr, "lucid-node-worker: {}\n", hardened.error().message);
    return 2;
  }
  CLI::App app{fmt::format(
      "lucid-node-worker {} — seal recordings into authenticated chunks (SPEC-4 Stage 3)\n\n"
      "A recording is split into 8–16 MiB chunks, each compressed with Zstd and sealed with\n"
      "XChaCha20-Poly1305 under a per-chunk HKDF-SHA256 key. The sealed chunks are the leaves of a\n"
      "BLAKE3 Merkle tree whose root, with every leaf hash, goes into a manifest signed with the\n"
      "node's Ed25519 key. Formats: docs/formats.md.",
      lucid::kLucidVersion)};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(lucid::kLucidVersion));
  app.footer(
      std::string(kExitCodes) +
      "\nSERVICE\n"
      "  `run` watches SPOOL/inbox (inotify) and seals each recording NAME into SPOOL/sessions/NAME\n"
      "  with its session key in SPOOL/keys/NAME.key (0600), then removes it from the inbox if it is\n"
      "  still the file that was sealed (same inode; a file renamed over it meanwhile stays). Writers\n"
      "  write `NAME.part` (or a hidden name) and rename it to NAME when complete. An input that\n"
      "  cannot be sealed goes to SPOOL/failed/NAME with the reason in NAME.error. The node key is\n"
      "  SPOOL/node.key (made on first start). One JSON line per event on stdout (started, sealed,\n"
      "  failed, stopped). SPOOL/health.json is rewritten every --heartbeat; `health` passes while it\n"
      "  is fresh. SIGTERM/SIGINT: the recording in hand is finished, then exit 0.\n"
      "\nSESSIONS FROM OTHER NODES\n"
      "  `verify`, `open` and `proof` treat a session directory as untrusted: every size and count in\n"
      "  the manifest is checked against the format's bounds before anything is allocated (at most\n"
      "  2^18 chunks, 16 MiB chunks, a 49 MiB manifest; docs/formats.md), and manifest.json and\n"
      "  chunks/* must be regular files reached without symbolic links (a link, pipe or device is\n"
      "  refused, naming the file). `verify` needs the signer pinned with --node-pub, or --any-signer.\n"
      "\nEXAMPLES\n"
      "  lucid-node-worker run --spool /var/lib/lucid\n"
      "  lucid-node-worker health --spool /var/lib/lucid\n"
      "  lucid-node-worker keygen --out node.key\n"
      "  ffmpeg -i in.mkv -c copy -f mpegts - | lucid-node-worker seal - --out sess --node-key "
      "node.key --session-key-file sess.key\n"
      "  lucid-node-worker verify sess --node-pub node.key.pub\n"
      "  lucid-node-worker open sess --session-key-file sess.key -o restored.ts\n"
      "  lucid-node-worker proof sess 3 > p.json && lucid-node-worker verify-proof --root R --leaf "
      "sess/chunks/00000003.sealed p.json");

  KeygenArgs kg;
  auto* keygen = app.add_subcommand("keygen", "Create an Ed25519 node key (mode 0600) and KEYFILE.pub");
  keygen->add_option("--out", kg.out, "Key file to create (refuses to overwrite)")->required();

  SealArgs sa;
  auto* sealc =
      app.add_subcommand("seal", "Seal a recording from FILE or standard input into a new session directory");
  sealc->add_option("input", sa.input, "Recording to seal, or - for standard input")->default_str("-");
  sealc->add_option("--out", sa.out, "Session directory to create; it appears whole or not at all")
      ->required();
  sealc->add_option("--node-key", sa.node_key, "Node key file (from keygen); signs the manifest")->required();
  sealc
      ->add_option("--session-key-file", sa.session_key_file,
                   "Session key file (64 hex); created with mode 0600 if missing")
      ->required();
  sealc
      ->add_option("--chunk-size", sa.chunk_size,
                   "Plaintext bytes per chunk, 8MiB..16MiB (bytes, KiB or MiB)")
      ->default_str("8MiB");
  sealc->add_option("--level", sa.level, "Zstd compression level 1..19")
      ->default_val(seal::kDefaultZstdLevel);
  sealc->add_option("--threads", sa.threads, "Worker threads (default: one per core)");
  sealc->add_option("--codec", sa.codec, "Media type of the recording, recorded in the manifest")
      ->default_str("application/octet-stream");
  sealc->add_option("--participant", sa.participants,
                    "Ed25519 public key (64 hex) of a session participant; repeatable");
  sealc->add_flag("--json", sa.json, "Print the result as one JSON object");
  sealc->add_flag("--progress", sa.progress,
                  "Show progress on standard error even when it is not a terminal");
  sealc->add_flag("--quiet", sa.quiet, "No progress output");
  sealc->add_flag("--no-fsync", sa.no_fsync,
                  "Do not fsync chunks before the final rename (faster, not crash-safe)");

  OpenArgs oa;
  auto* openc = app.add_subcommand("open", "Restore a session's exact input, checking every chunk first");
  openc->add_option("dir", oa.dir, "Session directory")->required();
  openc->add_option("--session-key-file", oa.session_key_file, "Session key file")->required();
  openc
      ->add_option("-o,--output", oa.out,
                   "Output file (created whole or not at all), or - for standard output")
      ->required();
  openc->add_option("--node-pub", oa.node_pub,
                    "Require the manifest to be signed by this node public key file");
  openc->add_option("--incident-log", oa.incident_log,
                    "Where to append incidents (default: lucid-incidents.jsonl beside DIR)");
  openc->add_option("--threads", oa.threads, "Worker threads (default: one per core)");

  VerifyArgs va;
  auto* verifyc = app.add_subcommand(
      "verify", "Check lengths, every leaf, the root and the signature, without the session key");
  verifyc->add_option("dir", va.dir, "Session directory")->required();
  auto* verify_pub = verifyc->add_option(
      "--node-pub", va.node_pub,
      "Require the manifest to be signed by this node public key file (required unless --any-signer)");
  verifyc
      ->add_flag("--any-signer", va.any_signer,
                 "Accept whichever key signed the manifest (the report says the signer was not pinned)")
      ->excludes(verify_pub);
  verifyc->add_option("--threads", va.threads, "Hashing threads (default: one per core)");
  verifyc->add_flag("--json", va.json, "Print the report as one JSON object");

  ProofArgs pa;
  auto* proofc = app.add_subcommand("proof", "Print the inclusion proof (JSON) of chunk N");
  proofc->add_option("dir", pa.dir, "Session directory")->required();
  proofc->add_option("index", pa.index, "Chunk index, from 0")->required();

  VerifyProofArgs vp;
  auto* vproofc = app.add_subcommand("verify-proof", "Check an inclusion proof against a root and a leaf");
  vproofc->add_option("--root", vp.root, "Merkle root (64 hex)")->required();
  vproofc->add_option("--leaf", vp.leaf, "Leaf hash (64 hex) or a sealed chunk file")->required();
  vproofc->add_option("proof", vp.proof, "Proof file from `proof`, or - for standard input")
      ->default_str("-");

  RunArgs ra;
  auto* runc = app.add_subcommand(
      "run", "Service: seal every recording that lands in SPOOL/inbox until SIGTERM (see SERVICE below)");
  runc->add_option("--spool", ra.spool, "Spool directory (inbox/, sessions/, keys/, failed/, node.key)")
      ->default_str("/var/lib/lucid");
  runc->add_option("--heartbeat", ra.heartbeat, "How often SPOOL/health.json is rewritten (e.g. 5s, 500ms)")
      ->default_str("5s");
  runc->add_option("--chunk-size", ra.seal.chunk_size, "Plaintext bytes per chunk, 8MiB..16MiB")
      ->default_str("8MiB");
  runc->add_option("--level", ra.seal.level, "Zstd compression level 1..19")
      ->default_val(seal::kDefaultZstdLevel);
  runc->add_option("--threads", ra.seal.threads, "Worker threads per recording (default: one per core)");
  runc->add_option("--codec", ra.seal.codec, "Media type of the recordings, recorded in each manifest")
      ->default_str("application/octet-stream");

  // `health`: the compose healthcheck's exec-form probe (no shell, no network). It checks the
  // worker's heartbeat in the spool; --binary-only just proves the binary and its libraries run.
  HealthArgs ha;
  auto* healthc = app.add_subcommand(
      "health", "Exit 0 while the worker on SPOOL is running (fresh SPOOL/health.json), else 1 with why");
  healthc->add_option("--spool", ha.spool, "Spool directory of the worker")->default_str("/var/lib/lucid");
  healthc->add_option("--max-age", ha.max_age,
                      "Oldest acceptable heartbeat (default: 3 x the worker's --heartbeat, 15s by default)");
  healthc->add_flag("--binary-only", ha.binary_only,
                    "Only print the version and exit 0: the binary and its shared libraries load");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  if (*healthc) return run_health(ha);
  if (*runc) return run_service(ra);
  if (*keygen) return run_keygen(kg);
  if (*sealc) return run_seal(sa);
  if (*openc) return run_open(oa);
  if (*verifyc) return run_verify(va);
  if (*proofc) return run_proof(pa);
  if (*vproofc) return run_verify_proof(vp);
  return kExitBadInput;
}
