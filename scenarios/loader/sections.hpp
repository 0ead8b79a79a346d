// Internal to the loader: one reader per section of the scenario file, plus the name
// resolution they share. Sections are read in dependency order (hosts and routers before
// anything that names them), each adding to the Scenario and reporting into the Reader.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "scenarios/loader/reader.hpp"

namespace netsim::loader {

// topology.cpp
TcpSettings read_tcp(Reader& r, const YAML::Node& n, const std::string& path);
void read_hosts(Reader& r, const YAML::Node& n, Scenario& sc);
void read_routers(Reader& r, const YAML::Node& n, Scenario& sc);
void read_links(Reader& r, const YAML::Node& n, Scenario& sc);
// The link keys (delay, bandwidth, queue, loss, jitter, duplicate, corrupt) present in `m`.
LinkPatch read_link_patch(Reader& r, const MapView& m);
// "a->b" direction keys of a link or set_link map, checked against its two ends and applied
// into the per-direction patches.
void read_direction_overrides(Reader& r, const MapView& m, const std::string& a,
                              const std::string& b, LinkPatch& a_to_b, LinkPatch& b_to_a);
bool is_direction_key(std::string_view key);
// `between: [a, b]` naming two different known nodes; nullopt after reporting otherwise.
// `nodes`, when given, holds every host and router name (read_links() checks 100,000 links).
std::optional<std::pair<std::string, std::string>> read_node_pair(
    Reader& r, const YAML::Node& n, const std::string& path, const Scenario& sc,
    const std::unordered_set<std::string_view>* nodes = nullptr);

// Names: every host (and router) name, for "did you mean".
std::vector<std::string> host_names(const Scenario& sc);
std::vector<std::string> node_names(const Scenario& sc);
// A host name (not a router): the host, or nullptr after reporting.
const HostSpec* read_host_ref(Reader& r, const YAML::Node& n, const std::string& path,
                              const Scenario& sc);
// A host name or an IPv4 address (fault matches): the address and the host name if any.
std::optional<std::pair<Ipv4Addr, std::optional<std::string>>> read_host_or_address(
    Reader& r, const YAML::Node& n, const std::string& path, const Scenario& sc);
// "host:port" or "10.0.0.2:80".
std::optional<Endpoint> read_endpoint(Reader& r, const YAML::Node& n, const std::string& path,
                                      const Scenario& sc);
// A list section: null = empty; more than `limit` items is an error naming `limit_name`.
bool check_list_section(Reader& r, const YAML::Node& n, const std::string& path, int64_t limit,
                        std::string_view limit_name, std::string_view what);

// apps.cpp
void read_apps(Reader& r, const YAML::Node& n, Scenario& sc);
// send/reply/received: "text", a size like 10KB, and (if allowed) echo / none.
std::optional<DataSpec> read_data(Reader& r, const YAML::Node& n, const std::string& path,
                                  bool keywords_allowed);
// `keepalive: true` or {idle, interval, probes}; nullopt for false or after an error.
std::optional<KeepaliveSpec> read_keepalive(Reader& r, const YAML::Node& n,
                                            const std::string& path);

// app_script.cpp: a tcp_app's `script:` list of socket calls.
std::vector<AppCall> read_app_script(Reader& r, const YAML::Node& n, const std::string& path,
                                     const Scenario& sc);
// `[MSG_MORE, MSG_EOR]`: send()'s flags (protocols/tcp/msg_flags.hpp) by their C names.
uint32_t read_send_flags(Reader& r, const YAML::Node& v, const std::string& path);

// faults.cpp
void read_faults(Reader& r, const YAML::Node& n, Scenario& sc);
void read_outputs(Reader& r, const YAML::Node& n, Scenario& sc);

// raw_segment.cpp: the map of `{at: T, inject: {...}}`.
std::optional<RawSegmentSpec> read_raw_segment(Reader& r, const YAML::Node& n,
                                               const std::string& path, const Scenario& sc);

// expect.cpp
void read_expect(Reader& r, const YAML::Node& n, Scenario& sc);

// overrides.cpp: applies each "PATH=VALUE" to the tree; errors name the override.
void apply_overrides(Reader& r, YAML::Node root, const std::vector<std::string>& sets);

}  // namespace netsim::loader
