// The AnchorRegistry events blockchain-sessions-data indexes, read strictly from blockchain-core's
// `GET /v1/events` answer (docs/formats.md "the API of lucid-blockchain-core"): every member present
// with its type, the log's topics and data decoded against the embedded ABI and equal to the
// arguments core reports. A malformed event is an error naming its height.
#pragma once

#include <array>
#include <cstdint>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/chain/transaction.h"

namespace lucid::chain_index {

using SessionId = std::array<std::uint8_t, 16>;
using Hash32 = std::array<std::uint8_t, 32>;

// An `Anchored` event: a session's anchor as the chain recorded it.
struct SessionAnchor {
  SessionId session_id{};
  Hash32 owner{};  // the sealing node's Ed25519 public key
  Hash32 manifest_hash{};
  Hash32 merkle_root{};
  std::uint32_t chunk_count = 0;
  std::uint64_t started_at = 0;  // Unix seconds
  std::uint64_t height = 0;
  chain::Hash transaction{};

  bool operator==(const SessionAnchor&) const = default;
};

// A `ChunksAnchored` event: `leaves` leaf hashes of the session anchored from index `first_index`.
struct ChunkAnchor {
  SessionId session_id{};
  std::uint32_t first_index = 0;
  std::uint32_t leaves = 0;
  std::uint64_t height = 0;
  chain::Hash transaction{};

  bool operator==(const ChunkAnchor&) const = default;
};

using AnchorEvent = std::variant<SessionAnchor, ChunkAnchor>;

std::uint64_t event_height(const AnchorEvent& event);

// One event of the answer's "events" list. kCorrupt naming the height (or the event's position when
// its height itself is unreadable) and the member.
Result<AnchorEvent> parse_anchor_event(const nlohmann::json& event, std::size_t position);

// One answer of `GET /v1/events?contract=AnchorRegistry&from=&to=`.
struct EventsPage {
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  std::vector<AnchorEvent> events;  // in chain order
  bool truncated = false;           // core stopped at its 1,000-event bound: more follow
};

// Parses the whole answer: exactly {"from", "to", "events", "truncated"}, the range the one asked
// for, every event strict, within the range and in height order.
Result<EventsPage> parse_events_page(const nlohmann::json& answer, std::uint64_t from, std::uint64_t to);

}  // namespace lucid::chain_index
