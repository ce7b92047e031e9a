#include "lucid/chain/etcd_client.h"

#include <algorithm>
#include <span>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lucid/base/base64.h"
#include "lucid/base/http_client.h"
#include "lucid/base/json_fields.h"
#include "lucid/base/number.h"
#include "lucid/base/text.h"

namespace lucid::chain {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxAnswerBytes = 64u << 20;  // one unary answer (a large range)
constexpr std::size_t kMaxStreamBytes = 16u << 20;  // one watch message not yet complete
constexpr std::size_t kMaxErrorBody = 64u << 10;    // the body of a failed watch request

// gRPC status codes etcd answers with (google.golang.org/grpc/codes).
constexpr int kGrpcUnknown = 2;
constexpr int kGrpcDeadlineExceeded = 4;
constexpr int kGrpcNotFound = 5;
constexpr int kGrpcUnavailable = 14;

// Makes a member without a leader refuse at once instead of after etcd's request timeout; the gateway
// turns Grpc-Metadata-* headers into gRPC metadata (etcd's rpctypes.MetadataRequireLeaderKey).
constexpr const char* kRequireLeaderHeader = "Grpc-Metadata-hasleader";

std::string b64(std::string_view bytes) {
  return base64_encode(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

std::string field_name(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

Error corrupt(const std::string& where, const std::string& field, std::string_view what) {
  return Error(ErrorKind::kCorrupt, fmt::format("{}: answer field '{}': {}", where, field, what));
}

// The int64 member `key` of `obj` (proto3 JSON: a decimal string, or a number); 0 when absent.
Result<std::int64_t> read_int(const json& obj, std::string_view key, const std::string& where,
                              const std::string& path) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::int64_t{0};
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (!it->is_string())
    return std::unexpected(corrupt(where, field_name(path, key), "not an integer string"));
  auto n = parse_number<std::int64_t>(it->get_ref<const std::string&>(), "integer");
  if (!n) return std::unexpected(corrupt(where, field_name(path, key), n.error().message));
  return *n;
}

Result<bool> read_bool(const json& obj, std::string_view key, const std::string& where,
                       const std::string& path) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return false;
  if (!it->is_boolean()) return std::unexpected(corrupt(where, field_name(path, key), "not a boolean"));
  return it->get<bool>();
}

// The bytes member `key` (base64 text); "" when absent.
Result<std::string> read_bytes(const json& obj, std::string_view key, const std::string& where,
                               const std::string& path) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) return std::unexpected(corrupt(where, field_name(path, key), "not a base64 string"));
  auto bytes = base64_decode(it->get_ref<const std::string&>());
  if (!bytes) return std::unexpected(corrupt(where, field_name(path, key), bytes.error().message));
  return std::string(bytes->begin(), bytes->end());
}

Result<const json*> read_object(const json& obj, std::string_view key, const std::string& where,
                                const std::string& path) {
  static const json kEmpty = json::object();
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return &kEmpty;
  if (!it->is_object()) return std::unexpected(corrupt(where, field_name(path, key), "not an object"));
  return &*it;
}

Result<EtcdKeyValue> read_kv(const json& obj, const std::string& where, const std::string& path) {
  if (!obj.is_object()) return std::unexpected(corrupt(where, path, "not an object"));
  EtcdKeyValue kv;
  LUCID_TRY_ASSIGN(kv.key, read_bytes(obj, "key", where, path));
  LUCID_TRY_ASSIGN(kv.value, read_bytes(obj, "value", where, path));
  LUCID_TRY_ASSIGN(kv.create_revision, read_int(obj, "create_revision", where, path));
  LUCID_TRY_ASSIGN(kv.mod_revision, read_int(obj, "mod_revision", where, path));
  LUCID_TRY_ASSIGN(kv.version, read_int(obj, "version", where, path));
  LUCID_TRY_ASSIGN(kv.lease, read_int(obj, "lease", where, path));
  return kv;
}

Result<std::vector<EtcdKeyValue>> read_kvs(const json& obj, const std::string& where,
                                           const std::string& path) {
  std::vector<EtcdKeyValue> out;
  auto it = obj.find("kvs");
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_array()) return std::unexpected(corrupt(where, field_name(path, "kvs"), "not an array"));
  for (std::size_t i = 0; i < it->size(); ++i) {
    auto kv = read_kv((*it)[i], where, fmt::format("{}[{}]", field_name(path, "kvs"), i));
    if (!kv) return std::unexpected(kv.error());
    out.push_back(std::move(*kv));
  }
  return out;
}

Result<std::int64_t> header_revision(const json& obj, const std::string& where,
                                     const std::string& path = "") {
  auto header = read_object(obj, "header", where, path);
  if (!header) return std::unexpected(header.error());
  return read_int(**header, "revision", where, field_name(path, "header"));
}

// An error answer of the gateway: {"error": "...", "message": "...", "code": N} for unary calls,
// {"error": {"grpc_code": N, "message": "...", ...}} inside a stream. Kinds per the header's table.
Error etcd_error(const std::string& where, long http_status, const json* answer, std::string_view raw) {
  int code = -1;
  std::string message;
  if (answer != nullptr && answer->is_object()) {
    const json* e = answer;
    if (auto it = answer->find("error"); it != answer->end() && it->is_object()) e = &*it;
    for (const char* key : {"code", "grpc_code"})
      if (auto it = e->find(key); it != e->end() && it->is_number_integer()) code = it->get<int>();
    for (const char* key : {"message", "error"})
      if (auto it = e->find(key); message.empty() && it != e->end() && it->is_string())
        message = it->get<std::string>();
  }
  if (message.empty()) message = std::string(trim(raw.substr(0, 200)));
  ErrorKind kind = ErrorKind::kInvalidArgument;
  if (code == kGrpcUnavailable || code == kGrpcDeadlineExceeded ||
      (code == kGrpcUnknown && message == "context deadline exceeded"))
    kind = ErrorKind::kIo;
  else if (code == kGrpcNotFound)
    kind = ErrorKind::kNotFound;
  std::vector<std::string> how;
  if (http_status != 0) how.push_back(fmt::format("HTTP {}", http_status));
  if (code >= 0) how.push_back(fmt::format("code {}", code));
  if (how.empty()) return Error(kind, fmt::format("{}: etcd answered: {}", where, message));
  return Error(kind, fmt::format("{}: etcd answered ({}): {}", where, fmt::join(how, ", "), message));
}

// The refusal etcd gives before it does anything with a request: safe to send elsewhere.
bool refused_before_processing(const Error& e) {
  return e.message.ends_with("etcdserver: no leader");
}

// libcurl's words (curl_easy_strerror) for a request that never reached a server.
bool connect_failure(const Error& e) {
  return e.message.ends_with("Couldn't connect to server") ||
         e.message.ends_with("Couldn't resolve host name");
}

HttpOptions request_options(std::chrono::milliseconds timeout) {
  HttpOptions o;
  o.timeout = timeout;
  o.max_body_bytes = kMaxAnswerBytes;
  o.headers[kRequireLeaderHeader] = "true";
  return o;
}

const char* compare_target(EtcdCompare::Target t) {
  switch (t) {
    case EtcdCompare::Target::kVersion:
      return "VERSION";
    case EtcdCompare::Target::kCreateRevision:
      return "CREATE";
    case EtcdCompare::Target::kModRevision:
      return "MOD";
    case EtcdCompare::Target::kValue:
      return "VALUE";
    case EtcdCompare::Target::kLease:
      return "LEASE";
  }
  return "VERSION";
}

const char* compare_field(EtcdCompare::Target t) {
  switch (t) {
    case EtcdCompare::Target::kVersion:
      return "version";
    case EtcdCompare::Target::kCreateRevision:
      return "create_revision";
    case EtcdCompare::Target::kModRevision:
      return "mod_revision";
    case EtcdCompare::Target::kValue:
      return "value";
    case EtcdCompare::Target::kLease:
      return "lease";
  }
  return "version";
}

const char* compare_result(EtcdCompare::Op op) {
  switch (op) {
    case EtcdCompare::Op::kEqual:
      return "EQUAL";
    case EtcdCompare::Op::kNotEqual:
      return "NOT_EQUAL";
    case EtcdCompare::Op::kGreater:
      return "GREATER";
    case EtcdCompare::Op::kLess:
      return "LESS";
  }
  return "EQUAL";
}

json op_json(const EtcdOp& op) {
  switch (op.type) {
    case EtcdOp::Type::kPut: {
      json put = {{"key", b64(op.key)}, {"value", b64(op.value)}};
      if (op.lease != 0) put["lease"] = std::to_string(op.lease);
      return {{"request_put", put}};
    }
    case EtcdOp::Type::kDelete:
      return {{"request_delete_range", {{"key", b64(op.key)}}}};
    case EtcdOp::Type::kGet:
      return {{"request_range", {{"key", b64(op.key)}}}};
  }
  return json::object();
}

// --- The watch stream: one POST (the create request) through base's http_stream, whose answer is a
// stream of JSON messages read as they arrive.

// Cuts a byte stream into top-level JSON objects, however they are split across reads or packed
// into one (the gateway writes one object and a newline per message).
class JsonObjectSplitter {
 public:
  void append(std::string_view bytes) { buf_.append(bytes); }
  std::size_t buffered() const { return buf_.size(); }

  // The next complete object, nullopt when none is complete yet; kCorrupt on bytes outside an object.
  Result<std::optional<std::string>> next() {
    for (; scan_ < buf_.size(); ++scan_) {
      char c = buf_[scan_];
      if (depth_ == 0) {
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        if (c != '{')
          return fail(ErrorKind::kCorrupt,
                      fmt::format("byte 0x{:02x} between messages", static_cast<unsigned char>(c)));
        start_ = scan_;
        depth_ = 1;
        continue;
      }
      if (in_string_) {
        if (escape_)
          escape_ = false;
        else if (c == '\\')
          escape_ = true;
        else if (c == '"')
          in_string_ = false;
        continue;
      }
      if (c == '"') {
        in_string_ = true;
      } else if (c == '{' || c == '[') {
        ++depth_;
      } else if ((c == '}' || c == ']') && --depth_ == 0) {
        std::string object = buf_.substr(start_, scan_ + 1 - start_);
        buf_.erase(0, scan_ + 1);
        scan_ = 0;
        start_ = 0;
        return std::optional<std::string>(std::move(object));
      }
    }
    return std::optional<std::string>();
  }

 private:
  std::string buf_;
  std::size_t scan_ = 0, start_ = 0;
  int depth_ = 0;
  bool in_string_ = false, escape_ = false;
};

// One endpoint's watch stream: the created confirmation within the timeout, then event batches until
// stopped. An error with `created` still false and kind kIo lets the caller try the next endpoint.
struct WatchStream {
  std::string where;
  std::int64_t start_revision;
  std::chrono::milliseconds timeout;
  const std::function<bool(const std::vector<EtcdEvent>&, std::int64_t)>& on_events;
  const std::function<bool()>& stop;
  std::function<void(std::int64_t)> note_revision;
  std::function<void()> on_created;
  bool created = false;

  // Sends `body` and follows the answer until stopped (success) or the stream fails.
  Status follow(const std::string& body, const HttpOptions& options) {
    JsonObjectSplitter messages;
    std::string first_bytes;      // the answer's start: etcd's error when the status is not 200
    std::optional<Error> failed;  // why on_data ended the transfer
    bool ended = false;           // stop() turned true or on_events asked to end
    bool late = false;            // no created confirmation within the timeout
    const auto created_by = Clock::now() + timeout;
    // The status is known only once the transfer ends, so a non-200 answer's body is read as messages
    // too (it is one JSON object, or text that fails the framing and ends the transfer); its first
    // bytes are kept for the error.
    auto on_data = [&](std::string_view bytes) {
      if (first_bytes.size() < kMaxErrorBody)
        first_bytes.append(bytes.substr(0, kMaxErrorBody - first_bytes.size()));
      messages.append(bytes);
      auto more = drain(messages);
      if (!more) {
        failed = std::move(more.error());
        return false;
      }
      ended = !*more;
      return *more;
    };
    auto stopping = [&] {
      if (stop())
        ended = true;
      else if (!created && Clock::now() > created_by)
        late = true;
      return ended || late;
    };
    auto status = http_stream("POST", where, on_data, stopping, options, &body);
    if (!status) return std::unexpected(status.error());
    if (late)
      return fail(ErrorKind::kIo,
                  fmt::format("{}: no watch confirmation within {} ms", where, timeout.count()));
    if (*status != 200 && *status != 0) {
      json answer = json::parse(first_bytes, nullptr, false);
      return std::unexpected(
          etcd_error(where, *status, answer.is_discarded() ? nullptr : &answer, first_bytes));
    }
    if (failed) return std::unexpected(std::move(*failed));
    if (ended) return {};
    return fail(ErrorKind::kIo, fmt::format("{}: the endpoint ended the watch stream", where));
  }

  // Handles every complete message buffered: false when on_events asked to end the watch; kCorrupt
  // when what is left of an incomplete message exceeds the bound.
  Result<bool> drain(JsonObjectSplitter& messages) {
    for (;;) {
      auto next = messages.next();
      if (!next) return fail(ErrorKind::kCorrupt, fmt::format("{}: {}", where, next.error().message));
      if (!*next) break;
      auto more = handle(**next);
      if (!more || !*more) return more;
    }
    if (messages.buffered() > kMaxStreamBytes)
      return fail(ErrorKind::kCorrupt,
                  fmt::format("{}: a watch message longer than {} bytes", where, kMaxStreamBytes));
    return true;
  }

  // One message of the stream: false when on_events asked to end the watch.
  Result<bool> handle(const std::string& text) {
    json message = json::parse(text, nullptr, false);
    if (message.is_discarded() || !message.is_object())
      return fail(ErrorKind::kCorrupt, fmt::format("{}: a watch message is not a JSON object", where));
    if (message.contains("error")) return std::unexpected(etcd_error(where, 0, &message, text));
    auto result = read_object(message, "result", where, "");
    if (!result) return std::unexpected(result.error());
    const json& r = **result;
    auto revision = header_revision(r, where, "result");
    if (!revision) return std::unexpected(revision.error());
    note_revision(*revision);
    auto is_created = read_bool(r, "created", where, "result");
    auto canceled = read_bool(r, "canceled", where, "result");
    if (!is_created) return std::unexpected(is_created.error());
    if (!canceled) return std::unexpected(canceled.error());
    if (*is_created && !created) {
      created = true;
      on_created();
    }
    if (*canceled) {
      auto compact = read_int(r, "compact_revision", where, "result");
      if (!compact) return std::unexpected(compact.error());
      if (*compact > 0)
        return fail(
            ErrorKind::kNotFound,
            fmt::format("{}: watch from revision {}: that revision was compacted (the oldest kept is {})",
                        where, start_revision, *compact));
      auto reason = r.find("cancel_reason");
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("{}: etcd canceled the watch: {}", where,
                              reason != r.end() && reason->is_string() ? reason->get<std::string>()
                                                                       : "no reason given"));
    }
    auto events = r.find("events");
    if (events == r.end() || events->is_null()) return true;
    if (!events->is_array()) return std::unexpected(corrupt(where, "result.events", "not an array"));
    std::vector<EtcdEvent> batch;
    for (std::size_t e = 0; e < events->size(); ++e) {
      const std::string path = fmt::format("result.events[{}]", e);
      const json& ev = (*events)[e];
      if (!ev.is_object()) return std::unexpected(corrupt(where, path, "not an object"));
      EtcdEvent event;
      if (auto type = ev.find("type"); type != ev.end() && !type->is_null()) {
        if (*type == "DELETE")
          event.type = EtcdEvent::Type::kDelete;
        else if (*type != "PUT")
          return std::unexpected(corrupt(where, field_name(path, "type"), "neither PUT nor DELETE"));
      }
      auto kv = read_object(ev, "kv", where, path);
      if (!kv) return std::unexpected(kv.error());
      LUCID_TRY_ASSIGN(event.kv, read_kv(**kv, where, field_name(path, "kv")));
      batch.push_back(std::move(event));
    }
    return batch.empty() || on_events(batch, *revision);
  }
};

}  // namespace

std::string etcd_prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (end.empty()) return std::string(1, '\0');
  end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

EtcdClient::EtcdClient(std::vector<std::string> endpoints, std::chrono::milliseconds timeout)
    : endpoints_(std::move(endpoints)), timeout_(timeout) {
  for (auto& e : endpoints_)
    while (e.ends_with('/')) e.pop_back();
}

std::string EtcdClient::current_endpoint() const {
  if (endpoints_.empty()) return {};
  return endpoints_[preferred_.load() % endpoints_.size()];
}

void EtcdClient::note_revision(std::int64_t revision) {
  std::int64_t seen = last_revision_.load();
  while (revision > seen && !last_revision_.compare_exchange_weak(seen, revision)) {
  }
}

Result<EtcdClient::Answer> EtcdClient::call(const std::string& path, const std::string& body, Kind kind) {
  if (endpoints_.empty()) return fail(ErrorKind::kInvalidArgument, "etcd: no endpoints configured");
  const std::size_t n = endpoints_.size();
  const std::size_t first = preferred_.load() % n;
  const HttpOptions options = request_options(timeout_);
  std::vector<std::string> tried;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (first + k) % n;
    const std::string where = fmt::format("{}{}", endpoints_[i], path);
    auto r = http_post(where, body, "application/json", options);
    if (!r) {
      tried.push_back(r.error().message);
      if (kind == Kind::kRead || connect_failure(r.error())) continue;
      return fail(ErrorKind::kIo, fmt::format("{} (the write's outcome is unknown: it may have committed)",
                                              fmt::join(tried, "; ")));
    }
    json answer = json::parse(r->body, nullptr, false);
    if (r->status != 200) {
      Error e = etcd_error(where, r->status, answer.is_discarded() ? nullptr : &answer, r->body);
      if (e.kind == ErrorKind::kIo && (kind == Kind::kRead || refused_before_processing(e))) {
        tried.push_back(e.message);
        continue;
      }
      return std::unexpected(std::move(e));
    }
    if (answer.is_discarded() || !answer.is_object())
      return fail(ErrorKind::kCorrupt, fmt::format("{}: the answer is not a JSON object", where));
    preferred_.store(i);
    return Answer{where, std::move(answer)};
  }
  return fail(ErrorKind::kIo, fmt::format("no etcd endpoint answered: {}", fmt::join(tried, "; ")));
}

Result<std::optional<EtcdKeyValue>> EtcdClient::get(const std::string& key) {
  auto a = call("/v3/kv/range", json{{"key", b64(key)}}.dump(), Kind::kRead);
  if (!a) return std::unexpected(a.error());
  auto revision = header_revision(a->json, a->where);
  if (!revision) return std::unexpected(revision.error());
  note_revision(*revision);
  auto kvs = read_kvs(a->json, a->where, "");
  if (!kvs) return std::unexpected(kvs.error());
  if (kvs->empty()) return std::optional<EtcdKeyValue>();
  if (kvs->size() != 1 || (*kvs)[0].key != key)
    return std::unexpected(corrupt(a->where, "kvs", "not exactly the key asked for"));
  return std::optional<EtcdKeyValue>(std::move((*kvs)[0]));
}

Result<std::vector<EtcdKeyValue>> EtcdClient::range(const std::string& prefix, std::int64_t limit,
                                                    const std::string& start_key) {
  if (limit < 0)
    return fail(ErrorKind::kInvalidArgument, fmt::format("etcd range: limit {} is negative", limit));
  const std::string end = etcd_prefix_end(prefix);
  std::string from = prefix.empty() ? std::string(1, '\0') : prefix;
  if (!start_key.empty() && start_key > from) from = start_key;
  // Past the prefix's keys: nothing (etcd would read [from, end) backwards as "from onwards").
  if (end != std::string(1, '\0') && from >= end) return std::vector<EtcdKeyValue>();
  json request = {{"key", b64(from)}, {"range_end", b64(end)}};
  if (limit > 0) request["limit"] = std::to_string(limit);
  auto a = call("/v3/kv/range", request.dump(), Kind::kRead);
  if (!a) return std::unexpected(a.error());
  auto revision = header_revision(a->json, a->where);
  if (!revision) return std::unexpected(revision.error());
  note_revision(*revision);
  auto kvs = read_kvs(a->json, a->where, "");
  if (kvs && limit > 0 && static_cast<std::int64_t>(kvs->size()) > limit)
    return std::unexpected(
        corrupt(a->where, "kvs", fmt::format("{} keys for a limit of {}", kvs->size(), limit)));
  return kvs;
}

Result<std::int64_t> EtcdClient::put(const std::string& key, const std::string& value, std::int64_t lease) {
  json request = {{"key", b64(key)}, {"value", b64(value)}};
  if (lease != 0) request["lease"] = std::to_string(lease);
  auto a = call("/v3/kv/put", request.dump(), Kind::kWrite);
  if (!a) return std::unexpected(a.error());
  auto revision = header_revision(a->json, a->where);
  if (!revision) return std::unexpected(revision.error());
  note_revision(*revision);
  return *revision;
}

Result<std::int64_t> EtcdClient::erase(const std::string& key) {
  auto a = call("/v3/kv/deleterange", json{{"key", b64(key)}}.dump(), Kind::kWrite);
  if (!a) return std::unexpected(a.error());
  auto revision = header_revision(a->json, a->where);
  if (!revision) return std::unexpected(revision.error());
  note_revision(*revision);
  return read_int(a->json, "deleted", a->where, "");
}

Result<bool> EtcdClient::put_if_absent(const std::string& key, const std::string& value, std::int64_t lease) {
  EtcdCompare absent{key, EtcdCompare::Target::kVersion, EtcdCompare::Op::kEqual, 0, ""};
  EtcdOp write{EtcdOp::Type::kPut, key, value, lease};
  auto r = txn({absent}, {write});
  if (!r) return std::unexpected(r.error());
  return r->succeeded;
}

Result<EtcdTxnResult> EtcdClient::txn(const std::vector<EtcdCompare>& compares,
                                      const std::vector<EtcdOp>& success,
                                      const std::vector<EtcdOp>& failure) {
  json request = {{"compare", json::array()}, {"success", json::array()}, {"failure", json::array()}};
  for (const auto& c : compares) {
    json compare = {
        {"key", b64(c.key)}, {"target", compare_target(c.target)}, {"result", compare_result(c.op)}};
    if (c.target == EtcdCompare::Target::kValue)
      compare["value"] = b64(c.value);
    else
      compare[compare_field(c.target)] = std::to_string(c.number);
    request["compare"].push_back(std::move(compare));
  }
  for (const auto& op : success) request["success"].push_back(op_json(op));
  for (const auto& op : failure) request["failure"].push_back(op_json(op));
  auto a = call("/v3/kv/txn", request.dump(), Kind::kWrite);
  if (!a) return std::unexpected(a.error());
  EtcdTxnResult out;
  LUCID_TRY_ASSIGN(out.revision, header_revision(a->json, a->where));
  note_revision(out.revision);
  LUCID_TRY_ASSIGN(out.succeeded, read_bool(a->json, "succeeded", a->where, ""));
  const auto& ops = out.succeeded ? success : failure;
  static const json kNone = json::array();
  auto it = a->json.find("responses");
  const json& responses = it == a->json.end() || it->is_null() ? kNone : *it;
  if (!responses.is_array() || responses.size() != ops.size())
    return std::unexpected(
        corrupt(a->where, "responses", fmt::format("not an array of {} answers", ops.size())));
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const std::string path = fmt::format("responses[{}]", i);
    if (!responses[i].is_object()) return std::unexpected(corrupt(a->where, path, "not an object"));
    std::vector<EtcdKeyValue> kvs;
    if (ops[i].type == EtcdOp::Type::kGet) {
      auto range = responses[i].find("response_range");
      if (range == responses[i].end() || !range->is_object())
        return std::unexpected(corrupt(a->where, field_name(path, "response_range"), "missing for a get"));
      LUCID_TRY_ASSIGN(kvs, read_kvs(*range, a->where, field_name(path, "response_range")));
    }
    out.responses.push_back(std::move(kvs));
  }
  return out;
}

Result<EtcdLease> EtcdClient::grant_lease(std::int64_t ttl_seconds) {
  if (ttl_seconds <= 0)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("etcd lease: a TTL of {} s is not positive", ttl_seconds));
  auto a = call("/v3/lease/grant", json{{"TTL", std::to_string(ttl_seconds)}}.dump(), Kind::kWrite);
  if (!a) return std::unexpected(a.error());
  if (auto e = a->json.find("error");
      e != a->json.end() && e->is_string() && !e->get_ref<const std::string&>().empty())
    return fail(ErrorKind::kInvalidArgument, fmt::format("{}: {}", a->where, e->get<std::string>()));
  auto revision = header_revision(a->json, a->where);
  if (!revision) return std::unexpected(revision.error());
  note_revision(*revision);
  EtcdLease lease;
  LUCID_TRY_ASSIGN(lease.id, read_int(a->json, "ID", a->where, ""));
  LUCID_TRY_ASSIGN(lease.ttl_seconds, read_int(a->json, "TTL", a->where, ""));
  if (lease.id == 0) return std::unexpected(corrupt(a->where, "ID", "missing"));
  return lease;
}

// /v3/lease/keepalive is a stream on the gateway, but one POST is bounded: the gateway reads the one
// request from the body, etcd answers it, sees the end of the request stream and ends the answer.
Result<std::int64_t> EtcdClient::keep_alive(std::int64_t lease) {
  auto a = call("/v3/lease/keepalive", json{{"ID", std::to_string(lease)}}.dump(), Kind::kRead);
  if (!a) return std::unexpected(a.error());
  if (auto e = a->json.find("error"); e != a->json.end())
    return std::unexpected(etcd_error(a->where, 200, &a->json, ""));
  auto result = read_object(a->json, "result", a->where, "");
  if (!result) return std::unexpected(result.error());
  auto revision = header_revision(**result, a->where, "result");
  if (!revision) return std::unexpected(revision.error());
  note_revision(*revision);
  auto ttl = read_int(**result, "TTL", a->where, "result");
  if (!ttl) return std::unexpected(ttl.error());
  if (*ttl <= 0)
    return fail(ErrorKind::kNotFound,
                fmt::format("{}: lease {} has expired or was revoked", a->where, lease));
  return *ttl;
}

Status EtcdClient::revoke_lease(std::int64_t lease) {
  auto a = call("/v3/lease/revoke", json{{"ID", std::to_string(lease)}}.dump(), Kind::kWrite);
  if (!a) return std::unexpected(a.error());
  auto revision = header_revision(a->json, a->where);
  if (!revision) return std::unexpected(revision.error());
  note_revision(*revision);
  return {};
}

Result<std::int64_t> EtcdClient::revision() {
  // One key, counted only: the answer is a header and a count.
  auto a = call("/v3/kv/range", json{{"key", b64(std::string(1, '\0'))}, {"count_only", true}}.dump(),
                Kind::kRead);
  if (!a) return std::unexpected(a.error());
  auto revision = header_revision(a->json, a->where);
  if (!revision) return std::unexpected(revision.error());
  if (*revision <= 0) return std::unexpected(corrupt(a->where, "header.revision", "missing"));
  note_revision(*revision);
  return *revision;
}

Status EtcdClient::watch(const std::string& prefix, std::int64_t start_revision,
                         const std::function<bool(const std::vector<EtcdEvent>&, std::int64_t)>& on_events,
                         const std::function<bool()>& stop) {
  if (endpoints_.empty()) return fail(ErrorKind::kInvalidArgument, "etcd: no endpoints configured");
  if (start_revision < 0)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("etcd watch: start revision {} is negative", start_revision));
  json create = {{"key", b64(prefix.empty() ? std::string(1, '\0') : prefix)},
                 {"range_end", b64(etcd_prefix_end(prefix))}};
  if (start_revision > 0) create["start_revision"] = std::to_string(start_revision);
  const std::string body = json{{"create_request", create}}.dump();

  // The endpoints in turn until one confirms the watch; from then on its stream is the watch.
  const std::size_t n = endpoints_.size();
  const std::size_t first = preferred_.load() % n;
  const HttpOptions options = request_options(timeout_);
  std::vector<std::string> tried;
  for (std::size_t k = 0; k < n; ++k) {
    if (stop()) return {};
    const std::size_t i = (first + k) % n;
    if (!endpoints_[i].starts_with("http://"))
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("{}: the watch stream needs an http:// endpoint", endpoints_[i]));
    WatchStream w{fmt::format("{}/v3/watch", endpoints_[i]),
                  start_revision,
                  timeout_,
                  on_events,
                  stop,
                  [this](std::int64_t r) { note_revision(r); },
                  [this, i] { preferred_.store(i); },
                  false};
    auto end = w.follow(body, options);
    if (end) return {};
    if (!w.created && end.error().kind == ErrorKind::kIo) {
      tried.push_back(end.error().message);
      continue;
    }
    return std::unexpected(end.error());
  }
  return fail(ErrorKind::kIo, fmt::format("no etcd endpoint accepted the watch: {}", fmt::join(tried, "; ")));
}

int EtcdClient::healthy_endpoints() {
  std::vector<int> healthy(endpoints_.size(), 0);
  std::vector<std::thread> probes;
  HttpOptions options;
  options.timeout = timeout_;
  options.max_body_bytes = kMaxErrorBody;
  for (std::size_t i = 0; i < endpoints_.size(); ++i)
    probes.emplace_back([&, i] {
      auto r = http_get(fmt::format("{}/health", endpoints_[i]), options);
      if (!r || r->status != 200) return;
      json answer = json::parse(r->body, nullptr, false);
      if (answer.is_object() && answer.value("health", std::string()) == "true") healthy[i] = 1;
    });
  for (auto& t : probes) t.join();
  return static_cast<int>(std::count(healthy.begin(), healthy.end(), 1));
}

}  // namespace lucid::chain
