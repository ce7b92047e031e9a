// The reconciler's local copy of the config repo: a bare mirror under the state directory, updated
// with `git fetch` (no shell), and read-only exports of one commit's tree for rendering.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::reconcile {

// A branch name as a full ref ("refs/heads/x"); a full ref stays as it is. Which ref a cluster
// follows (--branch, else its wave's) is decided in reconciler.cc.
std::string tracked_ref(const std::string& branch);

// The git options that send a fetch of `url` through the SOCKS5 proxy `proxy` ("host:port", names
// resolved by the proxy), fail-closed: http(s) via http.proxy=socks5h://, ssh via an `nc -X 5`
// ProxyCommand (netcat-openbsd), local paths and file:// need none; any other scheme is refused
// rather than connected directly. Empty `proxy`: no options.
Result<std::vector<std::string>> proxy_options(const std::string& url, const std::string& proxy);

// The mirror's refs of one cluster: where its fetch lands (so clusters sharing a state directory
// never see each other's fetch), and the commits it applied and last promoted. The latter two keep
// every rollback target reachable, so `git gc` in the mirror never drops one.
std::string tracking_ref(const std::string& cluster);   // refs/lucid/tracked/<cluster>
std::string applied_ref(const std::string& cluster);    // refs/lucid/applied/<cluster>
std::string last_good_ref(const std::string& cluster);  // refs/lucid/last-good/<cluster>

// Fetches `ref` of `url` (a local path, file://, ssh:// or http(s)://) into `into` of the bare
// repository `mirror` (created when absent) and returns the full commit id it points at. The fetch
// forces `into` (a rewound remote is seen, so that the reconciler can refuse it by name) and holds
// an exclusive lock on the mirror, so reconcilers of several clusters may share it. With
// `socks_proxy` set (TOR_SOCKS), the network is only reached through it (proxy_options); the
// environment's NO_PROXY/ALL_PROXY are dropped so nothing bypasses it.
Result<std::string> fetch_tracked(const std::filesystem::path& mirror, const std::string& url,
                                  const std::string& ref, const std::string& socks_proxy = {},
                                  const std::string& into = "refs/lucid/tracked");

// Points `ref` of the mirror at `commit` (git update-ref).
Status keep_ref(const std::filesystem::path& mirror, const std::string& ref, const std::string& commit);

// The committer time of `commit` (Unix seconds).
Result<std::int64_t> commit_time(const std::filesystem::path& mirror, const std::string& commit);

// Writes the tree of `commit` into the empty or absent directory `dir` (git archive | tar -x).
Status export_commit(const std::filesystem::path& mirror, const std::string& commit,
                     const std::filesystem::path& dir);

}  // namespace lucid::reconcile
