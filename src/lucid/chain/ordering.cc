#include "lucid/chain/ordering.h"

#include <algorithm>

#include <fmt/format.h>

#include "lucid/base/hex.h"

namespace lucid::chain {

namespace {

// Heights are zero-padded so that etcd's key order is height order.
std::string height_text(std::uint64_t height) {
  return fmt::format("{:020}", height);
}

constexpr std::int64_t kPage = 256;

// Every key from `start` below `prefix`, a page at a time, until `on_value` returns false or `past`
// says a key is beyond the range wanted.
Status read_pages(EtcdClient& etcd, const std::string& prefix, std::string start,
                  const std::function<bool(const EtcdKeyValue&)>& on_value) {
  while (true) {
    auto page = etcd.range(prefix, kPage, start);
    if (!page) return std::unexpected(page.error());
    for (const EtcdKeyValue& kv : *page)
      if (!on_value(kv)) return {};
    if (page->size() < static_cast<std::size_t>(kPage)) return {};
    start = page->back().key + std::string(1, '\0');
  }
}

}  // namespace

std::string default_key_prefix(const std::string& chain_id) {
  return fmt::format("/lucid-chain/{}/", chain_id);
}

std::string OrderingKeys::leader() const {
  return prefix + "leader";
}
std::string OrderingKeys::pending_prefix() const {
  return prefix + "queue/";
}
std::string OrderingKeys::pending(const crypto::Ed25519PublicKey& sender, std::uint64_t nonce) const {
  return fmt::format("{}{}/{}", pending_prefix(), to_hex(sender), height_text(nonce));
}
std::string OrderingKeys::followed_prefix() const {
  return prefix + "chain/";
}
std::string OrderingKeys::block_prefix() const {
  return prefix + "chain/block/";
}
std::string OrderingKeys::block(std::uint64_t height) const {
  return block_prefix() + height_text(height);
}
std::string OrderingKeys::vote_prefix() const {
  return prefix + "chain/vote/";
}
std::string OrderingKeys::vote(std::uint64_t height, const std::string& validator) const {
  return fmt::format("{}{}/{}", vote_prefix(), height_text(height), validator);
}
std::string OrderingKeys::incident_prefix() const {
  return prefix + "incident/";
}
std::string OrderingKeys::incident(const std::string& validator, std::uint64_t height,
                                   const std::string& kind) const {
  return fmt::format("{}{}/{}/{}", incident_prefix(), validator, height_text(height), kind);
}

Status read_ordered_blocks(EtcdClient& etcd, const OrderingKeys& keys, std::uint64_t from,
                           const std::function<bool(const std::string& block_json)>& on_block) {
  return read_pages(etcd, keys.block_prefix(), keys.block(from),
                    [&](const EtcdKeyValue& kv) { return on_block(kv.value); });
}

Status erase_keys(EtcdClient& etcd, const std::vector<std::string>& keys_to_delete) {
  constexpr std::size_t kBatch = 100;
  for (std::size_t first = 0; first < keys_to_delete.size(); first += kBatch) {
    std::vector<EtcdOp> deletes;
    for (std::size_t i = first; i < std::min(first + kBatch, keys_to_delete.size()); ++i)
      deletes.push_back(EtcdOp{EtcdOp::Type::kDelete, keys_to_delete[i], "", 0});
    auto done = etcd.txn({}, deletes);
    if (!done) return std::unexpected(done.error());
  }
  return {};
}

Status read_ordered_votes(EtcdClient& etcd, const OrderingKeys& keys, std::uint64_t from, std::uint64_t to,
                          const std::function<bool(const std::string& vote_json)>& on_vote) {
  const std::string end = to == 0 ? std::string() : keys.vote(to + 1, "");
  return read_pages(etcd, keys.vote_prefix(), keys.vote(from, ""), [&](const EtcdKeyValue& kv) {
    if (!end.empty() && kv.key >= end) return false;
    return on_vote(kv.value);
  });
}

}  // namespace lucid::chain
