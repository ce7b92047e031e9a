// A client of etcd 3.4's v3 API over its JSON gateway (plain HTTP, no gRPC): key-value reads and writes,
// transactions, leases and a streaming watch, failing over between the members' client URLs.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"

namespace lucid::chain {

struct EtcdKeyValue {
  std::string key;
  std::string value;
  std::int64_t create_revision = 0;
  std::int64_t mod_revision = 0;
  std::int64_t version = 0;
  std::int64_t lease = 0;
};

struct EtcdEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  EtcdKeyValue kv;  // for a delete: key and mod_revision
};

struct EtcdCompare {  // one compare of a transaction
  enum class Target { kVersion, kCreateRevision, kModRevision, kValue, kLease };
  enum class Op { kEqual, kNotEqual, kGreater, kLess };
  std::string key;
  Target target = Target::kVersion;
  Op op = Op::kEqual;
  std::int64_t number = 0;  // for every target but kValue
  std::string value;        // for kValue
};

struct EtcdOp {  // one request of a transaction branch
  enum class Type { kPut, kDelete, kGet };
  Type type = Type::kPut;
  std::string key;
  std::string value;       // kPut
  std::int64_t lease = 0;  // kPut
};

struct EtcdTxnResult {
  bool succeeded = false;
  std::int64_t revision = 0;                         // the store's revision after it
  std::vector<std::vector<EtcdKeyValue>> responses;  // per op: what a kGet read (empty for puts/deletes)
};

struct EtcdLease {
  std::int64_t id = 0;
  std::int64_t ttl_seconds = 0;
};

// The range end that selects every key starting with `prefix`: the prefix with its last byte below
// 0xff incremented and what follows dropped; "\0" (every key) when there is no such byte.
std::string etcd_prefix_end(std::string_view prefix);

// Errors, on every call:
// - kIo: no endpoint could be reached (the message names each endpoint tried and why), or etcd
//   answered that it cannot serve now (gRPC UNAVAILABLE: "etcdserver: no leader", "request timed
//   out", "leader changed"), or a write's answer did not arrive within the timeout. Transient:
//   retry. A kIo from a write (put, erase, put_if_absent, txn, grant_lease, revoke_lease) means its
//   outcome is unknown: it may have committed.
// - kCorrupt: an answer that does not parse (names the endpoint and the field).
// - kNotFound: etcd's NOT_FOUND ("etcdserver: requested lease not found"), an expired lease in
//   keep_alive, a compacted start revision in watch.
// - kInvalidArgument: any other etcd error answer, with etcd's message.
//
// Requests carry the gateway header "Grpc-Metadata-hasleader: true", so a member cut off from the
// cluster's leader answers at once ("etcdserver: no leader", kIo) instead of after etcd's own 7 s
// request timeout, and a watch on it ends with that error. Reads (and keep_alive) that fail with
// kIo try the next endpoint; writes try the next endpoint only when the request cannot have taken
// effect: the connection could not be made, or the member refused it for want of a leader. The
// watch goes through base's http_stream (a POST whose body is the create request), everything else
// through base's http_post. Every method may be called from several threads at once.
class EtcdClient {
 public:
  // endpoints: client URLs ("http://127.0.0.1:2379"); a request that cannot connect to one tries the next
  // (remember the last that worked). timeout bounds each request.
  explicit EtcdClient(std::vector<std::string> endpoints,
                      std::chrono::milliseconds timeout = std::chrono::seconds(2));

  Result<std::optional<EtcdKeyValue>> get(const std::string& key);
  // Every key starting with `prefix`, in key order; at most `limit` (0: all); from `start_key` (inclusive)
  // when set.
  Result<std::vector<EtcdKeyValue>> range(const std::string& prefix, std::int64_t limit = 0,
                                          const std::string& start_key = "");
  Result<std::int64_t> put(const std::string& key, const std::string& value,
                           std::int64_t lease = 0);    // revision
  Result<std::int64_t> erase(const std::string& key);  // number deleted
  // True when the key did not exist and is now written.
  Result<bool> put_if_absent(const std::string& key, const std::string& value, std::int64_t lease = 0);
  Result<EtcdTxnResult> txn(const std::vector<EtcdCompare>& compares, const std::vector<EtcdOp>& success,
                            const std::vector<EtcdOp>& failure = {});
  Result<EtcdLease> grant_lease(std::int64_t ttl_seconds);
  // One keep-alive of the lease; kNotFound when it has expired or was revoked (ttl <= 0 in the answer).
  Result<std::int64_t> keep_alive(std::int64_t lease);  // remaining ttl
  Status revoke_lease(std::int64_t lease);
  // The current revision of the store (a cheap range with count_only or the header of any answer).
  Result<std::int64_t> revision();
  // Streams changes to keys with `prefix` from `start_revision` (inclusive; 0: from the next change)
  // until `stop()` turns true (checked at least once a second) or on_events returns false — both end
  // with success. Connection loss or an error answer ends with an error; the caller re-watches from
  // the last revision it saw + 1. A start revision that was compacted away fails with a message saying
  // "compacted" and kNotFound. Only http:// endpoints (kInvalidArgument for others).
  Status watch(
      const std::string& prefix, std::int64_t start_revision,
      const std::function<bool(const std::vector<EtcdEvent>&, std::int64_t header_revision)>& on_events,
      const std::function<bool()>& stop);
  // GET /health of each endpoint: how many answer healthy.
  int healthy_endpoints();

  // The endpoint the next request goes to first (the last that worked).
  std::string current_endpoint() const;
  // The highest store revision seen in any answer's header (0 before the first).
  std::int64_t last_revision() const { return last_revision_.load(); }

 private:
  enum class Kind { kRead, kWrite };
  struct Answer {
    std::string where;  // the URL that answered, for errors
    nlohmann::json json;
  };
  // POSTs `body` to `path` ("/v3/kv/range") on the endpoints in turn, from the preferred one: the
  // parsed answer of the first that answers 200. Which failures move on to the next endpoint
  // depends on `kind` (see the class comment).
  Result<Answer> call(const std::string& path, const std::string& body, Kind kind);
  void note_revision(std::int64_t revision);

  std::vector<std::string> endpoints_;
  std::chrono::milliseconds timeout_;
  std::atomic<std::size_t> preferred_{0};
  std::atomic<std::int64_t> last_revision_{0};
};

}  // namespace lucid::chain
