#include "lucid/chain/validator.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "lucid/base/hex.h"
#include "lucid/base/thread_annotations.h"
#include "lucid/chain/ordering.h"
#include "lucid/chain/param_registry.h"

namespace lucid::chain {

namespace {

std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

void log_line(const std::string& validator, const std::string& text) {
  fmt::print(stderr, "blockchain-core {}: {}\n", validator.substr(0, 12), text);
  (void)std::fflush(stderr);
}

std::optional<nlohmann::json> parse_json(const std::string& text) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded()) return std::nullopt;
  return json;
}

}  // namespace

nlohmann::json validator_status_to_json(const ValidatorStatus& status) {
  auto incidents = nlohmann::json::array();
  for (const Incident& incident : status.incidents) incidents.push_back(incident_to_json(incident));
  return nlohmann::json{{"chain_id", status.chain_id},
                        {"validator", status.validator},
                        {"observer", status.observer},
                        {"height", status.height},
                        {"head_hash", status.head_hash},
                        {"state_root", status.state_root},
                        {"final_height", status.final_height},
                        {"proposer", status.proposer},
                        {"connected", status.connected},
                        {"halted", status.halted},
                        {"last_error", status.last_error},
                        {"incidents", incidents},
                        {"blocks_proposed", status.blocks_proposed},
                        {"transactions_executed", status.transactions_executed},
                        {"gas_used", status.gas_used}};
}

Validator::Validator(ValidatorOptions options, std::optional<crypto::Ed25519KeyPair> key)
    : options_(std::move(options)),
      key_(std::move(key)),
      key_hex_(key_ ? to_hex(key_->public_key()) : std::string("observer")),
      vm_(options_.genesis.validators),
      etcd_(options_.etcd_endpoints),
      ledger_(options_.genesis, vm_) {}

Result<std::unique_ptr<Validator>> Validator::start(ValidatorOptions options, crypto::Ed25519KeyPair key) {
  if (std::find(options.genesis.validators.begin(), options.genesis.validators.end(), key.public_key()) ==
      options.genesis.validators.end())
    return fail(
        ErrorKind::kInvalidArgument,
        fmt::format("validator key {} is not in the genesis validator set of chain {:?}: check the key "
                    "file and the genesis file",
                    to_hex(key.public_key()), options.genesis.chain_id));
  return launch(std::move(options), std::move(key));
}

Result<std::unique_ptr<Validator>> Validator::observe(ValidatorOptions options) {
  options.propose = false;
  return launch(std::move(options), std::nullopt);
}

Result<std::unique_ptr<Validator>> Validator::launch(ValidatorOptions options,
                                                     std::optional<crypto::Ed25519KeyPair> key) {
  if (options.etcd_endpoints.empty())
    return fail(ErrorKind::kInvalidArgument, "no etcd endpoint: give the ordering cluster's client URLs");
  if (options.key_prefix.empty()) options.key_prefix = default_key_prefix(options.genesis.chain_id);
  options.max_block_transactions =
      std::clamp<std::size_t>(options.max_block_transactions, 1, kMaxBlockTransactions);
  std::unique_ptr<Validator> validator(new Validator(std::move(options), std::move(key)));
  validator->follower_ = std::thread([v = validator.get()] { v->follow_loop(); });
  if (validator->options_.propose)
    validator->proposer_thread_ = std::thread([v = validator.get()] { v->propose_loop(); });
  return validator;
}

Validator::~Validator() {
  stop();
}

void Validator::stop() {
  if (stopping_.exchange(true)) return;
  { std::lock_guard lock(sleep_mu_); }
  sleep_cv_.notify_all();
  if (follower_.joinable()) follower_.join();
  if (proposer_thread_.joinable()) proposer_thread_.join();
  // A clean stop hands the proposer role on at once instead of after the lease's TTL.
  if (lease_ != 0) (void)etcd_.revoke_lease(lease_);
}

bool Validator::sleep_for(std::chrono::milliseconds duration) {
  std::unique_lock lock(sleep_mu_);
  sleep_cv_.wait_for(lock, duration, [this] { return stopping_.load(); });
  return !stopping_;
}

void Validator::note_etcd(const Status& outcome) {
  MutexLock lock(mu_);
  connected_ = outcome.has_value();
  if (outcome) {
    last_error_.clear();
  } else if (last_error_ != outcome.error().message) {
    last_error_ = outcome.error().message;
    log_line(key_hex_, fmt::format("etcd: {}", last_error_));
  }
}

ValidatorStatus Validator::status() const {
  MutexLock lock(mu_);
  ValidatorStatus status;
  status.chain_id = options_.genesis.chain_id;
  status.validator = key_ ? key_hex_ : std::string();
  status.observer = !key_;
  status.height = ledger_.height();
  status.head_hash = to_hex(ledger_.head_hash());
  status.state_root = to_hex(ledger_.head_state_root());
  status.final_height = ledger_.final_height();
  status.proposer = proposer_;
  status.connected = connected_;
  status.halted = halted_;
  status.last_error = last_error_;
  status.incidents = incidents_;
  status.blocks_proposed = blocks_proposed_;
  status.transactions_executed = transactions_executed_;
  status.gas_used = gas_used_;
  return status;
}

Result<Hash> Validator::submit(const Transaction& tx) {
  if (tx.chain_id != options_.genesis.chain_id)
    return fail(ErrorKind::kInvalidArgument, fmt::format("transaction is for chain {:?}, this is {:?}",
                                                         tx.chain_id, options_.genesis.chain_id));
  if (!transaction_signature_valid(tx))
    return fail(ErrorKind::kAuthentication, "transaction signature does not verify with its \"from\" key");
  const Hash hash = transaction_hash(tx);
  {
    MutexLock lock(mu_);
    if (halted_)
      return fail(ErrorKind::kInternal, "this validator has halted on an incident; submit to another");
    const std::uint64_t next = Vm::next_nonce(ledger_.state(), tx.from);
    if (tx.nonce < next)
      return fail(ErrorKind::kAlreadyExists,
                  fmt::format("nonce {} is already used by this sender (next is {})", tx.nonce, next));
  }
  const OrderingKeys keys{options_.key_prefix};
  auto put = etcd_.put(keys.pending(tx.from, tx.nonce), transaction_to_json(tx).dump());
  if (!put) return std::unexpected(with_context("queueing the transaction in etcd", put.error()));
  return hash;
}

void Validator::follow_loop() {
  while (!stopping_) {
    Status outcome = follow_once();
    if (stopping_) break;
    note_etcd(outcome);
    sleep_for(std::chrono::milliseconds(300));
  }
}

Status Validator::follow_once() {
  const OrderingKeys keys{options_.key_prefix};
  // The watch starts after this revision; what the ranges below read past it arrives twice, which
  // append and add_vote take as no-ops.
  auto revision = etcd_.revision();
  if (!revision) return std::unexpected(revision.error());

  std::uint64_t next = 0;
  std::uint64_t first_open = 0;
  {
    MutexLock lock(mu_);
    next = ledger_.height() + 1;
    first_open = ledger_.final_height() + 1;
  }
  auto blocks = read_ordered_blocks(etcd_, keys, next, [this](const std::string& block) {
    apply_block(block);
    return !stopping_;
  });
  if (!blocks) return blocks;
  auto votes = read_ordered_votes(etcd_, keys, first_open, 0, [this](const std::string& vote) {
    apply_vote(vote);
    return !stopping_;
  });
  if (!votes) return votes;
  republish();
  note_etcd({});

  return etcd_.watch(
      keys.followed_prefix(), *revision + 1,
      [this, &keys](const std::vector<EtcdEvent>& events, std::int64_t) {
        for (const EtcdEvent& event : events) {
          if (event.type != EtcdEvent::Type::kPut) continue;
          if (event.kv.key.starts_with(keys.block_prefix())) {
            apply_block(event.kv.value);
          } else if (event.kv.key.starts_with(keys.vote_prefix())) {
            apply_vote(event.kv.value);
          }
        }
        republish();
        return !stopping_;
      },
      [this] { return stopping_.load(); });
}

void Validator::apply_block(const std::string& value) {
  auto json = parse_json(value);
  Result<Block> block = json ? parse_block(*json) : fail(ErrorKind::kCorrupt, "not JSON");
  MutexLock lock(mu_);
  if (halted_) return;
  if (!block) {
    raise(Incident{"invalid-block",
                   ledger_.height() + 1,
                   fmt::format("the ordered block after height {} does not parse: {}", ledger_.height(),
                               block.error().message),
                   {},
                   true});
    return;
  }
  const std::uint64_t before = ledger_.height();
  auto appended = ledger_.append(*block);
  if (!appended) {
    raise(appended.error());
    return;
  }
  for (const Incident& incident : *appended) raise(incident);
  if (ledger_.height() == before || halted_) return;
  const ExecutedBlock& executed = *ledger_.block(ledger_.height());
  transactions_executed_ += executed.receipts.size();
  for (const Receipt& receipt : executed.receipts) gas_used_ += receipt.gas_used;
  if (!key_) return;  // an observer counts the others' votes and casts none
  Vote vote = make_vote(options_.genesis.chain_id, executed.block.header.height, executed.hash,
                        executed.state_root, *key_);
  for (const Incident& incident : ledger_.add_vote(vote)) raise(incident);
  unpublished_votes_.push_back(std::move(vote));
}

void Validator::apply_vote(const std::string& value) {
  auto json = parse_json(value);
  if (!json) return;
  auto vote = parse_vote(*json);
  if (!vote) return;  // not a vote: counts for nothing (Ledger::add_vote says why)
  MutexLock lock(mu_);
  if (halted_) return;
  for (const Incident& incident : ledger_.add_vote(*vote)) raise(incident);
}

void Validator::raise(const Incident& incident) {
  log_line(key_hex_, fmt::format("INCIDENT {} at height {}: {}{}", incident.kind, incident.height,
                                 incident.detail, incident.halts ? " — this validator halts" : ""));
  constexpr std::size_t kMaxIncidentsKept = 64;
  if (incidents_.size() < kMaxIncidentsKept) incidents_.push_back(incident);
  if (key_) unreported_incidents_.push_back(incident);  // an observer writes nothing to etcd
  if (incident.halts) {
    halted_ = true;
    unpublished_votes_.clear();  // a halted validator signs nothing more
  }
}

void Validator::republish() {
  std::vector<Vote> votes;
  std::vector<Incident> incidents;
  {
    MutexLock lock(mu_);
    votes.swap(unpublished_votes_);
    incidents.swap(unreported_incidents_);
  }
  const OrderingKeys keys{options_.key_prefix};
  std::vector<Vote> failed;
  for (Vote& vote : votes) {
    const std::string key = keys.vote(vote.height, key_hex_);
    auto written = etcd_.put_if_absent(key, vote_to_json(vote).dump());
    if (!written) {
      failed.push_back(std::move(vote));
      continue;
    }
    if (*written) continue;
    // A vote of ours is already there (written before a restart): it must name the same root, or
    // this validator's execution is not deterministic and it must not sign anything more.
    auto existing = etcd_.get(key);
    if (!existing || !*existing) {
      failed.push_back(std::move(vote));
      continue;
    }
    auto json = parse_json((*existing)->value);
    auto earlier = json ? parse_vote(*json) : fail(ErrorKind::kCorrupt, "not JSON");
    if (!earlier || earlier->state_root != vote.state_root || earlier->block != vote.block) {
      MutexLock lock(mu_);
      raise(
          Incident{"own-vote-differs",
                   vote.height,
                   fmt::format("this validator computed root {} at height {} but its earlier vote there says "
                               "otherwise: its execution is not deterministic",
                               to_hex(vote.state_root), vote.height),
                   {key_hex_},
                   true});
    }
  }
  for (const Incident& incident : incidents) {
    if (!etcd_.put(keys.incident(key_hex_, incident.height, incident.kind),
                   incident_to_json(incident).dump())) {
      MutexLock lock(mu_);
      unreported_incidents_.push_back(incident);
    }
  }
  if (!failed.empty()) {
    MutexLock lock(mu_);
    if (!halted_) unpublished_votes_.insert(unpublished_votes_.begin(), failed.begin(), failed.end());
  }
}

void Validator::propose_loop() {
  auto last_keep_alive = std::chrono::steady_clock::now();
  while (sleep_for(options_.block_interval)) {
    bool halted = false;
    {
      MutexLock lock(mu_);
      halted = halted_;
    }
    if (!options_.propose || halted) {
      if (halted && lease_ != 0) {
        (void)etcd_.revoke_lease(lease_);
        lease_ = 0;
      }
      continue;
    }
    const bool leading = campaign(last_keep_alive);
    {
      MutexLock lock(mu_);
      proposer_ = leading;
    }
    if (leading) propose_once();
  }
  MutexLock lock(mu_);
  proposer_ = false;
}

bool Validator::campaign(std::chrono::steady_clock::time_point& last_keep_alive) {
  const OrderingKeys keys{options_.key_prefix};
  const auto now = std::chrono::steady_clock::now();
  if (lease_ != 0 && now - last_keep_alive >= std::chrono::seconds(options_.proposer_lease_seconds) / 3) {
    auto ttl = etcd_.keep_alive(lease_);
    if (!ttl) {
      if (ttl.error().kind == ErrorKind::kNotFound) lease_ = 0;  // expired: campaign afresh
      leader_revision_ = 0;
      return false;
    }
    last_keep_alive = now;
  }
  if (lease_ == 0) {
    auto lease = etcd_.grant_lease(options_.proposer_lease_seconds);
    if (!lease) return false;
    lease_ = lease->id;
    last_keep_alive = now;
    leader_revision_ = 0;
  }
  if (leader_revision_ != 0) return true;
  EtcdCompare vacant{keys.leader(), EtcdCompare::Target::kCreateRevision, EtcdCompare::Op::kEqual, 0, ""};
  EtcdOp claim{EtcdOp::Type::kPut, keys.leader(), key_hex_, lease_};
  EtcdOp read{EtcdOp::Type::kGet, keys.leader(), "", 0};
  auto outcome = etcd_.txn({vacant}, {claim, read}, {read});
  if (!outcome) return false;
  const auto& held = outcome->responses.empty() || outcome->responses.back().empty()
                         ? std::vector<EtcdKeyValue>{}
                         : outcome->responses.back();
  if (held.empty() || held.front().value != key_hex_ || held.front().lease != lease_) return false;
  leader_revision_ = held.front().create_revision;
  log_line(key_hex_, fmt::format("proposer from etcd revision {}", leader_revision_));
  return true;
}

void Validator::propose_once() {
  const OrderingKeys keys{options_.key_prefix};
  std::vector<Transaction> chosen;
  std::vector<std::string> chosen_keys, drop;
  std::uint64_t height = 0;
  Hash previous{};
  std::uint64_t previous_time = 0;
  // The block size: this validator's own cap, and never above maxBlockTransactions in force at the
  // head (the validators refuse a larger block).
  std::size_t max_transactions = options_.max_block_transactions;
  {
    MutexLock lock(mu_);
    height = ledger_.height() + 1;
    previous = ledger_.head_hash();
    previous_time = ledger_.head_time_ms();
    if (auto in_force = param_value(ledger_.state(), Param::kMaxTransactionsPerBlock); in_force)
      max_transactions = std::min<std::uint64_t>(max_transactions, *in_force);
  }

  // The queue sorts by sender, then nonce. A transaction is taken when its nonce is its sender's
  // next; an older nonce can never execute (dropped), a later one waits for the gap to fill. The
  // walk starts where the last one stopped and wraps around once, so no sender waits behind others
  // however long the queue, and one round reads a bounded number of pages.
  constexpr std::int64_t kPage = 256;
  constexpr int kMaxPages = 8;
  std::map<crypto::Ed25519PublicKey, std::uint64_t> next_nonce;
  std::size_t bytes = 1024;  // the header and the JSON around the transactions
  const std::string origin = pending_cursor_.empty() ? keys.pending_prefix() : pending_cursor_;
  std::string start = origin;
  bool wrapped = pending_cursor_.empty();
  bool done = false;
  for (int page_number = 0; !done && page_number < kMaxPages && chosen.size() < max_transactions;
       ++page_number) {
    auto page = etcd_.range(keys.pending_prefix(), kPage, start);
    if (!page) return;
    for (const EtcdKeyValue& kv : *page) {
      // After wrapping around, the walk ends where it began: nothing is looked at twice.
      if (chosen.size() >= max_transactions || (wrapped && !pending_cursor_.empty() && kv.key >= origin)) {
        done = true;
        break;
      }
      start = kv.key + std::string(1, '\0');
      auto json = parse_json(kv.value);
      auto tx = json ? parse_transaction(*json) : fail(ErrorKind::kCorrupt, "not JSON");
      if (!tx || tx->chain_id != options_.genesis.chain_id || !transaction_signature_valid(*tx) ||
          kv.key != keys.pending(tx->from, tx->nonce)) {
        drop.push_back(kv.key);
        continue;
      }
      auto [nonce, fresh] = next_nonce.try_emplace(tx->from, 0);
      if (fresh) {
        MutexLock lock(mu_);
        nonce->second = Vm::next_nonce(ledger_.state(), tx->from);
      }
      if (tx->nonce < nonce->second) {
        drop.push_back(kv.key);
        continue;
      }
      const std::size_t size = kv.key.size() + kv.value.size();
      if (tx->nonce != nonce->second || bytes + size > options_.max_block_bytes) continue;
      ++nonce->second;
      bytes += size;
      chosen_keys.push_back(kv.key);
      chosen.push_back(std::move(*tx));
    }
    if (!done && page->size() < static_cast<std::size_t>(kPage)) {
      if (wrapped) break;
      wrapped = true;
      start = keys.pending_prefix();
    }
  }
  pending_cursor_ = start;
  if (!drop.empty()) (void)erase_keys(etcd_, drop);
  if (chosen.empty()) return;

  Block block = make_block(options_.genesis.chain_id, height, previous, std::max(now_ms(), previous_time),
                           std::move(chosen), *key_);
  // Ordered only if the height is still free and this validator still holds the proposer key it
  // won: a proposer whose lease ran out while it was cutting the block cannot order it.
  EtcdCompare free_height{keys.block(height), EtcdCompare::Target::kVersion, EtcdCompare::Op::kEqual, 0, ""};
  EtcdCompare still_leader{keys.leader(), EtcdCompare::Target::kCreateRevision, EtcdCompare::Op::kEqual,
                           leader_revision_, ""};
  EtcdOp put{EtcdOp::Type::kPut, keys.block(height), block_to_json(block).dump(), 0};
  auto outcome = etcd_.txn({free_height, still_leader}, {put});
  if (!outcome) return;
  if (!outcome->succeeded) {
    // Either the follower has not executed the last block yet (the height is taken) or the lease is
    // lost; the next round finds out which.
    auto leader = etcd_.get(keys.leader());
    if (leader && (!*leader || (*leader)->create_revision != leader_revision_)) leader_revision_ = 0;
    return;
  }
  {
    MutexLock lock(mu_);
    ++blocks_proposed_;
  }
  // The included transactions leave the queue; one left behind by a failure here is dropped by
  // the next round (its nonce is used by then).
  (void)erase_keys(etcd_, chosen_keys);
}

}  // namespace lucid::chain
