// Computing a plot's series from trace records: queue lengths and cwnd from counter records,
// established connections from state records, drops and bytes in flight from packet records.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "viz/model_index.hpp"
#include "viz/plot.hpp"

namespace netsim::viz {
namespace {

using detail::conv_key;
using detail::ConvKey;
using detail::TraceIndex;

// A series before the time window is applied. `initial` is the value before the first point
// (none: unknown, e.g. a cwnd before its first trace record).
struct RawSeries {
  std::string name;
  std::optional<int64_t> initial;
  std::vector<SeriesPoint> points;
  bool secondary = false;
  bool dashed = false;
};

// One socket seen from its host.
using SocketKey = std::tuple<std::string, SocketAddr, SocketAddr>;

class SeriesBuilder {
 public:
  SeriesBuilder(const std::vector<TraceRecord>& records, const PlotOptions& options)
      : records_(records), opt_(options), ix_(detail::build_index(records)) {
    if (opt_.kind != PlotKind::syn_queue && opt_.kind != PlotKind::accept_queue) {
      try {
        convs_ = detail::select_conversations(ix_, opt_.connections);
      } catch (const DiagramError& e) {
        throw ChartError(e.what());
      }
    }
  }

  PlotData build();

 private:
  bool host_selected(const std::string& h) const {
    return opt_.hosts.empty() ||
           std::find(opt_.hosts.begin(), opt_.hosts.end(), h) != opt_.hosts.end();
  }
  bool conv_selected(SocketAddr a, SocketAddr b) const {
    return !convs_ || convs_->contains(conv_key(a, b));
  }
  void check_hosts() const;
  std::set<SocketAddr> selected_listeners() const;
  std::vector<RawSeries> queue_series(const std::string& counter) const;
  std::vector<RawSeries> established_series() const;
  std::vector<RawSeries> drop_series() const;
  std::vector<RawSeries> cwnd_series(std::string& subject) const;
  void seq_graph(PlotData& d) const;
  // Where the senders' windows were cut: RTO firings and other retransmissions.
  void loss_markers(const std::vector<SocketKey>& senders) const;
  void check_one_connection(const std::vector<SocketKey>& order) const;
  mutable std::vector<PlotMarker> markers_;
  std::string endpoint_text(const std::string& host, SocketAddr local) const;

  const std::vector<TraceRecord>& records_;
  const PlotOptions& opt_;
  TraceIndex ix_;
  std::optional<std::set<ConvKey>> convs_;
};

std::string join(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names)
    out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

void SeriesBuilder::check_hosts() const {
  for (const auto& h : opt_.hosts) {
    if (!ix_.hosts.contains(h)) {
      throw ChartError(fmt::format("no host \"{}\" in this trace (hosts: {})", h, join(ix_.hosts)));
    }
  }
}

// "web on server 10.0.0.2:80", or "server 10.0.0.2:80" for a socket no app owns.
std::string SeriesBuilder::endpoint_text(const std::string& host, SocketAddr local) const {
  std::string s = host + " " + local.to_string();
  if (auto it = ix_.app_of.find(local); it != ix_.app_of.end()) s = it->second + " on " + s;
  return s;
}

// The listeners of the named applications; every listener when there is no filter.
std::set<SocketAddr> SeriesBuilder::selected_listeners() const {
  std::set<SocketAddr> out;
  for (const auto& name : opt_.connections) {
    auto it = ix_.listeners_of_app.find(name);
    if (it == ix_.listeners_of_app.end()) {
      std::set<std::string> apps;
      for (const auto& [app, socks] : ix_.listeners_of_app)
        apps.insert(app);
      throw ChartError(fmt::format(
          "no listening application \"{}\": a queue plot takes the name of a server app "
          "(listening apps in this trace: {})",
          name, join(apps)));
    }
    out.insert(it->second.begin(), it->second.end());
  }
  return out;
}

std::vector<RawSeries> SeriesBuilder::queue_series(const std::string& counter) const {
  std::set<SocketAddr> listeners = selected_listeners();
  std::map<std::pair<std::string, SocketAddr>, RawSeries> by_listener;
  for (size_t i : ix_.order) {
    const auto* c = std::get_if<CounterRecord>(&records_[i]);
    if (c == nullptr || c->name != counter || !host_selected(c->host)) continue;
    if (!opt_.connections.empty() && !listeners.contains(c->local)) continue;
    auto [it, fresh] = by_listener.try_emplace({c->host, c->local});
    if (fresh) it->second = RawSeries{endpoint_text(c->host, c->local), 0, {}, false, false};
    it->second.points.push_back({c->t, c->value});
  }
  std::vector<RawSeries> out;
  for (auto& [key, s] : by_listener)
    out.push_back(std::move(s));
  return out;
}

// RFC 1213 tcpCurrEstab: "the number of TCP connections for which the current state is either
// ESTABLISHED or CLOSE-WAIT" (Linux's CurrEstab counts the same).
bool counts_as_established(TcpState state) {
  switch (state) {
    case TcpState::established:
    case TcpState::close_wait:
      return true;
    case TcpState::closed:
    case TcpState::listen:
    case TcpState::syn_sent:
    case TcpState::syn_received:
    case TcpState::fin_wait_1:
    case TcpState::fin_wait_2:
    case TcpState::closing:
    case TcpState::last_ack:
    case TcpState::time_wait:
      return false;
  }
  return false;
}

std::vector<RawSeries> SeriesBuilder::established_series() const {
  std::map<std::string, RawSeries> by_host;
  std::map<std::string, int64_t> count;
  std::set<SocketKey> established;
  for (size_t i : ix_.order) {
    const auto* s = std::get_if<StateRecord>(&records_[i]);
    if (s == nullptr || !host_selected(s->host) || !conv_selected(s->local, s->remote)) continue;
    auto [it, fresh] = by_host.try_emplace(s->host);
    if (fresh) it->second = RawSeries{s->host, 0, {}, false, false};
    SocketKey key{s->host, s->local, s->remote};
    bool was = established.contains(key), is = counts_as_established(s->to);
    if (was == is) continue;
    if (is) {
      established.insert(key);
    } else {
      established.erase(key);
    }
    int64_t& n = count[s->host];
    n += is ? 1 : -1;
    it->second.points.push_back({s->t, n});
  }
  std::vector<RawSeries> out;
  for (auto& [host, s] : by_host)
    out.push_back(std::move(s));
  return out;
}

std::vector<RawSeries> SeriesBuilder::drop_series() const {
  std::map<DropReason, RawSeries> by_reason;
  for (size_t i : ix_.order) {
    const auto* p = std::get_if<PacketRecord>(&records_[i]);
    if (p == nullptr || p->ev != PacketEvent::drop || !host_selected(p->host)) continue;
    if (!conv_selected(p->packet.src_addr(), p->packet.dst_addr())) continue;
    auto [it, fresh] = by_reason.try_emplace(p->reason);
    if (fresh) it->second = RawSeries{std::string(to_string(p->reason)), 0, {}, false, false};
    int64_t n = it->second.points.empty() ? 0 : it->second.points.back().value;
    it->second.points.push_back({p->t, n + 1});
  }
  std::vector<RawSeries> out;
  for (auto& [reason, s] : by_reason)
    out.push_back(std::move(s));
  return out;
}

// The bytes a sender has in flight, read off the packets at the sender's host: the highest
// sequence number sent minus the highest ACK received (RFC 5681 FlightSize; SYN and FIN count
// one, as in SND.NXT - SND.UNA), less what the receiver's SACK blocks cover above that ACK. So
// a SACKed segment leaves the flight as in Linux's tcp_packets_in_flight() (packets_out -
// sacked_out - lost_out + retrans_out) and RFC 6675's pipe; their estimate of what is lost
// (lost_out) is the sender's guess and is not visible on the wire, so during recovery the line
// may stand above what Linux counts until the retransmission is acknowledged.
struct Sender {
  RawSeries cwnd, flight, ssthresh;
  bool tracking = false;  // from the first data segment on
  SeqNum snd_max, snd_una;
  std::vector<SackBlock> sacked;  // disjoint, ascending, within (snd_una, snd_max]
  int64_t last_flight = 0;

  void note_flight(Instant t) {
    int64_t f = std::max<int32_t>(snd_max - snd_una, 0);
    for (const SackBlock& b : sacked)
      f -= b.right - b.left;
    f = std::max<int64_t>(f, 0);
    if (f == last_flight) return;
    last_flight = f;
    flight.points.push_back({t, f});
  }

  // A new cumulative ACK: blocks at or below it are no longer "selectively" acknowledged.
  void advance_una(SeqNum ack) {
    snd_una = ack;
    std::erase_if(sacked, [&](const SackBlock& b) { return b.right <= snd_una; });
    for (SackBlock& b : sacked)
      b.left = seq_max(b.left, snd_una);
  }

  // Merges the ACK's SACK blocks (a D-SACK block below SND.UNA, or repeating one already held,
  // adds nothing).
  void note_sack(const std::vector<SackBlock>& blocks) {
    for (const SackBlock& in : blocks) {
      SackBlock b{seq_max(in.left, snd_una), seq_min(in.right, snd_max)};
      if (!(b.left < b.right)) continue;
      sacked.push_back(b);
    }
    std::sort(sacked.begin(), sacked.end(),
              [](const SackBlock& a, const SackBlock& b) { return a.left < b.left; });
    std::vector<SackBlock> merged;
    for (const SackBlock& b : sacked) {
      if (!merged.empty() && !(merged.back().right < b.left)) {
        merged.back().right = seq_max(merged.back().right, b.right);
      } else {
        merged.push_back(b);
      }
    }
    sacked = std::move(merged);
  }
};

std::vector<RawSeries> SeriesBuilder::cwnd_series(std::string& subject) const {
  std::map<SocketKey, Sender> senders;
  std::vector<SocketKey> order;  // first seen first
  auto sender = [&](const SocketKey& key) -> Sender& {
    auto [it, fresh] = senders.try_emplace(key);
    if (fresh) order.push_back(key);
    return it->second;
  };
  for (size_t i : ix_.order) {
    if (const auto* c = std::get_if<CounterRecord>(&records_[i])) {
      bool cwnd = c->name == "cwnd";
      if ((!cwnd && c->name != "ssthresh") || !host_selected(c->host) ||
          !conv_selected(c->local, c->remote)) {
        continue;
      }
      Sender& s = sender({c->host, c->local, c->remote});
      (cwnd ? s.cwnd : s.ssthresh).points.push_back({c->t, c->value});
      continue;
    }
    const auto* p = std::get_if<PacketRecord>(&records_[i]);
    if (p == nullptr || !host_selected(p->host)) continue;
    const Segment& seg = p->packet.tcp;
    if (p->ev == PacketEvent::send) {
      SocketKey key{p->host, p->packet.src_addr(), p->packet.dst_addr()};
      auto it = senders.find(key);
      if (it == senders.end() && seg.payload.empty()) continue;
      if (!conv_selected(std::get<1>(key), std::get<2>(key))) continue;
      Sender& s = it != senders.end() ? it->second : sender(key);
      if (!s.tracking) {
        if (seg.payload.empty()) continue;
        // Data flows only once the handshake is done: everything before this segment is acked.
        s.tracking = true;
        s.snd_max = s.snd_una = seg.seq;
      }
      s.snd_max = seq_max(s.snd_max, seg.seq + seg.seq_len());
      s.note_flight(p->t);
    } else if (p->ev == PacketEvent::recv && seg.flags.ack()) {
      auto it = senders.find({p->host, p->packet.dst_addr(), p->packet.src_addr()});
      if (it == senders.end() || !it->second.tracking) continue;
      Sender& s = it->second;
      // An ACK beyond anything sent is not ours to count (it cannot be acceptable).
      if (seg.ack > s.snd_una && seg.ack <= s.snd_max) s.advance_una(seg.ack);
      s.note_sack(seg.options.sack);
      s.note_flight(p->t);
    }
  }
  // Only endpoints that sent data are senders (every established socket traces its cwnd).
  std::erase_if(order, [&](const SocketKey& k) { return !senders.at(k).tracking; });
  check_one_connection(order);
  std::vector<RawSeries> out;
  for (const auto& key : order) {
    const auto& [host, local, remote] = key;
    Sender& s = senders.at(key);
    std::string prefix = order.size() > 1 ? host + " " : "";
    s.cwnd.name = prefix + "cwnd";
    s.flight = RawSeries{prefix + "bytes in flight", 0, std::move(s.flight.points), true, false};
    std::string peer = remote.to_string();
    if (auto h = ix_.host_of(remote.addr)) peer = *h + " " + peer;
    subject += fmt::format("{}{} → {}", subject.empty() ? "sender " : "; ",
                           endpoint_text(host, local), peer);
    if (!s.cwnd.points.empty()) out.push_back(std::move(s.cwnd));
    if (!s.ssthresh.points.empty()) {
      s.ssthresh.name = prefix + "ssthresh";
      s.ssthresh.dashed = true;
      out.push_back(std::move(s.ssthresh));
    }
    out.push_back(std::move(s.flight));
  }
  loss_markers(order);
  return out;
}

// The cwnd plot's senders must belong to one connection.
void SeriesBuilder::check_one_connection(const std::vector<SocketKey>& order) const {
  if (order.size() <= 2) return;
  std::string list;
  for (size_t i = 0; i < order.size() && i < 6; ++i) {
    const auto& [host, local, remote] = order[i];
    list += fmt::format("{}{} {} > {}", i ? ", " : "", host, local.to_string(), remote.to_string());
  }
  if (order.size() > 6) list += ", ...";
  throw ChartError(
      fmt::format("the cwnd plot draws one connection (its two senders at most); this trace has {} "
                  "senders ({}): choose one with a connection filter (an app name or a 4-tuple)",
                  order.size(), list));
}

// RTO and tail-loss probe firings (RFC 8985 §7) mark their moment; any other retransmission
// is a fast retransmit (dupACKs, SACK, RACK).
void SeriesBuilder::loss_markers(const std::vector<SocketKey>& senders) const {
  std::set<std::pair<SocketKey, Instant>> rto_at;
  for (size_t i : ix_.order) {
    const auto* t = std::get_if<TimerRecord>(&records_[i]);
    if (!t || t->attempt == 0) continue;
    if (t->timer != TimerKind::rto && t->timer != TimerKind::loss_probe) continue;
    SocketKey key{t->host, t->local, t->remote};
    if (std::find(senders.begin(), senders.end(), key) == senders.end()) continue;
    rto_at.insert({key, t->t});
    if (t->timer == TimerKind::rto) {
      markers_.push_back({PlotMarker::Kind::rto, t->t, "RTO"});
    } else {
      markers_.push_back({PlotMarker::Kind::tlp, t->t, "TLP"});
    }
  }
  std::set<Instant> fast_at;
  for (size_t i : ix_.order) {
    const auto* p = std::get_if<PacketRecord>(&records_[i]);
    if (!p || p->ev != PacketEvent::send || p->packet.retransmission == 0) continue;
    if (p->packet.tcp.payload.empty() && !p->packet.tcp.flags.fin()) continue;
    SocketKey key{p->host, p->packet.src_addr(), p->packet.dst_addr()};
    if (std::find(senders.begin(), senders.end(), key) == senders.end()) continue;
    if (rto_at.contains({key, p->t}) || !fast_at.insert(p->t).second) continue;
    markers_.push_back({PlotMarker::Kind::fast_retransmit, p->t, "fast retx"});
  }
  std::stable_sort(markers_.begin(), markers_.end(),
                   [](const PlotMarker& a, const PlotMarker& b) { return a.t < b.t; });
}

// One direction of one connection: the direction that sent the most payload among the
// selected conversations (a connection filter picks the connection when there are several).
void SeriesBuilder::seq_graph(PlotData& d) const {
  using Dir = std::tuple<std::string, SocketAddr, SocketAddr>;  // sender host, src, dst
  std::map<Dir, uint64_t> bytes;
  std::set<ConvKey> convs;
  for (size_t i : ix_.order) {
    const auto* p = std::get_if<PacketRecord>(&records_[i]);
    if (!p || p->ev != PacketEvent::send || p->packet.tcp.payload.empty()) continue;
    if (!host_selected(p->host) || !conv_selected(p->packet.src_addr(), p->packet.dst_addr())) {
      continue;
    }
    bytes[{p->host, p->packet.src_addr(), p->packet.dst_addr()}] += p->packet.tcp.payload.size();
    convs.insert(conv_key(p->packet.src_addr(), p->packet.dst_addr()));
  }
  d.start = opt_.from.value_or(Instant::zero());
  d.end = opt_.to.value_or(std::max(ix_.last, d.start + Duration::milliseconds(1)));
  if (bytes.empty()) return;
  if (convs.size() > 1) {
    throw ChartError(fmt::format(
        "the time-sequence graph draws one connection; {} connections in this trace carry "
        "data: choose one with a connection filter (an app name or a 4-tuple)",
        convs.size()));
  }
  Dir dir = std::max_element(bytes.begin(), bytes.end(), [](const auto& a, const auto& b) {
              return a.second < b.second;
            })->first;
  const auto& [host, src, dst] = dir;
  std::optional<uint32_t> isn;
  std::optional<uint8_t> scale_src, scale_dst;  // window scales announced in the two SYNs
  for (size_t i : ix_.order) {
    const auto* p = std::get_if<PacketRecord>(&records_[i]);
    if (!p || p->ev != PacketEvent::send || !p->packet.tcp.flags.syn()) continue;
    if (p->packet.src_addr() == src && p->packet.dst_addr() == dst) {
      isn = p->packet.tcp.seq.raw();
      scale_src = p->packet.tcp.options.window_scale;
    } else if (p->packet.src_addr() == dst && p->packet.dst_addr() == src) {
      scale_dst = p->packet.tcp.options.window_scale;
    }
  }
  SeqGraph& g = d.seq;
  g.ack.name = "ACK";
  g.window.name = "receive window (ACK + window)";
  g.window.dashed = true;
  auto rel = [&](SeqNum v) { return static_cast<int64_t>(v.raw() - isn.value_or(0)); };
  for (size_t i : ix_.order) {
    const auto* p = std::get_if<PacketRecord>(&records_[i]);
    if (!p || p->t < d.start || p->t > d.end) continue;
    const Segment& seg = p->packet.tcp;
    if (p->ev == PacketEvent::send && p->host == host && p->packet.src_addr() == src &&
        p->packet.dst_addr() == dst && !seg.payload.empty()) {
      if (!isn) isn = seg.seq.raw() - 1;  // no SYN seen: the first byte is 1, as tcpdump
      bool lost = false;
      for (size_t e : ix_.ends_of_uid(p->packet.uid)) {
        lost = lost || std::get<PacketRecord>(records_[e]).ev == PacketEvent::drop;
      }
      g.segments.push_back({p->t, rel(seg.seq),
                            rel(seg.seq + static_cast<uint32_t>(seg.payload.size())),
                            p->packet.retransmission > 0, lost});
    } else if (p->ev == PacketEvent::recv && p->host == host && p->packet.src_addr() == dst &&
               p->packet.dst_addr() == src && seg.flags.ack() && isn) {
      int64_t ack = rel(seg.ack);
      // RFC 7323 §2.2: the window of a SYN is never scaled; others only when both SYNs
      // carried the option.
      int shift = !seg.flags.syn() && scale_src && scale_dst ? *scale_dst : 0;
      g.ack.points.push_back({p->t, ack});
      g.window.points.push_back({p->t, ack + (int64_t{seg.window} << shift)});
      for (const auto& b : seg.options.sack)
        g.sacks.push_back({p->t, rel(b.left), rel(b.right)});
    }
  }
  d.subject = fmt::format("{} {} → {}", host, src.to_string(), dst.to_string());
  if (auto h = ix_.host_of(dst.addr)) d.subject += " (" + *h + ")";
  if (!g.segments.empty()) d.note.clear();
  if (!opt_.to && !g.segments.empty()) {
    Instant last = std::max(g.segments.back().t,
                            g.ack.points.empty() ? Instant::zero() : g.ack.points.back().t);
    d.end = last + (last - d.start) / 32 + Duration::nanoseconds(1);
  }
}

// The value in force at `start`, then every point in [start, end].
Series windowed(RawSeries raw, Instant start, Instant end) {
  Series s{std::move(raw.name), {}, raw.secondary, raw.dashed};
  std::optional<int64_t> carry = raw.initial;
  auto first_in = std::lower_bound(raw.points.begin(), raw.points.end(), start,
                                   [](const SeriesPoint& p, Instant t) { return p.t < t; });
  if (first_in != raw.points.begin()) carry = std::prev(first_in)->value;
  if (carry && (first_in == raw.points.end() || first_in->t != start)) {
    s.points.push_back({start, *carry});
  }
  for (auto it = first_in; it != raw.points.end() && it->t <= end; ++it)
    s.points.push_back(*it);
  return s;
}

PlotData SeriesBuilder::build() {
  check_hosts();
  PlotData d;
  d.kind = opt_.kind;
  std::vector<RawSeries> raw;
  switch (opt_.kind) {
    case PlotKind::syn_queue:
      d.title = "SYN queue length";
      d.y_label = "requests in the SYN queue";
      d.note = "no SYN-queue change in this trace (no listener received a SYN)";
      raw = queue_series("syn_queue");
      break;
    case PlotKind::accept_queue:
      d.title = "Accept queue length";
      d.y_label = "connections waiting for accept()";
      d.note = "no accept-queue change in this trace (no connection completed on a listener)";
      raw = queue_series("accept_queue");
      break;
    case PlotKind::established:
      d.title = "Established connections";
      d.subject = "per host: connections in ESTABLISHED or CLOSE_WAIT (RFC 1213 tcpCurrEstab)";
      d.y_label = "connections";
      d.note = "no connection changed state in this trace";
      raw = established_series();
      break;
    case PlotKind::drops:
      d.title = "Packets dropped, by reason";
      d.y_label = "packets dropped so far";
      d.note = "no packet was dropped";
      raw = drop_series();
      break;
    case PlotKind::tcptrace:
      d.title = "Time-sequence graph";
      d.y_label = "relative sequence number (bytes)";
      d.note = "no data segment in this trace";
      seq_graph(d);
      return d;
    case PlotKind::cwnd:
      d.title = "Congestion window and bytes in flight";
      d.y_label = "bytes";
      d.note = "nothing was sent: no congestion window and no data in this trace";
      raw = cwnd_series(d.subject);
      break;
  }
  d.start = opt_.from.value_or(Instant::zero());
  std::optional<Instant> last;
  for (const auto& r : raw) {
    if (!r.points.empty() && r.points.back().t > d.start)
      last = std::max(last.value_or(d.start), r.points.back().t);
  }
  if (opt_.to) {
    d.end = *opt_.to;
  } else if (last) {
    // A little room after the last change, so a final step is seen to hold.
    d.end = *last + (*last - d.start) / 32;
  } else {
    d.end = std::max(ix_.last, d.start + Duration::seconds(1));
  }
  for (auto& r : raw) {
    Series s = windowed(std::move(r), d.start, d.end);
    if (!s.points.empty()) d.series.push_back(std::move(s));
  }
  if (!d.series.empty()) d.note.clear();
  for (const auto& m : markers_) {
    if (m.t >= d.start && m.t <= d.end) d.markers.push_back(m);
  }
  return d;
}

}  // namespace

std::string_view to_string(PlotKind k) {
  switch (k) {
    case PlotKind::syn_queue:
      return "syn_queue";
    case PlotKind::accept_queue:
      return "accept_queue";
    case PlotKind::established:
      return "established";
    case PlotKind::drops:
      return "drops";
    case PlotKind::cwnd:
      return "cwnd";
    case PlotKind::tcptrace:
      return "tcptrace";
  }
  return "?";
}

std::optional<PlotKind> parse_plot_kind(std::string_view s) {
  for (auto k : {PlotKind::syn_queue, PlotKind::accept_queue, PlotKind::established,
                 PlotKind::drops, PlotKind::cwnd, PlotKind::tcptrace}) {
    if (to_string(k) == s) return k;
  }
  if (s == "seqgraph") return PlotKind::tcptrace;  // Wireshark's and the textbooks' name
  return std::nullopt;
}

std::string plot_kind_list() {
  return "syn_queue, accept_queue, established, drops, cwnd or tcptrace";
}

int64_t Series::peak() const {
  int64_t m = 0;
  for (const auto& p : points)
    m = std::max(m, p.value);
  return m;
}

PlotData plot_data(const std::vector<TraceRecord>& records, const PlotOptions& options) {
  if (options.from && options.to && *options.to < *options.from) {
    throw ChartError("the plot's time window ends before it starts");
  }
  return SeriesBuilder(records, options).build();
}

}  // namespace netsim::viz
