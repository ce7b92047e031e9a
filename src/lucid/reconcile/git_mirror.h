// The reconciler's local copy of the config repo: a bare mirror under the state directory, updated
// with `git fetch` (no shell), and read-only exports of one commit's tree for rendering.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::reconcile {

// The one decision of which ref a cluster follows (a branch for now; later the cluster's wave ref
// from clusters.yaml). `branch` may already be a full ref ("refs/heads/x").
std::string tracked_ref(const std::string& branch);

// The git options that send a fetch of `url` through the SOCKS5 proxy `proxy` ("host:port", names
// resolved by the proxy), fail-closed: http(s) via http.proxy=socks5h://, ssh via an `nc -X 5`
// ProxyCommand (netcat-openbsd), local paths and file:// need none; any other scheme is refused
// rather than connected directly. Empty `proxy`: no options.
Result<std::vector<std::string>> proxy_options(const std::string& url, const std::string& proxy);

// Fetches `ref` of `url` (a local path, file://, ssh:// or http(s)://) into the bare repository
// `mirror` (created when absent) and returns the full commit id it points at. With `socks_proxy`
// set (TOR_SOCKS), the network is only reached through it (proxy_options); the environment's
// NO_PROXY/ALL_PROXY are dropped so nothing bypasses it.
Result<std::string> fetch_tracked(const std::filesystem::path& mirror, const std::string& url,
                                  const std::string& ref, const std::string& socks_proxy = {});

// Writes the tree of `commit` into the empty or absent directory `dir` (git archive | tar -x).
Status export_commit(const std::filesystem::path& mirror, const std::string& commit,
                     const std::filesystem::path& dir);

}  // namespace lucid::reconcile
