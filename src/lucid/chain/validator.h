// A validator of the data chain (blockchain-core): follows the blocks etcd orders, executes them
// through its Ledger, signs and publishes its vote for each, counts the others' votes to finality, and
// proposes blocks while it holds the proposer lease. Halts on any incident that makes its own view
// doubtful (docs/chain.md "Safety before liveness"). Its etcd key layout is in docs/formats.md "Data
// chain: ordering keys in etcd".
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/base/thread_annotations.h"
#include "lucid/chain/etcd_client.h"
#include "lucid/chain/ledger.h"

namespace lucid::chain {

struct ValidatorOptions {
  Genesis genesis;
  std::vector<std::string> etcd_endpoints;  // client URLs of the ordering cluster's members
  // Every key lives below this (default "/lucid-chain/<chain id>/"), so chains can share an etcd.
  std::string key_prefix;
  std::chrono::milliseconds block_interval{200};  // how often the proposer cuts a block when work waits
  std::int64_t proposer_lease_seconds = 2;        // a crashed proposer is replaced after this
  std::size_t max_block_transactions = 500;
  std::size_t max_block_bytes = std::size_t{1} << 20;  // below etcd's default request limit (1.5 MiB)
  bool propose = true;                                 // false: follow and vote only
};

// The figures /status and /metrics show.
struct ValidatorStatus {
  std::string chain_id;
  std::string validator;  // this validator's public key, hex ("" for an observer)
  bool observer = false;  // follows and executes without a key: never votes, never proposes
  std::uint64_t height = 0;
  std::string head_hash;
  std::string state_root;
  std::uint64_t final_height = 0;
  bool proposer = false;   // holds the proposer lease now
  bool connected = false;  // the last exchange with etcd succeeded
  bool halted = false;
  std::string last_error;  // the last etcd failure (empty once it recovered)
  std::vector<Incident> incidents;
  std::uint64_t blocks_proposed = 0;
  std::uint64_t transactions_executed = 0;
  std::uint64_t gas_used = 0;
};

nlohmann::json validator_status_to_json(const ValidatorStatus& status);

class Validator {
 public:
  // Starts following etcd and, when options.propose, campaigning for the proposer lease.
  static Result<std::unique_ptr<Validator>> start(ValidatorOptions options, crypto::Ed25519KeyPair key);
  // An observer: follows etcd, checks and executes every block and counts the validators' votes to
  // finality exactly as a validator does, but holds no key, so it never votes, proposes or writes to
  // etcd. Its incidents halt it as they halt a validator. The services that read the chain's state
  // (blockchain-virtual-machine, blockchain-governances) run one.
  static Result<std::unique_ptr<Validator>> observe(ValidatorOptions options);
  ~Validator();
  Validator(const Validator&) = delete;
  Validator& operator=(const Validator&) = delete;

  // Stops its threads and gives up the proposer lease.
  void stop();

  // Queues a transaction for the next blocks: its chain id, signature and nonce (not already used
  // in the executed state) are checked first. Returns its hash; submitting it twice is harmless.
  Result<Hash> submit(const Transaction& tx);

  ValidatorStatus status() const;

  // Calls `read` with the ledger under the validator's lock: the API reads blocks, receipts and state
  // through it. Keep it short; the follower waits meanwhile.
  template <typename F>
  auto read(F&& read) const {
    MutexLock lock(mu_);
    return read(ledger_);
  }

  const std::string& key_prefix() const { return options_.key_prefix; }

 private:
  Validator(ValidatorOptions options, std::optional<crypto::Ed25519KeyPair> key);
  static Result<std::unique_ptr<Validator>> launch(ValidatorOptions options,
                                                   std::optional<crypto::Ed25519KeyPair> key);
  void follow_loop();
  // Reads everything after the ledger's head, then streams changes; returns when the stream breaks.
  Status follow_once();
  void apply_block(const std::string& value) EXCLUDES(mu_);
  void apply_vote(const std::string& value) EXCLUDES(mu_);
  // Records an incident (and halts when it says so); republish() writes it to etcd.
  void raise(const Incident& incident) REQUIRES(mu_);
  // Writes this validator's votes and incidents that are not in etcd yet.
  void republish() EXCLUDES(mu_);
  void propose_loop();
  // Holds or wins the proposer lease; false when another validator holds it or etcd is unreachable.
  bool campaign(std::chrono::steady_clock::time_point& last_keep_alive);
  // One round as proposer: cuts a block from the queued transactions and orders it.
  void propose_once();
  void note_etcd(const Status& outcome) EXCLUDES(mu_);
  // False when the validator is stopping.
  bool sleep_for(std::chrono::milliseconds duration);

  ValidatorOptions options_;
  std::optional<crypto::Ed25519KeyPair> key_;  // empty for an observer
  std::string key_hex_;                        // "observer" for an observer (its log lines say so)
  Vm vm_;
  EtcdClient etcd_;

  mutable Mutex mu_;
  Ledger ledger_ GUARDED_BY(mu_);
  std::vector<Incident> incidents_ GUARDED_BY(mu_);
  bool halted_ GUARDED_BY(mu_) = false;
  bool connected_ GUARDED_BY(mu_) = false;
  std::string last_error_ GUARDED_BY(mu_);
  bool proposer_ GUARDED_BY(mu_) = false;
  std::uint64_t blocks_proposed_ GUARDED_BY(mu_) = 0;
  std::uint64_t transactions_executed_ GUARDED_BY(mu_) = 0;
  std::uint64_t gas_used_ GUARDED_BY(mu_) = 0;
  std::vector<Vote> unpublished_votes_ GUARDED_BY(mu_);
  std::vector<Incident> unreported_incidents_ GUARDED_BY(mu_);

  std::atomic<bool> stopping_{false};
  std::mutex sleep_mu_;
  std::condition_variable sleep_cv_;
  std::thread follower_;
  std::thread proposer_thread_;
  // The proposer thread's own: its lease, and the create revision of the leader key it won (0: not
  // the proposer).
  std::int64_t lease_ = 0;
  std::int64_t leader_revision_ = 0;
  std::string pending_cursor_;  // where the next walk of the queue starts ("" : at its beginning)
};

}  // namespace lucid::chain
