// The marks a diagram writes on its lifelines (TCP states with their cause, timer firings,
// application errors, network faults) and the bands that stand for folded flood traffic.
#include <fmt/format.h>

#include <algorithm>

#include "sim/trace_text.hpp"
#include "viz/capture.hpp"
#include "viz/labels.hpp"
#include "viz/model_builder.hpp"
#include "viz/time_format.hpp"

namespace netsim::viz::detail {

namespace {
bool zero(SocketAddr a) {
  return a.addr.value == 0 && a.port == 0;
}

// The textbook's names for what a packet is, used to count folded packets, in the order a
// band lists them.
enum Kind : size_t { kSyn, kSynAck, kAck, kData, kFin, kRst, kOther, kKinds };
constexpr const char* kKindNames[kKinds] = {"SYN", "SYN-ACK", "ACK",   "data",
                                            "FIN", "RST",     "packet"};

Kind packet_kind(const Packet& p) {
  const TcpFlags f = p.tcp.flags;
  if (f.syn()) return f.ack() ? kSynAck : kSyn;
  if (f.rst()) return kRst;
  if (f.fin()) return kFin;
  if (!p.tcp.payload.empty()) return kData;
  return f.ack() ? kAck : kOther;
}

// The smallest prefix holding every address between lo and hi: "198.51.100.0/24".
std::string covering_prefix(uint32_t lo, uint32_t hi) {
  int len = 32;
  while (len > 0 && (lo >> (32 - len)) != (hi >> (32 - len)))
    --len;
  uint32_t mask = len == 0 ? 0 : ~uint32_t{0} << (32 - len);
  Ipv4Prefix p{Ipv4Addr{lo & mask}, len};
  return len == 32 ? p.base.to_string() : p.to_string();
}

struct KindCount {
  uint64_t sent = 0, dropped = 0;
  std::set<std::string> reasons;
  // The last drop's reason, to skip formatting a reason already in `reasons`.
  const PacketRecord* last_drop = nullptr;
};

struct BandAcc {
  uint32_t lo = ~uint32_t{0}, hi = 0;
  std::set<std::string> hosts;
  const std::string* last_host = nullptr;  // already in `hosts`
  uint64_t convs = 0;
  Instant first = Instant::max(), last = Instant::zero();
  KindCount kinds[2][kKinds];  // [from initiator?][kind]
  uint64_t packets = 0;
};
}  // namespace

std::optional<size_t> ModelBuilder::existing_lifeline(SocketAddr a) const {
  auto it = lifeline_of_.find(a);
  if (it == lifeline_of_.end()) return std::nullopt;
  return it->second;
}

void ModelBuilder::add_bands() {
  std::map<SocketAddr, BandAcc> by_target;
  folded_convs_.reserve(folded_.size());
  std::vector<End> ends;
  for (size_t i : folded_) {
    const auto& send = packet_record(i);
    const Packet& p = send.packet;
    ConvKey key = conv_key(p.src_addr(), p.dst_addr());
    bool new_conv = folded_convs_.insert(key).second;
    SocketAddr init = ix_.initiator.at(key);
    SocketAddr target = key.first == init ? key.second : key.first;
    BandAcc& b = by_target[target];
    b.lo = std::min(b.lo, init.addr.value);
    b.hi = std::max(b.hi, init.addr.value);
    const std::string* h = ix_.host_of(init.addr);
    if (h && h != b.last_host) {
      b.hosts.insert(*h);
      b.last_host = h;
    }
    // A conversation's target is a function of its key, so it is new to this band too.
    if (new_conv) ++b.convs;
    b.first = std::min(b.first, send.t);
    b.last = std::max(b.last, send.t);
    KindCount& k = b.kinds[p.src_addr() == init][packet_kind(p)];
    ++k.sent;
    ++b.packets;
    ends_of(send, ends);
    for (const End& e : ends) {
      const auto& end = packet_record(e.then_dropped.value_or(e.record));
      b.last = std::max(b.last, end.t);
      if (end.ev == PacketEvent::drop) {
        ++k.dropped;
        if (!k.last_drop || k.last_drop->reason != end.reason ||
            k.last_drop->detail != end.detail) {
          k.reasons.insert(drop_reason_text(end.reason, end.detail));
        }
        k.last_drop = &end;
      }
    }
  }
  for (const auto& [target, b] : by_target) {
    Band band;
    band.to = lifeline_for(target);
    Lifeline agg;
    agg.aggregate = true;
    agg.address = covering_prefix(b.lo, b.hi);
    if (b.hosts.size() == 1) agg.host = *b.hosts.begin();
    agg.app = "no socket";
    band.from = model_.lifelines.size();
    model_.lifelines.push_back(agg);
    band.first = b.first;
    band.last = b.last;
    band.packets = b.packets;
    // The flood's side first, then the kinds in handshake order.
    for (bool from_initiator : {true, false}) {
      for (size_t kind = 0; kind < kKinds; ++kind) {
        const KindCount& k = b.kinds[from_initiator][kind];
        if (k.sent == 0) continue;
        std::string line =
            from_initiator ? fmt::format("× {} {} from {}", group_thousands(k.sent),
                                         kKindNames[kind], agg.address)
                           : fmt::format("× {} {} back", group_thousands(k.sent), kKindNames[kind]);
        if (k.dropped > 0) {
          line += fmt::format(", {} lost", group_thousands(k.dropped));
          if (k.reasons.size() == 1) line += " (" + *k.reasons.begin() + ")";
        }
        band.lines.push_back(line);
      }
    }
    band.tooltip = fmt::format(
        "{} conversations from sockets no application owns (spoofed sources), {} packets "
        "from {} to {}; filter by connection to see them one by one",
        group_thousands(b.convs), group_thousands(b.packets), format_clock(b.first),
        format_clock(b.last));
    model_.bands.push_back(std::move(band));
  }
}

bool ModelBuilder::socket_mark_selected(const std::string& host, Instant t, SocketAddr local,
                                        SocketAddr remote) const {
  if (!in_window(t) || !host_selected(host) || !existing_lifeline(local)) return false;
  if (zero(remote)) return true;  // a listening socket: shown on its endpoint's lifeline
  ConvKey key = conv_key(local, remote);
  return conversation_selected(key) && !folded_convs_.contains(key);
}

void ModelBuilder::add_state_mark(const StateRecord& s, size_t order) {
  if (!socket_mark_selected(s.host, s.t, s.local, s.remote)) return;
  Mark m;
  m.kind = MarkKind::state;
  m.lifeline = existing_lifeline(s.local);
  m.t = s.t;
  m.text = to_string(s.to);
  // A state inferred from a capture that the capture cannot prove (viz/capture.hpp).
  if (s.inferred) m.text += "?";
  m.cause = to_string(s.cause);
  m.tooltip = fmt::format("{} → {} at {} on {}\ncause: {}{}", to_string(s.from), to_string(s.to),
                          format_clock(s.t), s.host, m.cause, s.inferred ? " (inferred)" : "");
  m.order = order;
  model_.marks.push_back(std::move(m));
}

void ModelBuilder::add_timer_mark(const TimerRecord& t, size_t order) {
  if (!socket_mark_selected(t.host, t.t, t.local, t.remote)) return;
  Mark m;
  m.kind = MarkKind::timer;
  m.lifeline = existing_lifeline(t.local);
  m.t = t.t;
  // The label and the tooltip come from the record's own facts (how long this timer ran,
  // which attempt of how many), never from matching packets by sequence number.
  m.text = timer_text(t);
  m.tooltip = fmt::format("{} timer fired at {} on {} (attempt {}", to_string(t.timer),
                          format_clock(t.t), t.host, t.attempt);
  if (t.limit > 0) m.tooltip += fmt::format(" of {}", t.limit);
  m.tooltip += ")\n" + timer_detail(t);
  m.order = order;
  model_.marks.push_back(std::move(m));
}

void ModelBuilder::add_error_mark(const AppRecord& a, size_t order) {
  if (a.what != AppWhat::error) return;
  if (!socket_mark_selected(a.host, a.t, a.local, a.remote)) return;
  Mark m;
  m.kind = MarkKind::error;
  m.lifeline = existing_lifeline(a.local);
  m.t = a.t;
  m.text = a.error.empty() ? "error" : a.error;
  m.tooltip =
      fmt::format("{} got {} at {}", a.app.empty() ? a.host : a.app, m.text, format_clock(a.t));
  if (!a.detail.empty()) m.tooltip += "\n" + a.detail;
  m.order = order;
  model_.marks.push_back(std::move(m));
}

void ModelBuilder::add_fault_mark(const FaultRecord& f, size_t order) {
  // Per-packet faults (drop, delay, duplicate, corrupt) show on the packets themselves.
  static const std::set<std::string> network_wide{"link_down", "link_up", "set_link", "crash",
                                                  "restart"};
  if (!network_wide.contains(f.what) || !in_window(f.t)) return;
  if (!f.host.empty() && !host_selected(f.host)) return;
  Mark m;
  m.kind = MarkKind::fault;
  m.t = f.t;
  m.text = f.what;
  std::replace(m.text.begin(), m.text.end(), '_', ' ');
  if (!f.detail.empty()) {
    m.text += ": " + f.detail;
  } else if (!f.host.empty()) {
    m.text += ": " + f.host;
  }
  m.tooltip = fmt::format("fault at {}: {}", format_clock(f.t), m.text);
  m.order = order;
  model_.marks.push_back(std::move(m));
}

void ModelBuilder::add_marks() {
  for (size_t i : ix_.order) {
    const TraceRecord& r = records_[i];
    if (const auto* s = std::get_if<StateRecord>(&r)) add_state_mark(*s, i);
    if (const auto* t = std::get_if<TimerRecord>(&r)) add_timer_mark(*t, i);
    if (const auto* a = std::get_if<AppRecord>(&r)) add_error_mark(*a, i);
    if (const auto* f = std::get_if<FaultRecord>(&r)) add_fault_mark(*f, i);
  }
  std::stable_sort(model_.marks.begin(), model_.marks.end(), [](const Mark& a, const Mark& b) {
    return std::tie(a.t, a.order) < std::tie(b.t, b.order);
  });
}

}  // namespace netsim::viz::detail
