// blockchain-sessions-data's parts without a chain: the strict parsers of core's AnchorRegistry events
// (logs made by the real VM and written by core's own receipt_to_json), the SQLite store (batches,
// idempotence, resume, pagination, chain identity, all-or-nothing batches, schema versions) and the
// health verdict.
#include <sqlite3.h>

#include <gtest/gtest.h>

#include "chain_client.h"
#include "lucid/base/hex.h"
#include "lucid/chain/anchor_registry.h"
#include "lucid/chain/core_api.h"
#include "lucid/chain/vm.h"
#include "lucid/chain_index/anchor_event.h"
#include "lucid/chain_index/session_store.h"
#include "lucid/chain_index/sessions_api.h"
#include "testing/testing.h"

namespace lucid::chain_index {
namespace {

using nlohmann::json;
using Values = std::vector<chain::AbiValue>;

// Executes AnchorRegistry calls in a real VM and writes their logs as core's GET /v1/events does.
class CoreEvents {
 public:
  json anchor(std::uint8_t session, std::uint64_t height, std::uint8_t owner = 0xee,
              std::uint64_t chunks = 3) {
    return call(
        "anchor",
        {chain::AbiValue::bytes(chain::Bytes(16, session)), chain::AbiValue::bytes(chain::Bytes(32, 0x4d)),
         chain::AbiValue::bytes(chain::Bytes(32, session)), chain::AbiValue::uint(chunks),
         chain::AbiValue::uint(1796000000), chain::AbiValue::bytes(chain::Bytes(32, owner))},
        height);
  }
  json chunks(std::uint8_t session, std::uint64_t first, std::size_t leaves, std::uint64_t height) {
    Values hashes;
    for (std::size_t i = 0; i < leaves; ++i) hashes.push_back(chain::AbiValue::bytes(chain::Bytes(32, 0x11)));
    return call("anchorChunks",
                {chain::AbiValue::bytes(chain::Bytes(16, session)), chain::AbiValue::uint(first),
                 chain::AbiValue::list(std::move(hashes))},
                height);
  }

 private:
  json call(const std::string& function, const Values& arguments, std::uint64_t height) {
    const chain::AbiFunction* target = chain::embedded_abi("AnchorRegistry").function(function);
    chain::Transaction tx{"lucid-test",
                          {},
                          chain::Vm::next_nonce(state_, sender_.public_key()),
                          "AnchorRegistry",
                          chain::encode_call(*target, arguments).value(),
                          {}};
    chain::sign_transaction(tx, sender_);
    const chain::Receipt receipt = vm_.apply(state_, tx, height, 1000 * height);
    EXPECT_TRUE(receipt.success) << receipt.error;
    json log = chain::CoreApi::receipt_to_json(vm_, receipt)["logs"].at(0);
    log["height"] = height;
    log["transaction"] = to_hex(receipt.transaction);
    log["final"] = true;
    return log;
  }

  chain::State state_;
  chain::Vm vm_;
  crypto::Ed25519KeyPair sender_ = chain::test_client::fixed_key(0xa1);
};

SessionId session_id(std::uint8_t fill) {
  SessionId id{};
  id.fill(fill);
  return id;
}

// ---- parsers ----

TEST(AnchorEventTest, ReadsAnAnchoredEventAsCoreWritesIt) {
  CoreEvents core;
  const json event = core.anchor(7, 12, 0xab, 5);
  auto parsed = parse_anchor_event(event, 0);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  const auto& anchor = std::get<SessionAnchor>(*parsed);
  EXPECT_EQ(anchor.session_id, session_id(7));
  Hash32 owner{};
  owner.fill(0xab);
  EXPECT_EQ(anchor.owner, owner);
  EXPECT_EQ(to_hex(anchor.manifest_hash), to_hex(chain::Bytes(32, 0x4d)));
  EXPECT_EQ(to_hex(anchor.merkle_root), to_hex(chain::Bytes(32, 7)));
  EXPECT_EQ(anchor.chunk_count, 5u);
  EXPECT_EQ(anchor.started_at, 1796000000u);
  EXPECT_EQ(anchor.height, 12u);
  EXPECT_EQ(to_hex(anchor.transaction), event["transaction"]);
}

TEST(AnchorEventTest, ReadsAChunksAnchoredEventAsItsLeafCount) {
  CoreEvents core;
  (void)core.anchor(7, 1);
  auto parsed = parse_anchor_event(core.chunks(7, 1, 2, 3), 0);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  const auto& chunks = std::get<ChunkAnchor>(*parsed);
  EXPECT_EQ(chunks.session_id, session_id(7));
  EXPECT_EQ(chunks.first_index, 1u);
  EXPECT_EQ(chunks.leaves, 2u);
  EXPECT_EQ(chunks.height, 3u);
}

// Each way an event can be malformed: refused, with the height (or position) and the member named.
TEST(AnchorEventTest, RefusesEachMalformedMemberNamingTheHeight) {
  CoreEvents core;
  const json good = core.anchor(7, 12);
  struct Case {
    std::string what;
    std::function<void(json&)> spoil;
    std::string expected;  // in the message
  };
  const std::vector<Case> cases{
      {"no contract", [](json& e) { e.erase("contract"); }, "contract: missing"},
      {"another contract", [](json& e) { e["contract"] = "Governance"; }, "contract"},
      {"no event name", [](json& e) { e.erase("event"); }, "event: missing"},
      {"an event not indexed", [](json& e) { e["event"] = "Transfer"; }, "event"},
      {"topics not an array", [](json& e) { e["topics"] = "x"; }, "topics"},
      {"a topic not hex", [](json& e) { e["topics"][1] = std::string(64, 'z'); }, "topics[1]"},
      {"a topic missing", [](json& e) { e["topics"].erase(2); }, "topics"},
      {"another event's topic",
       [](json& e) {
         e["topics"][0] = to_hex(chain::embedded_abi("AnchorRegistry").event("ChunksAnchored")->topic());
       },
       "topic"},
      {"data not hex", [](json& e) { e["data"] = "0xzz"; }, "data"},
      {"data with a trailing word",
       [](json& e) { e["data"] = e["data"].get<std::string>() + std::string(64, '0'); }, "data"},
      {"data cut short", [](json& e) { e["data"] = e["data"].get<std::string>().substr(0, 64); }, "data"},
      {"arguments that differ from the log", [](json& e) { e["arguments"]["chunkCount"] = "4"; },
       "arguments"},
      {"no arguments", [](json& e) { e.erase("arguments"); }, "arguments: missing"},
      {"a transaction hash too short", [](json& e) { e["transaction"] = "abcd"; }, "transaction"},
      {"not final", [](json& e) { e["final"] = false; }, "final"},
      {"final not a boolean", [](json& e) { e["final"] = 1; }, "final"},
      {"an unknown member", [](json& e) { e["extra"] = 1; }, "extra: unknown field"},
  };
  for (const Case& c : cases) {
    json event = good;
    c.spoil(event);
    auto parsed = parse_anchor_event(event, 3);
    ASSERT_FALSE(parsed.has_value()) << c.what;
    EXPECT_NE(parsed.error().message.find("height 12"), std::string::npos)
        << c.what << ": " << parsed.error().message;
    EXPECT_NE(parsed.error().message.find(c.expected), std::string::npos)
        << c.what << ": " << parsed.error().message;
  }
  // An unreadable height: the event's position is named instead.
  for (const json& height : {json(nullptr), json("12"), json(-1), json(0)}) {
    json event = good;
    event["height"] = height;
    auto parsed = parse_anchor_event(event, 3);
    ASSERT_FALSE(parsed.has_value()) << height.dump();
    EXPECT_NE(parsed.error().message.find("events[3].height"), std::string::npos) << parsed.error().message;
  }
  EXPECT_FALSE(parse_anchor_event(json::array(), 0).has_value());
}

TEST(AnchorEventTest, ReadsAPageStrictly) {
  CoreEvents core;
  const json first = core.anchor(1, 5), second = core.anchor(2, 6);
  // As core sends it: parsed from text, so its integers are unsigned.
  json page =
      json::parse(json{{"from", 5}, {"to", 9}, {"events", {first, second}}, {"truncated", false}}.dump());
  auto parsed = parse_events_page(page, 5, 9);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(parsed->events.size(), 2u);
  EXPECT_FALSE(parsed->truncated);

  EXPECT_FALSE(parse_events_page(page, 5, 10).has_value()) << "another range than asked";
  json reversed = page;
  reversed["events"] = {second, first};
  auto out_of_order = parse_events_page(reversed, 5, 9);
  ASSERT_FALSE(out_of_order.has_value());
  EXPECT_NE(out_of_order.error().message.find("height 5"), std::string::npos) << out_of_order.error().message;
  EXPECT_FALSE(parse_events_page(page, 6, 9).has_value()) << "an event below the range";
  json empty_truncated = page;
  empty_truncated["events"] = json::array();
  empty_truncated["truncated"] = true;
  EXPECT_FALSE(parse_events_page(empty_truncated, 5, 9).has_value());
  json unknown = page;
  unknown["more"] = true;
  EXPECT_FALSE(parse_events_page(unknown, 5, 9).has_value());
  json bad_event = page;
  bad_event["events"][1]["final"] = false;
  auto refused = parse_events_page(bad_event, 5, 9);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("height 6"), std::string::npos) << refused.error().message;
}

// ---- the store ----

class SessionStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<SessionStore> open() {
    auto store = SessionStore::open(dir_ / "state" / "sessions-data.db");
    EXPECT_TRUE(store.has_value()) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }
  static SessionAnchor anchored(const json& event) {
    return std::get<SessionAnchor>(parse_anchor_event(event, 0).value());
  }
  static AnchorEvent event(const json& e) { return parse_anchor_event(e, 0).value(); }
  static std::vector<std::string> ids(const SessionPage& page) {
    std::vector<std::string> out;
    for (const StoredSession& s : page.sessions) out.push_back(to_hex(s.anchor.session_id).substr(0, 2));
    return out;
  }

  testing::ScratchDir dir_;
  CoreEvents core_;
};

TEST_F(SessionStoreTest, StoresABatchAndResumesFromItsHeightAfterAReopen) {
  {
    auto store = open();
    ASSERT_TRUE(store);
    const StoreTotals empty = store->totals().value();
    EXPECT_EQ(empty.indexed_height, 0u);
    IndexBatch batch{
        1, 10, {event(core_.anchor(1, 2)), event(core_.anchor(2, 4)), event(core_.chunks(1, 0, 2, 7))}};
    ASSERT_TRUE(store->apply(batch).has_value());
    const StoreTotals totals = store->totals().value();
    EXPECT_EQ(totals.indexed_height, 10u);
    EXPECT_EQ(totals.sessions, 2u);
    EXPECT_EQ(totals.chunk_anchors, 2u);
    auto one = store->session(session_id(1)).value();
    ASSERT_TRUE(one.has_value());
    EXPECT_EQ(to_hex(one->anchor.merkle_root), to_hex(chain::Bytes(32, 1)));
    EXPECT_EQ(one->anchor.height, 2u);
    EXPECT_EQ(one->chunk_anchors, 2u);
    EXPECT_FALSE(store->session(session_id(3)).value().has_value());
  }
  auto reopened = open();
  ASSERT_TRUE(reopened);
  const StoreTotals after = reopened->totals().value();
  EXPECT_EQ(after.indexed_height, 10u) << "a restart resumes from the stored height";
  EXPECT_EQ(after.sessions, 2u);
  EXPECT_EQ(after.chunk_anchors, 2u);
  // The next batch starts right after it; one that would skip heights is refused.
  EXPECT_FALSE(reopened->apply(IndexBatch{12, 15, {}}).has_value());
  EXPECT_EQ(reopened->totals().value().indexed_height, 10u);
  ASSERT_TRUE(reopened->apply(IndexBatch{11, 15, {event(core_.anchor(3, 11))}}).has_value());
  EXPECT_EQ(reopened->totals().value().indexed_height, 15u);
  EXPECT_EQ(reopened->totals().value().sessions, 3u);
}

TEST_F(SessionStoreTest, ReReadingHeightsChangesNothing) {
  auto store = open();
  ASSERT_TRUE(store);
  const AnchorEvent a1 = event(core_.anchor(1, 2)), a2 = event(core_.anchor(2, 5)),
                    c1 = event(core_.chunks(1, 0, 3, 5));
  ASSERT_TRUE(store->apply(IndexBatch{1, 5, {a1, a2, c1}}).has_value());
  // The same batch again (a retry after a lost answer), and one overlapping it (a re-read after a
  // truncated answer): nothing counted twice.
  ASSERT_TRUE(store->apply(IndexBatch{1, 5, {a1, a2, c1}}).has_value());
  const AnchorEvent a3 = event(core_.anchor(3, 6));
  ASSERT_TRUE(store->apply(IndexBatch{5, 6, {a2, c1, a3}}).has_value());
  const StoreTotals totals = store->totals().value();
  EXPECT_EQ(totals.indexed_height, 6u);
  EXPECT_EQ(totals.sessions, 3u);
  EXPECT_EQ(totals.chunk_anchors, 3u);
  EXPECT_EQ(store->session(session_id(1)).value()->chunk_anchors, 3u);
  EXPECT_EQ(store->sessions(SessionQuery{}).value().sessions.size(), 3u);
}

TEST_F(SessionStoreTest, AFailingBatchLeavesNothingOfIt) {
  auto store = open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->apply(IndexBatch{1, 3, {event(core_.anchor(1, 2))}}).has_value());
  // Session 2 is anchored, then session 1 "again" with other fields: the chain cannot say that, so
  // the batch fails at its second insert, and its first one is rolled back with it.
  const AnchorEvent second = event(core_.anchor(2, 4));
  SessionAnchor contradiction = anchored(core_.anchor(9, 5));
  contradiction.session_id = session_id(1);
  auto refused = store->apply(IndexBatch{4, 8, {second, contradiction}});
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find(to_hex(session_id(1))), std::string::npos)
      << refused.error().message;
  StoreTotals totals = store->totals().value();
  EXPECT_EQ(totals.indexed_height, 3u);
  EXPECT_EQ(totals.sessions, 1u);
  EXPECT_FALSE(store->session(session_id(2)).value().has_value())
      << "the batch's first insert was rolled back";
  // Chunk anchors of a session never anchored: the same.
  auto orphan = store->apply(IndexBatch{4, 8, {second, event(core_.chunks(9, 0, 1, 6))}});
  ASSERT_FALSE(orphan.has_value());
  EXPECT_NE(orphan.error().message.find("height 6"), std::string::npos) << orphan.error().message;
  totals = store->totals().value();
  EXPECT_EQ(totals.indexed_height, 3u);
  EXPECT_EQ(totals.sessions, 1u);
  EXPECT_EQ(totals.chunk_anchors, 0u);
  // The same heights, read whole, then store.
  ASSERT_TRUE(store->apply(IndexBatch{4, 8, {second}}).has_value());
  EXPECT_EQ(store->totals().value().sessions, 2u);
}

TEST_F(SessionStoreTest, PagesByHeightThenIdWithAStableCursorAndFilters) {
  auto store = open();
  ASSERT_TRUE(store);
  // Sessions 0x30..0x36 over heights 2, 2, 3, 5, 5, 5, 8; owners alternate.
  std::vector<AnchorEvent> events;
  const std::vector<std::pair<std::uint8_t, std::uint64_t>> layout{{0x31, 2}, {0x30, 2}, {0x32, 3}, {0x35, 5},
                                                                   {0x33, 5}, {0x34, 5}, {0x36, 8}};
  for (const auto& [session, height] : layout)
    events.push_back(event(core_.anchor(session, height, session % 2 == 0 ? 0xaa : 0xbb)));
  std::ranges::stable_sort(events, {}, event_height);
  ASSERT_TRUE(store->apply(IndexBatch{1, 8, events}).has_value());

  SessionQuery query;
  query.limit = 3;
  auto page = store->sessions(query).value();
  EXPECT_EQ(ids(page), (std::vector<std::string>{"30", "31", "32"}));
  ASSERT_TRUE(page.next.has_value());
  const std::string cursor = cursor_to_text(*page.next);
  // Sessions anchored later do not move a cursor already handed out.
  ASSERT_TRUE(store->apply(IndexBatch{9, 9, {event(core_.anchor(0x20, 9))}}).has_value());
  query.after = cursor_from_text(cursor);
  ASSERT_TRUE(query.after.has_value());
  page = store->sessions(query).value();
  EXPECT_EQ(ids(page), (std::vector<std::string>{"33", "34", "35"}));
  query.after = page.next;
  page = store->sessions(query).value();
  EXPECT_EQ(ids(page), (std::vector<std::string>{"36", "20"}));
  EXPECT_FALSE(page.next.has_value()) << "the last page";

  SessionQuery owner;
  owner.owner = Hash32{};
  owner.owner->fill(0xaa);
  EXPECT_EQ(ids(store->sessions(owner).value()), (std::vector<std::string>{"30", "32", "34", "36"}));
  SessionQuery range;
  range.from_height = 3;
  range.to_height = 5;
  EXPECT_EQ(ids(store->sessions(range).value()), (std::vector<std::string>{"32", "33", "34", "35"}));
  range.owner = owner.owner;
  range.limit = 1;
  page = store->sessions(range).value();
  EXPECT_EQ(ids(page), (std::vector<std::string>{"32"}));
  range.after = page.next;
  page = store->sessions(range).value();
  EXPECT_EQ(ids(page), (std::vector<std::string>{"34"}));
  EXPECT_FALSE(page.next.has_value());

  for (const char* bad :
       {"", "xyz", "0000000000000005", "000000000000000533333333333333333333333333333333ff"})
    EXPECT_FALSE(cursor_from_text(bad).has_value()) << bad;
  SessionQuery empty_page;
  empty_page.limit = 0;
  EXPECT_FALSE(store->sessions(empty_page).has_value());
}

TEST_F(SessionStoreTest, RefusesAnotherChainThanTheOneRecorded) {
  const std::string genesis(64, 'a'), other_genesis(64, 'b');
  {
    auto store = open();
    ASSERT_TRUE(store);
    EXPECT_EQ(store->identity().value().chain_id, "");
    ASSERT_TRUE(store->bind_chain("lucid-test", "").has_value());
    ASSERT_TRUE(store->bind_chain("lucid-test", genesis).has_value()) << "the genesis is recorded once known";
    ASSERT_TRUE(store->bind_chain("lucid-test", genesis).has_value());
  }
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->identity().value().chain_id, "lucid-test");
  EXPECT_EQ(store->identity().value().genesis_hash, genesis);
  auto other_chain = store->bind_chain("lucid-other", "");
  ASSERT_FALSE(other_chain.has_value());
  EXPECT_NE(other_chain.error().message.find("lucid-other"), std::string::npos)
      << other_chain.error().message;
  EXPECT_NE(other_chain.error().message.find("SESSIONS_DATA_DB"), std::string::npos)
      << other_chain.error().message;
  EXPECT_FALSE(store->bind_chain("lucid-test", other_genesis).has_value()) << "same id, another genesis";
  EXPECT_EQ(store->identity().value().chain_id, "lucid-test") << "nothing changed";
  EXPECT_EQ(store->identity().value().genesis_hash, genesis);
}

TEST_F(SessionStoreTest, RefusesAStoreWrittenByANewerIndexer) {
  ASSERT_TRUE(open());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "state" / "sessions-data.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = SessionStore::open(dir_ / "state" / "sessions-data.db");
  ASSERT_FALSE(store.has_value());
  EXPECT_NE(store.error().message.find("newer"), std::string::npos) << store.error().message;
}

// ---- health ----

TEST(CatchUpTest, JudgesPollAgeAndLag) {
  const auto now = std::chrono::steady_clock::now();
  const HealthLimits limits{std::chrono::seconds(30), 10};
  IndexerStatus status;
  status.last_error = "blockchain-core http://x: connection refused";
  CatchUp verdict = judge_catch_up(status, limits, now);
  EXPECT_FALSE(verdict.caught_up);
  EXPECT_NE(verdict.reason.find("connection refused"), std::string::npos) << verdict.reason;

  status.last_error.clear();
  status.last_success = now - std::chrono::seconds(5);
  status.chain_final_height = 110;
  status.indexed_height = 100;
  verdict = judge_catch_up(status, limits, now);
  EXPECT_TRUE(verdict.caught_up) << verdict.reason;
  EXPECT_NE(verdict.reason.find("caught up within 10 blocks"), std::string::npos) << verdict.reason;

  status.indexed_height = 99;
  verdict = judge_catch_up(status, limits, now);
  EXPECT_FALSE(verdict.caught_up);
  EXPECT_NE(verdict.reason.find("11 blocks behind"), std::string::npos) << verdict.reason;

  status.indexed_height = 110;
  status.last_success = now - std::chrono::seconds(31);
  status.last_error = "timeout";
  verdict = judge_catch_up(status, limits, now);
  EXPECT_FALSE(verdict.caught_up);
  EXPECT_NE(verdict.reason.find("31 s ago"), std::string::npos) << verdict.reason;
  EXPECT_NE(verdict.reason.find("timeout"), std::string::npos) << verdict.reason;

  const json body = status_to_json(status, limits, now);
  EXPECT_EQ(body["lag_blocks"], 0);
  EXPECT_EQ(body["caught_up"], false);
  EXPECT_EQ(body["last_poll_ms_ago"], 31000);
  for (const char* key : {"indexed_height", "chain_final_height", "lag_blocks", "sessions", "chunk_anchors",
                          "last_poll_ms_ago", "last_error", "core"})
    EXPECT_TRUE(body.contains(key)) << key;
}

}  // namespace
}  // namespace lucid::chain_index
