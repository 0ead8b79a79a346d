// Folding a big transfer: when a diagram would draw more arrows than its limit, runs of
// ordinary packets of one connection (first transmissions and pure ACKs that arrived once)
// become one band each ("× 690 data segments 1:1000001"), while what tells the story stays an
// arrow: handshake, FIN and RST, every loss, every retransmission, duplicates.
#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "viz/labels.hpp"
#include "viz/model_builder.hpp"
#include "viz/time_format.hpp"

namespace netsim::viz::detail {

namespace {
// Shorter runs stay arrows: folding three packets hides more than it saves.
constexpr size_t kMinRun = 8;

bool plain_flags(const Packet& p) {
  const TcpFlags f = p.tcp.flags;
  return !f.syn() && !f.fin() && !f.rst() && f.ack();
}
}  // namespace

bool ModelBuilder::foldable(size_t send, std::vector<End>& ends) const {
  const Packet& p = packet_record(send).packet;
  if (!plain_flags(p) || p.retransmission > 0) return false;
  ends_of(packet_record(send), ends);
  return ends.size() == 1 && !ends[0].then_dropped &&
         packet_record(ends[0].record).ev == PacketEvent::recv;
}

void ModelBuilder::fold_flows() {
  std::unordered_map<ConvKey, std::vector<size_t>, SocketPairHash> open;
  std::vector<size_t> kept;
  std::vector<End> ends;
  auto flush = [&](std::vector<size_t>& run) {
    bool data = std::any_of(run.begin(), run.end(),
                            [&](size_t i) { return !packet_record(i).packet.tcp.payload.empty(); });
    if (run.size() >= kMinRun && data) {
      flow_runs_.push_back(std::move(run));
    } else {
      kept.insert(kept.end(), run.begin(), run.end());
    }
    run.clear();
  };
  for (size_t i : drawn_) {
    const Packet& p = packet_record(i).packet;
    ConvKey key = conv_key(p.src_addr(), p.dst_addr());
    if (foldable(i, ends)) {
      open[key].push_back(i);
      continue;
    }
    // A packet that stays an arrow ends its connection's run: the band never hides it.
    if (auto it = open.find(key); it != open.end()) flush(it->second);
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

void ModelBuilder::add_flow_bands() {
  if (flow_runs_.empty()) return;
  std::unordered_map<size_t, size_t> run_of;
  for (size_t r = 0; r < flow_runs_.size(); ++r)
    for (size_t i : flow_runs_[r])
      run_of.emplace(i, r);
  struct Acc {
    SocketAddr data_src, data_dst;
    uint64_t data = 0, acks = 0, bytes = 0;
    std::optional<uint32_t> seq_lo, seq_hi, last_ack;
    Instant first = Instant::max(), last = Instant::zero();
  };
  std::vector<Acc> acc(flow_runs_.size());
  SeqBases bases;
  std::vector<End> ends;
  for (size_t i : ix_.order) {
    const auto* p = std::get_if<PacketRecord>(&records_[i]);
    if (!p || p->ev != PacketEvent::send) continue;
    bases.observe(p->packet);
    auto it = run_of.find(i);
    if (it == run_of.end()) continue;
    Acc& a = acc[it->second];
    const Packet& pk = p->packet;
    auto rel = [&](SocketAddr s, SocketAddr d, SeqNum v) {
      auto b = opt_.relative_seq ? bases.base(s, d) : std::nullopt;
      return v.raw() - b.value_or(0);
    };
    a.first = std::min(a.first, p->t);
    ends_of(*p, ends);
    for (const End& e : ends)
      a.last = std::max(a.last, packet_record(e.record).t);
    if (!pk.tcp.payload.empty()) {
      if (a.data == 0) {
        a.data_src = pk.src_addr();
        a.data_dst = pk.dst_addr();
        a.seq_lo = rel(pk.src_addr(), pk.dst_addr(), pk.tcp.seq);
      }
      ++a.data;
      a.bytes += pk.tcp.payload.size();
      a.seq_hi = rel(pk.src_addr(), pk.dst_addr(),
                     pk.tcp.seq + static_cast<uint32_t>(pk.tcp.payload.size()));
    } else {
      ++a.acks;
      // The ACK's number is in the data direction's space.
      a.last_ack = rel(pk.dst_addr(), pk.src_addr(), pk.tcp.ack);
    }
  }
  for (size_t r = 0; r < flow_runs_.size(); ++r) {
    const Acc& a = acc[r];
    Band band;
    band.from = lifeline_for(a.data_src);
    band.to = lifeline_for(a.data_dst);
    band.first = a.first;
    band.last = a.last;
    band.packets = a.data + a.acks;
    band.lines.push_back(fmt::format("× {} data segment{} {}:{}", group_thousands(a.data),
                                     a.data == 1 ? "" : "s", a.seq_lo.value_or(0),
                                     a.seq_hi.value_or(0)));
    if (a.acks > 0) {
      band.lines.push_back(fmt::format("× {} ACK{} back, last ack={}", group_thousands(a.acks),
                                       a.acks == 1 ? "" : "s", a.last_ack.value_or(0)));
    }
    band.tooltip = fmt::format(
        "{} packets of {}-{} folded ({} bytes of data), from {} to {}; losses and "
        "retransmissions are drawn as arrows. Narrow the time window (--from/--to) or raise "
        "the arrow limit to see them one by one",
        group_thousands(band.packets), a.data_src.to_string(), a.data_dst.to_string(),
        group_thousands(a.bytes), format_clock(a.first), format_clock(a.last));
    model_.bands.push_back(std::move(band));
  }
}

}  // namespace netsim::viz::detail
