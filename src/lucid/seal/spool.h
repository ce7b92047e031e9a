// The node-worker spool (`lucid-node-worker run`): inbox/ of recordings to seal, sessions/ of sealed
// sessions, keys/ of their session keys (0700), failed/ of refused inputs with a `.error` reason each.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lucid/base/file_lock.h"
#include "lucid/base/result.h"
#include "lucid/crypto/ed25519.h"
#include "lucid/seal/seal_session.h"

namespace lucid::seal {

struct Spool {
  std::filesystem::path root;

  std::filesystem::path inbox() const { return root / "inbox"; }
  std::filesystem::path sessions() const { return root / "sessions"; }
  std::filesystem::path keys() const { return root / "keys"; }
  std::filesystem::path failed() const { return root / "failed"; }
  std::filesystem::path node_key() const { return root / "node.key"; }
  std::filesystem::path health() const { return root / "health.json"; }
  std::filesystem::path session_dir(const std::string& name) const { return sessions() / name; }
  std::filesystem::path session_key(const std::string& name) const { return keys() / (name + ".key"); }
};

// An exclusive lock on DIR/.lock, held while the object lives: one worker per spool (creates DIR).
class SpoolLock {
 public:
  static Result<SpoolLock> acquire(const Spool& spool);

 private:
  explicit SpoolLock(FileLock lock) : lock_(std::move(lock)) {}
  FileLock lock_;
};

// Creates the spool's directories when absent (keys/, inbox/ and failed/ 0700; sessions/ 0755), tightens
// keys/ to 0700, and removes what an interrupted seal left: hidden staging directories in sessions/ and
// temporary files in keys/ and the root. Call with the SpoolLock held.
Status prepare_spool(const Spool& spool);

// The node key DIR/node.key, generated (0600, with node.key.pub) when absent; `created` says which.
Result<crypto::Ed25519KeyPair> load_or_create_node_key(const Spool& spool, bool& created);

// False for names a writer is still busy with: hidden names ('.' first) and names ending in ".part".
bool is_recording_name(std::string_view name);
// The recording names now in inbox/, sorted.
Result<std::vector<std::string>> list_inbox(const Spool& spool);

struct SealedRecording {
  SealSummary summary;
  std::filesystem::path session_dir;
  std::string input_kept;  // why inbox/NAME was not removed (it is another file now); empty when it was
};

// Seals inbox/NAME through `seal_stream` into sessions/NAME (which appears whole or not at all) under a
// fresh session key written atomically to keys/NAME.key (0600), then removes inbox/NAME if it is still
// the file that was sealed (same device and inode). Only regular files are sealed (symbolic links are
// refused). kNotFound when inbox/NAME is gone; on any failure nothing is left in sessions/ or keys/ and
// inbox/NAME is untouched.
Result<SealedRecording> seal_inbox_entry(const Spool& spool, const std::string& name,
                                         const crypto::Ed25519KeyPair& node_key, const SealOptions& options);

// Moves inbox/NAME to failed/ (as NAME, or NAME~2, NAME~3, … when taken) and writes `reason` to the
// `.error` file beside it. Returns the path it was moved to.
Result<std::filesystem::path> quarantine_inbox_entry(const Spool& spool, const std::string& name,
                                                     const std::string& reason);

}  // namespace lucid::seal
