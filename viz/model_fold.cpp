// Folding a big transfer: when a diagram would draw more arrows than its limit, runs of
// ordinary packets of one connection (first transmissions and pure ACKs that arrived once)
// become one band each ("× 690 data segments 1:1000001"), while what tells the story stays an
// arrow: handshake, FIN and RST, every loss, every retransmission, duplicates.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "viz/labels.hpp"
#include "viz/model_builder.hpp"
#include "viz/time_format.hpp"

namespace netsim::viz::detail {

namespace {
// Shorter runs stay arrows: folding three packets hides more than it saves.
constexpr size_t kMinRun = 8;
constexpr long kMinData = 4;  // data segments in a run (the rest are ACKs)

bool plain_flags(const Packet& p) {
  const TcpFlags f = p.tcp.flags;
  return !f.syn() && !f.fin() && !f.rst() && f.ack();
}
}  // namespace

ModelBuilder::Fold ModelBuilder::foldable(size_t send, std::vector<End>& ends) const {
  const Packet& p = packet_record(send).packet;
  if (!plain_flags(p)) return Fold::no;
  ends_of(packet_record(send), ends);
  if (ends.size() != 1 || ends[0].then_dropped) return Fold::no;
  const PacketRecord& end = packet_record(ends[0].record);
  if (p.retransmission > 0) {
    // Go-back-N after an RTO resends a whole window: a run of them is one band; a lone
    // retransmission (fast retransmit) never makes a run of kMinRun data segments.
    bool arrived = end.ev == PacketEvent::recv && !p.tcp.payload.empty();
    return arrived ? Fold::retx_data : Fold::no;
  }
  if (p.tcp.payload.empty()) return end.ev == PacketEvent::recv ? Fold::ack : Fold::no;
  // A window of data lost together (a link going down under a full queue, a crashed peer):
  // one band that says so, rather than dozens of crossing half-arrows.
  return end.ev == PacketEvent::recv ? Fold::data : Fold::lost_data;
}

// Where each connection's last delivered new segment of each instant is (its position in
// drawn_): a loss before it is a hole in a window, one after it may start a window lost
// together (a crashed peer).
std::map<std::pair<ConvKey, Instant>, size_t> ModelBuilder::last_delivered_data() const {
  std::map<std::pair<ConvKey, Instant>, size_t> out;
  std::vector<End> ends;
  for (size_t pos = 0; pos < drawn_.size(); ++pos) {
    const PacketRecord& r = packet_record(drawn_[pos]);
    if (foldable(drawn_[pos], ends) == Fold::data)
      out[{conv_key(r.packet.src_addr(), r.packet.dst_addr()), r.t}] = pos;
  }
  return out;
}

// The pure ACKs that complete a handshake: the first packet after a SYN in its direction, over
// the whole trace (the SYN may lie before the time window). The cause of the passive side's
// ESTABLISHED, it stays an arrow rather than hiding in a band of the data after it.
std::set<size_t> ModelBuilder::handshake_final_acks() const {
  std::set<size_t> out;
  std::set<std::pair<SocketAddr, SocketAddr>> after_syn;
  for (size_t i : ix_.order) {
    const auto* r = std::get_if<PacketRecord>(&records_[i]);
    if (!r || r->ev != PacketEvent::send) continue;
    const Packet& p = r->packet;
    std::pair<SocketAddr, SocketAddr> dir{p.src_addr(), p.dst_addr()};
    bool pure_ack = plain_flags(p) && p.tcp.payload.empty();
    if (after_syn.erase(dir) > 0 && pure_ack) out.insert(i);
    if (p.tcp.flags.syn() && !p.tcp.flags.ack()) after_syn.insert(dir);
  }
  return out;
}

void ModelBuilder::fold_flows() {
  // A connection's open run: its packets, and what its data segments are (new and delivered,
  // new and lost, retransmitted): a band never mixes them, so a single loss in a transfer
  // stays an arrow between two bands.
  struct Run {
    std::vector<size_t> packets;
    std::optional<Fold> data;
    size_t holes = 0;
  };
  std::unordered_map<ConvKey, Run, SocketPairHash> open;
  std::vector<size_t> kept;
  std::vector<End> ends;
  auto flush = [&](Run& r) {
    auto& run = r.packets;
    auto data = std::count_if(run.begin(), run.end(), [&](size_t i) {
      return !packet_record(i).packet.tcp.payload.empty();
    });
    if (run.size() >= kMinRun && data >= kMinData) {
      flow_holes_[run.front()] = r.holes;
      flow_runs_.push_back(std::move(run));
    } else {
      kept.insert(kept.end(), run.begin(), run.end());
    }
    run.clear();
    r.holes = 0;
  };
  auto last_data = last_delivered_data();
  const std::set<size_t> handshake_acks = handshake_final_acks();
  for (size_t pos = 0; pos < drawn_.size(); ++pos) {
    size_t i = drawn_[pos];
    const Packet& p = packet_record(i).packet;
    ConvKey key = conv_key(p.src_addr(), p.dst_addr());
    Fold f = foldable(i, ends);
    if (f == Fold::ack && handshake_acks.count(i) > 0) f = Fold::no;
    if (f != Fold::no) {
      Run& run = open[key];
      // A segment lost among a window sent at one instant stays an arrow, and the band goes
      // on around it: a window cut at each loss would be drawn a row per segment, a fan of
      // steep arrows no label fits between.
      auto later = last_data.find({key, packet_record(i).t});
      if (f == Fold::lost_data && run.data == Fold::data && !run.packets.empty() &&
          packet_record(run.packets.back()).t == packet_record(i).t && later != last_data.end() &&
          later->second > pos) {
        kept.push_back(i);
        ++run.holes;
        continue;
      }
      if (f != Fold::ack) {
        if (run.data && *run.data != f) flush(run);
        run.data = f;
      }
      run.packets.push_back(i);
      continue;
    }
    // A packet that stays an arrow ends its connection's run: a band never hides it.
    if (auto it = open.find(key); it != open.end()) {
      flush(it->second);
      it->second.data.reset();
    }
    kept.push_back(i);
  }
  std::vector<ConvKey> keys;
  for (const auto& [key, run] : open)
    keys.push_back(key);
  std::sort(keys.begin(), keys.end());  // not the hash map's order
  for (const auto& key : keys)
    flush(open[key]);
  std::sort(kept.begin(), kept.end(), [&](size_t a, size_t b) {
    return std::tie(packet_record(a).t, a) < std::tie(packet_record(b).t, b);
  });
  std::sort(flow_runs_.begin(), flow_runs_.end(), [&](const auto& a, const auto& b) {
    return std::tie(packet_record(a.front()).t, a.front()) <
           std::tie(packet_record(b.front()).t, b.front());
  });
  drawn_ = std::move(kept);
}

// What one folded run holds, gathered over its sends.
struct RunTally {
  SocketAddr data_src, data_dst;
  uint64_t data = 0, acks = 0, bytes = 0, lost = 0;
  // Pure ACKs by sender: those from the data's receiver are the ones going back.
  struct Acks {
    uint64_t n = 0;
    uint32_t last = 0;
  };
  std::map<SocketAddr, Acks> acks_from;
  uint16_t retx_lo = UINT16_MAX, retx_hi = 0;
  std::set<std::string> reasons;
  std::optional<uint32_t> seq_lo, seq_hi;
  Instant first = Instant::max(), last = Instant::zero();
  std::optional<size_t> first_record;
  size_t holes = 0;  // lost segments among the run's, drawn as arrows
};

namespace {

// The band's text: "× 44 data segments 116801:181041, all lost (host down)" and the ACKs.
std::vector<std::string> band_lines(const RunTally& a) {
  std::string lost;
  if (a.lost > 0) {
    std::string why;
    for (const auto& r : a.reasons)
      why += (why.empty() ? "" : ", ") + r;
    lost = fmt::format(", {} lost ({})", a.lost == a.data ? "all" : group_thousands(a.lost), why);
  }
  if (a.holes > 0) lost += fmt::format(" around {} lost", a.holes);
  std::string what = "data segment";
  if (a.retx_hi > 0) {
    what = "retransmitted segment";
    lost += a.retx_lo == a.retx_hi ? fmt::format(" (retx #{})", a.retx_hi)
                                   : fmt::format(" (retx #{}-#{})", a.retx_lo, a.retx_hi);
  }
  std::vector<std::string> lines{fmt::format("× {} {}{} {}:{}{}", group_thousands(a.data), what,
                                             a.data == 1 ? "" : "s", a.seq_lo.value_or(0),
                                             a.seq_hi.value_or(0), lost)};
  auto acks_line = [&](SocketAddr from, const char* way) {
    auto it = a.acks_from.find(from);
    if (it == a.acks_from.end()) return;
    const RunTally::Acks& k = it->second;
    lines.push_back(fmt::format("× {} ACK{} {}, last ack={}", group_thousands(k.n),
                                k.n == 1 ? "" : "s", way, k.last));
  };
  acks_line(a.data_dst, "back");
  acks_line(a.data_src, "with the data");
  return lines;
}

}  // namespace

void ModelBuilder::add_flow_bands() {
  if (flow_runs_.empty()) return;
  std::unordered_map<size_t, size_t> run_of;
  for (size_t r = 0; r < flow_runs_.size(); ++r)
    for (size_t i : flow_runs_[r])
      run_of.emplace(i, r);
  std::vector<RunTally> acc(flow_runs_.size());
  SeqBases bases;
  std::vector<End> ends;
  for (size_t i : ix_.order) {
    const auto* p = std::get_if<PacketRecord>(&records_[i]);
    if (!p || p->ev != PacketEvent::send) continue;
    bases.observe(p->packet);
    auto it = run_of.find(i);
    if (it == run_of.end()) continue;
    RunTally& a = acc[it->second];
    if (!a.first_record) {
      a.first_record = i;  // ix_.order runs in (time, record) order
      a.holes = flow_holes_[flow_runs_[it->second].front()];
    }
    tally_send(*p, bases, ends, a);
  }
  for (const RunTally& a : acc) {
    Band band;
    band.from = lifeline_for(a.data_src);
    band.to = lifeline_for(a.data_dst);
    band.first = a.first;
    band.last = a.last;
    band.order = a.first_record.value_or(0);
    band.packets = a.data + a.acks;
    band.lines = band_lines(a);
    band.tooltip = fmt::format(
        "{} packets of {}-{} folded ({} bytes of data), from {} to {}; losses and "
        "retransmissions are drawn as arrows. Narrow the time window (--from/--to) or raise "
        "the arrow limit to see them one by one",
        group_thousands(band.packets), a.data_src.to_string(), a.data_dst.to_string(),
        group_thousands(a.bytes), format_clock(a.first), format_clock(a.last));
    model_.bands.push_back(std::move(band));
  }
}

void ModelBuilder::tally_send(const PacketRecord& p, const SeqBases& bases, std::vector<End>& ends,
                              RunTally& a) const {
  const Packet& pk = p.packet;
  auto rel = [&](SocketAddr s, SocketAddr d, SeqNum v) {
    auto b = opt_.relative_seq ? bases.base(s, d) : std::nullopt;
    return v.raw() - b.value_or(0);
  };
  // The band spans the run's sends: consecutive runs of a connection never overlap, and
  // the arrows between them (a loss, its dupACKs) are not drawn over a band.
  a.first = std::min(a.first, p.t);
  a.last = std::max(a.last, p.t);
  ends_of(p, ends);
  for (const End& e : ends) {
    const PacketRecord& end = packet_record(e.record);
    if (end.ev == PacketEvent::drop) {
      ++a.lost;
      a.reasons.insert(drop_reason_text(end.reason, end.detail));
    }
  }
  if (pk.tcp.payload.empty()) {
    ++a.acks;
    // The ACK's number is in the opposite direction's space.
    RunTally::Acks& k = a.acks_from[pk.src_addr()];
    ++k.n;
    k.last = rel(pk.dst_addr(), pk.src_addr(), pk.tcp.ack);
    return;
  }
  if (a.data == 0) {
    a.data_src = pk.src_addr();
    a.data_dst = pk.dst_addr();
    a.seq_lo = rel(pk.src_addr(), pk.dst_addr(), pk.tcp.seq);
  }
  ++a.data;
  a.bytes += pk.tcp.payload.size();
  if (pk.retransmission > 0) {
    a.retx_lo = std::min(a.retx_lo, pk.retransmission);
    a.retx_hi = std::max(a.retx_hi, pk.retransmission);
  }
  a.seq_hi =
      rel(pk.src_addr(), pk.dst_addr(), pk.tcp.seq + static_cast<uint32_t>(pk.tcp.payload.size()));
}

}  // namespace netsim::viz::detail
