// The typed scenario: what a validated scenario file (SCENARIO_SPEC.md, docs/scenario-format.md)
// means, as plain values. The loader (loader.hpp) produces it only when every check passed, so
// consumers (builder, apps, expectations) may trust names, ranges and cross references.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocols/tcp/io.hpp"
#include "protocols/tcp/sockopt.hpp"
#include "protocols/tcp/tunables.hpp"
#include "sim/link.hpp"
#include "sim/network.hpp"
#include "sim/packet.hpp"
#include "sim/time.hpp"
#include "sim/trace.hpp"
#include "sim/units.hpp"

namespace netsim {

// Where an item was written, so later stages (a failed expectation, a builder error) can point
// at it. For a value given with `--set`, `file` is "--set PATH=VALUE" and line/column are 0.
struct SourcePos {
  std::string file;
  int line = 0;  // 1-based; 0 = no line (whole file, or a command-line value)
  int column = 0;
  // "file:line:column", or just `file` when there is no line.
  std::string to_string() const;
  bool operator==(const SourcePos&) const = default;
};

// ---- tcp: ---------------------------------------------------------------------------------

// The preset a `tcp: {profile: ...}` names, written `linux` | `rfc9293`.
using TcpProfileKind = tcp::Preset;

// The `tcp:` block and per-host `tcp:` overrides: the preset and the tunables written, by their
// key in protocols/tcp/tunables.hpp. Unset means "the preset's value"; the loader checked every
// value against the table's bounds.
struct TcpSettings {
  std::optional<TcpProfileKind> profile;
  std::map<std::string, tcp::TunableValue, std::less<>> values;

  std::optional<tcp::TunableValue> get(std::string_view key) const;
  // These settings with every value that `over` sets replaced by it (host over scenario).
  TcpSettings overlaid_with(const TcpSettings& over) const;
  // The preset (linux unless set) with every set value applied.
  tcp::Profile to_profile() const;
  bool operator==(const TcpSettings&) const = default;
};

// ---- topology -----------------------------------------------------------------------------

struct HostSpec {
  std::string name;
  Ipv4Addr address;
  TcpSettings tcp;                 // this host's overrides only; see Scenario::tcp_for()
  std::optional<std::string> tun;  // a real Linux stack behind this TUN device
  // The network namespace the TUN device goes into (realtime/): each real host its own kernel.
  std::optional<std::string> netns;
  SourcePos pos;
};

struct RouterSpec {
  std::string name;
  SourcePos pos;
};

// A drop-tail queue bound: packets or bytes (never both); neither = unlimited.
struct QueueLimit {
  std::optional<int64_t> packets;
  std::optional<int64_t> bytes;
  bool operator==(const QueueLimit&) const = default;
};

// Link parameters as written: only what a `links:` entry, a direction override or a
// `set_link` names. Applied over a base to get the direction's full LinkParams.
struct LinkPatch {
  std::optional<Duration> delay;
  std::optional<DataRate> bandwidth;  // DataRate{} (0 bps) = infinite, written `infinite`
  std::optional<QueueLimit> queue;
  std::optional<LossModel> loss;
  std::optional<Duration> jitter;
  std::optional<Probability> duplicate;
  std::optional<Probability> corrupt;

  LinkParams applied_to(LinkParams base) const;
  // This patch with every value `over` sets replaced by it.
  LinkPatch overlaid_with(const LinkPatch& over) const;
  bool empty() const;
};

struct LinkSpec {
  std::string a, b;  // the nodes of `between: [a, b]`, in that order
  LinkParams a_to_b, b_to_a;
  SourcePos pos;
};

// ---- apps ---------------------------------------------------------------------------------

// `host:port` or `10.0.0.2:80`, resolved to an address.
struct Endpoint {
  std::optional<std::string> host;  // set when written with a host name
  Ipv4Addr address;
  uint16_t port = 0;
  std::string to_string() const;  // as written: "server:80" or "10.0.0.2:80"
};

// What an app sends (`send`) or a server answers (`reply`), or what an expectation wants to
// have been received. A quoted YAML string is always text; a plain scalar with a size unit
// (`10KB`) is that many bytes of generated data.
struct DataSpec {
  enum class Kind : uint8_t { none, echo, text, size };
  Kind kind = Kind::none;
  std::string text;   // Kind::text
  int64_t bytes = 0;  // Kind::size; Kind::text: text.size()
  bool operator==(const DataSpec&) const = default;
};

// When an app closes a connection. `at` is measured per connection from its start: the
// client's connect() call, or the server's accept() (protocols/apps follow this). `abort` is
// after_reply's moment with a RST instead of a FIN (SO_LINGER 0).
struct ClosePolicy {
  enum class Kind : uint8_t { after_peer, after_reply, after_send, never, abort, at };
  Kind kind = Kind::after_peer;
  Duration at;  // Kind::at
  bool operator==(const ClosePolicy&) const = default;
};

// `keepalive: true` (all unset: the host's tcp keepalive_* values) or {idle, interval, probes}.
struct KeepaliveSpec {
  std::optional<Duration> idle;
  std::optional<Duration> interval;
  std::optional<int> probes;
  bool operator==(const KeepaliveSpec&) const = default;
};

// `socket_options:` of an app: setsockopt() calls made before listen()/connect(), in file order
// (TCP_USER_TIMEOUT in ms). Values are already checked as Linux checks them.
using SockOptList = std::vector<std::pair<tcp::SockOpt, int>>;

struct TcpServerSpec {
  std::string name;  // default "tcp_server#<index in apps>"
  std::string on;    // a host
  uint16_t port = 0;
  int backlog = 128;  // listen() backlog, capped by somaxconn at run time
  DataSpec reply;     // default none
  bool accept = true;
  ClosePolicy close{ClosePolicy::Kind::after_peer, {}};  // never after_send
  SockOptList socket_options;                            // inherited by accepted connections
  uint32_t send_flags = 0;  // `send_flags:` of each reply's send(): MSG_MORE / MSG_EOR
  uint32_t read_size = 0;   // `read_size:` each read()'s len (0: tcp::kAutoReadSize)
  SourcePos pos;
};

struct TcpClientSpec {
  std::string name;  // default "tcp_client#<index in apps>"
  std::string on;
  uint16_t port = 0;  // local port; 0 = ephemeral
  Endpoint connect;
  Duration at;    // first connect() time
  DataSpec send;  // none or text or size
  ClosePolicy close{ClosePolicy::Kind::after_reply, {}};
  bool shutdown = false;                   // SHUT_WR after sending, keep reading
  uint32_t send_flags = 0;                 // `send_flags:` of its send(): MSG_MORE / MSG_EOR
  uint32_t read_size = 0;                  // `read_size:` each read()'s len (0: the default)
  std::optional<KeepaliveSpec> keepalive;  // unset = SO_KEEPALIVE off
  SockOptList socket_options;
  int64_t count = 1;  // connections, `interval` apart
  Duration interval;
  SourcePos pos;
};

struct SynFloodSpec {
  std::string name;  // default "syn_flood#<index in apps>"
  std::string on;
  Endpoint target;
  PacketRate rate;
  Duration start;
  std::optional<Duration> duration;  // exactly one of duration and count is set
  std::optional<int64_t> count;
  std::optional<Ipv4Prefix> spoof;  // unset = the attacker's own address (`spoof: none`)
  SourcePos pos;
  // SYNs it sends: `count`, or one every rate.interval in [start, start + duration).
  int64_t total_packets() const;
};

// One socket call of a `tcp_app` script (docs/scenario-format.md, scripted applications).
// Calls run in order; a call that blocks (connect, accept, recv) holds the script until it
// completes. `at` makes the call wait for that time since the start of the run first.
struct AppCall {
  enum class Kind : uint8_t {
    wait,        // {at: T} alone: wait until T
    sleep,       // {sleep: D}
    connect,     // {connect: host:port}: blocks until ESTABLISHED or an error
    listen,      // {listen: PORT} or {listen: {port, backlog}}
    accept,      // blocks until a connection is in the accept queue; it becomes the socket
    send,        // {send: "text" | SIZE, flags: [...]}; EPIPE after shutdown or close is recorded
    recv,        // {recv: SIZE | all | eof | stop}
    shutdown,    // shutdown(SHUT_WR)
    close,       // close(): FIN, or RST with unread data
    abort,       // close() with SO_LINGER {1, 0}: RST
    setsockopt,  // {setsockopt: {keepalive, linger, syncnt}}
  };
  enum class Recv : uint8_t { bytes, all, eof, stop };
  Kind kind = Kind::wait;
  std::optional<Duration> at;
  Duration sleep;                          // sleep
  Endpoint remote;                         // connect
  uint16_t port = 0;                       // listen
  int backlog = 128;                       // listen
  DataSpec data;                           // send
  uint32_t send_flags = 0;                 // send: {flags: [MSG_MORE, MSG_EOR]} (msg_flags.hpp)
  Recv recv = Recv::all;                   // recv
  int64_t recv_bytes = 0;                  // recv: bytes
  std::optional<KeepaliveSpec> keepalive;  // setsockopt: SO_KEEPALIVE (+ TCP_KEEP*)
  bool keepalive_off = false;              // setsockopt: {keepalive: false}, SO_KEEPALIVE 0
  std::optional<bool> linger_zero;         // setsockopt: SO_LINGER {1, 0} (true) or off
  std::optional<int> syncnt;               // setsockopt: TCP_SYNCNT
  SourcePos pos;
};

// `tcp_app`: an application written as a list of socket calls (the scripted form of
// tcp_client/tcp_server; the stories of issue 14: close with unread data, a late reply, ...).
struct TcpAppSpec {
  std::string name;  // default "tcp_app#<index in apps>"
  std::string on;
  std::vector<AppCall> script;
  SourcePos pos;
};

struct AppSpec {
  std::variant<TcpServerSpec, TcpClientSpec, SynFloodSpec, TcpAppSpec> app;

  const std::string& name() const;
  const std::string& on() const;
  const SourcePos& pos() const;
  std::string_view kind_name() const;  // "tcp_server", "tcp_client", "syn_flood", "tcp_app"
  const TcpServerSpec* server() const { return std::get_if<TcpServerSpec>(&app); }
  const TcpClientSpec* client() const { return std::get_if<TcpClientSpec>(&app); }
  const SynFloodSpec* flood() const { return std::get_if<SynFloodSpec>(&app); }
  const TcpAppSpec* scripted() const { return std::get_if<TcpAppSpec>(&app); }
};

// ---- faults -------------------------------------------------------------------------------

// A packet rule (drop/delay/duplicate/corrupt). src/dst host names are resolved into
// fault.match; the names are kept for messages.
struct PacketFaultSpec {
  PacketFault fault;
  std::optional<std::string> src_host, dst_host;
  SourcePos pos;
};

// A hand-written segment (`{at: T, inject: {...}}`): RFC 5961 and RFC 9293 §3.10.7 stories.
// With `connection`, addresses and ports are those of the app's first connection when it is
// injected, and a relative number is counted from what the receiving end expects: seq from its
// RCV.NXT, ack from its SND.NXT. Otherwise `from`, `to`, ports and numbers are absolute.
struct RawSegmentSpec {
  struct Number {
    bool relative = false;
    int64_t value = 0;  // relative: an offset ("+5", "-1"); else the 32-bit number
  };
  std::string from;                       // the node that sends it (a host)
  std::string to;                         // the receiving host
  std::optional<std::string> connection;  // an app name
  std::optional<Ipv4Addr> src;            // source address if not `from`'s (spoofed)
  uint16_t sport = 0, dport = 0;          // without `connection`
  TcpFlags flags;
  Number seq, ack;
  uint16_t window = 65535;
  TcpOptions options;
  DataSpec payload;
};

// A timed event on the topology.
struct TimedFaultSpec {
  enum class Kind : uint8_t { link_down, link_up, set_link, crash, restart, inject };
  Kind kind = Kind::link_down;
  Duration at;
  std::string a, b;          // link_down, link_up, set_link: the link's nodes as written
  LinkPatch a_to_b, b_to_a;  // set_link: what changes, per direction
  std::string host;          // crash, restart
  RawSegmentSpec segment;    // inject
  SourcePos pos;
};

// ---- outputs ------------------------------------------------------------------------------

struct DiagramOutput {
  std::string file;                       // .svg .png .pdf (Graphviz), .mmd (Mermaid), .txt
  std::optional<std::string> connection;  // an app name
  std::optional<Duration> from, to;
  SourcePos pos;
};

// A chart (viz/plot.hpp, viz/timeline_chart.hpp): .svg or .png.
struct ChartOutput {
  std::string file;
  std::string kind;  // plots: syn_queue, accept_queue, established, drops, cwnd; timeline: empty
  std::optional<std::string> connection;  // an app name
  std::optional<Duration> from, to;
  SourcePos pos;
};

// The plot kinds `plots:` accepts, in the order of viz::PlotKind (tests/viz checks they agree).
std::vector<std::string> plot_kind_names();

struct OutputsSpec {
  std::optional<std::string> trace;  // "-" = stdout
  std::optional<std::string> events;
  std::optional<std::string> pcap;
  std::optional<std::string> summary;
  std::vector<DiagramOutput> diagrams;  // `diagram: f` first, then each of `diagrams:`
  std::optional<ChartOutput> timeline;  // `timeline: f` or {file, connection, from, to}
  std::vector<ChartOutput> plots;       // `plots: [{file, kind, connection, from, to}]`
  SourcePos pos;
  bool any() const;
};

// ---- expect -------------------------------------------------------------------------------

// The outcome of an app's connection, as the run summary names it.
enum class AppResult : uint8_t {
  closed,
  etimedout,
  econnrefused,
  econnreset,
  epipe,
  open,
  crashed
};
std::string_view to_string(AppResult r);  // "closed", "ETIMEDOUT", ...

struct Expectation {
  enum class Kind : uint8_t {
    connected_by,  // {app, connected_by: T}: ESTABLISHED no later than T
    received,      // {app, received: "text" | SIZE}: what the app received
    result,        // {app, result: R [, at: T [, within: D]]}
    state,         // {app, state: S [, at: T]}: state at T (default: at the end)
    accepted,      // {app, accepted: N}: a server accepted exactly N connections
    counter,       // {host, counter: NAME, min: A, max: B}
    drops,         // {drops: REASON [, host: H], min: A, max: B}: packets dropped for REASON
    packets,       // {packets: MATCH, count: N | min: A, max: B [, window: [T1, T2]]}: packets sent
  };
  Kind kind = Kind::result;
  std::string app;   // connected_by, received, result, state, accepted
  std::string host;  // counter; optional for drops
  Duration by;       // connected_by
  DataSpec received;
  AppResult result = AppResult::closed;
  std::string state;  // canonical RFC 9293 name, e.g. "TIME_WAIT"
  std::optional<Duration> at;
  std::optional<Duration> within;  // result with at: |actual - at| <= within (default 0)
  int64_t accepted = 0;
  std::string counter;
  DropReason reason = DropReason::loss;
  std::optional<int64_t> min, max;  // counter, drops, packets: at least one is set
  // packets: which packets a host sent (`from`/`to` host names kept for messages), counted in
  // the window [window_from, window_to] of virtual time (both ends included).
  PacketMatch packets;
  std::string packets_from, packets_to;
  std::optional<Duration> window_from, window_to;
  SourcePos pos;
};

// ---- the scenario -------------------------------------------------------------------------

struct Scenario {
  std::string name;  // default: the file's stem
  std::string description;
  std::string file;  // the path it was loaded from (as given)
  uint64_t seed = 1;
  std::optional<Duration> duration;  // unset: run until no event is left
  TcpSettings tcp;
  std::vector<HostSpec> hosts;
  std::vector<RouterSpec> routers;
  std::vector<LinkSpec> links;
  std::vector<AppSpec> apps;
  std::vector<PacketFaultSpec> packet_faults;
  std::vector<TimedFaultSpec> timed_faults;  // in file order
  OutputsSpec outputs;
  std::vector<Expectation> expect;

  const HostSpec* find_host(std::string_view name) const;
  const RouterSpec* find_router(std::string_view name) const;
  const AppSpec* find_app(std::string_view name) const;
  const LinkSpec* find_link(std::string_view a, std::string_view b) const;  // either order
  // The scenario's tcp block overlaid with the host's own overrides.
  TcpSettings tcp_for(const HostSpec& host) const { return tcp.overlaid_with(host.tcp); }
};

// The RFC 9293 name ("SYN_RECEIVED") of a state written in any case, with '-' for '_', or as
// one of the aliases SYN_RCVD, SYN_RECV, FIN_WAIT1, FIN_WAIT2, ESTAB; nullopt if none.
std::optional<std::string> canonical_tcp_state(std::string_view text);

// The host counters an expectation may name (protocols/tcp/io.hpp counter_table()).
const std::vector<std::string>& known_host_counters();

}  // namespace netsim
