// Building the diagram model from trace records: filters, send/recv pairing by packet uid,
// labels, and the folding of unowned flood traffic into bands. Marks live in model_marks.cpp.
#include "viz/model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "viz/labels.hpp"
#include "viz/model_builder.hpp"
#include "viz/time_format.hpp"

namespace netsim::viz {

std::vector<std::string> Lifeline::header_lines() const {
  std::vector<std::string> out;
  for (const auto* s : {&host, &address, &app}) {
    if (!s->empty()) out.push_back(*s);
  }
  return out;
}

namespace detail {

namespace {
// More endpoints than this do not fit side by side on a page; unowned ones are folded first.
constexpr size_t kMaxLifelines = 12;

std::string join_names(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names)
    out += (out.empty() ? "" : ", ") + n;
  return out;
}
}  // namespace

ModelBuilder::ModelBuilder(const std::vector<TraceRecord>& records, const DiagramMeta& meta,
                           const DiagramOptions& options)
    : records_(records), meta_(meta), opt_(options), ix_(build_index(records)) {
  if (opt_.from && opt_.to && *opt_.from > *opt_.to) {
    throw DiagramError(fmt::format("the time window is empty: from {} is after to {}",
                                   format_clock(*opt_.from), format_clock(*opt_.to)));
  }
  for (const auto& h : opt_.hosts) {
    if (!ix_.hosts.contains(h)) {
      throw DiagramError(
          fmt::format("no host \"{}\" in this trace; hosts are {}", h, join_names(ix_.hosts)));
    }
  }
  conv_filter_ = select_conversations(ix_, opt_.connections);
  model_.relative_seq = opt_.relative_seq;
}

bool ModelBuilder::in_window(Instant t) const {
  return (!opt_.from || t >= *opt_.from) && (!opt_.to || t <= *opt_.to);
}

bool ModelBuilder::host_selected(const std::string& host) const {
  return opt_.hosts.empty() ||
         std::find(opt_.hosts.begin(), opt_.hosts.end(), host) != opt_.hosts.end();
}

bool ModelBuilder::conversation_selected(const ConvKey& key) const {
  return !conv_filter_ || conv_filter_->contains(key);
}

const PacketRecord& ModelBuilder::packet_record(size_t i) const {
  return std::get<PacketRecord>(records_[i]);
}

// The records that end packet `send`'s life: arrivals at the receiving host (one per copy if
// the network duplicated it) and drops anywhere. A drop by the receiving host right after an
// arrival is the stack refusing what the network delivered: one end, not two.
void ModelBuilder::ends_of(const PacketRecord& send, std::vector<End>& out) const {
  out.clear();
  if (send.packet.uid == 0) return;
  auto ends = ix_.ends_of_uid(send.packet.uid);
  if (ends.empty()) return;
  const std::string* receiver = ix_.host_of(send.packet.dst);
  const std::string* arrived_at = nullptr;  // the host of an arrival not yet refused
  for (size_t j : ends) {
    const auto& end = packet_record(j);
    if (end.ev == PacketEvent::recv) {
      if (receiver && end.host != *receiver) continue;
      out.push_back({j, std::nullopt});
      arrived_at = &end.host;
    } else if (arrived_at && end.host == *arrived_at) {
      out.back().then_dropped = j;
      arrived_at = nullptr;
    } else {
      out.push_back({j, std::nullopt});
    }
  }
}

namespace {

// Counts duplicate ACKs per direction (RFC 5681 §2: no data, no SYN/FIN, the same ACK number
// and window as the ACK before it): the nth one's short label is "dupACK #n".
class DupAcks {
 public:
  // 0 for anything but a duplicate ACK.
  int observe(const Packet& p) {
    const Segment& s = p.tcp;
    bool pure =
        s.payload.empty() && s.flags.ack() && !s.flags.syn() && !s.flags.fin() && !s.flags.rst();
    Last& last = last_[{p.src_addr(), p.dst_addr()}];
    bool dup = pure && last.pure && last.ack == s.ack.raw() && last.window == s.window;
    last = Last{pure, s.ack.raw(), s.window, dup ? last.count + 1 : 0};
    return last.count;
  }

 private:
  struct Last {
    bool pure = false;
    uint32_t ack = 0;
    uint32_t window = 0;
    int count = 0;
  };
  std::map<std::pair<SocketAddr, SocketAddr>, Last> last_;
};

}  // namespace

// Relative sequence numbers need every send seen in time order; only the drawn ones need a
// label (drawn_ is in time order too). The short form (the layout's fallback) leaves a data
// segment's payload preview out and calls a duplicate ACK by its number.
void ModelBuilder::label_packets() {
  SeqBases bases;
  DupAcks dups;
  labels_.reserve(drawn_.size());
  size_t next = 0;
  for (size_t i : ix_.order) {
    const auto* p = std::get_if<PacketRecord>(&records_[i]);
    if (!p || p->ev != PacketEvent::send) continue;
    bases.observe(p->packet);
    int dup = dups.observe(p->packet);
    if (next < drawn_.size() && drawn_[next] == i) {
      const SeqBases* b = opt_.relative_seq ? &bases : nullptr;
      labels_.push_back(packet_label(p->packet, b));
      briefs_.push_back(dup > 0                         ? fmt::format("dupACK #{}", dup)
                        : p->packet.tcp.payload.empty() ? std::string()
                                                        : packet_label(p->packet, b, false));
      ++next;
    }
  }
}

void ModelBuilder::select_packets() {
  for (size_t i : ix_.order) {
    const auto* p = std::get_if<PacketRecord>(&records_[i]);
    if (!p || p->ev != PacketEvent::send || !in_window(p->t)) continue;
    if (!conversation_selected(conv_key(p->packet.src_addr(), p->packet.dst_addr()))) continue;
    if (!opt_.hosts.empty()) {
      const std::string* receiver = ix_.host_of(p->packet.dst);
      if (!host_selected(p->host) && !(receiver && host_selected(*receiver))) continue;
    }
    selected_.push_back(i);
  }
}

bool ModelBuilder::unowned(const ConvKey& key) const {
  auto it = ix_.initiator.find(key);
  return it != ix_.initiator.end() && !ix_.sockets.contains(it->second);
}

size_t ModelBuilder::arrow_count(const std::vector<size_t>& sends) const {
  size_t n = 0;
  std::vector<End> ends;
  for (size_t i : sends) {
    ends_of(packet_record(i), ends);
    n += std::max<size_t>(1, ends.size());
  }
  return n;
}

// A spoofed flood is thousands of one-packet conversations from sockets nobody owns; the
// story is the legitimate connections beside it, so past the size limits those are folded.
void ModelBuilder::fold_unowned() {
  // Only whether the endpoints fit matters: stop counting past the limit.
  std::vector<SocketAddr> endpoints;
  auto note = [&](SocketAddr a) {
    if (std::find(endpoints.begin(), endpoints.end(), a) == endpoints.end()) {
      endpoints.push_back(a);
    }
  };
  for (size_t i : selected_) {
    note(packet_record(i).packet.src_addr());
    note(packet_record(i).packet.dst_addr());
    if (endpoints.size() > kMaxLifelines) break;
  }
  if (endpoints.size() <= kMaxLifelines && arrow_count(selected_) <= opt_.max_arrows) {
    drawn_ = selected_;
    return;
  }
  for (size_t i : selected_) {
    const auto& p = packet_record(i).packet;
    (unowned(conv_key(p.src_addr(), p.dst_addr())) ? folded_ : drawn_).push_back(i);
  }
}

size_t ModelBuilder::lifeline_for(SocketAddr a) {
  auto [it, added] = lifeline_of_.emplace(a, model_.lifelines.size());
  if (added) {
    Lifeline l;
    l.endpoint = a;
    l.address = a.to_string();
    if (auto h = ix_.host_of(a.addr)) l.host = *h;
    if (auto app = ix_.app_of.find(a); app != ix_.app_of.end()) l.app = app->second;
    model_.lifelines.push_back(std::move(l));
  }
  return it->second;
}

std::string ModelBuilder::arrow_tooltip(const PacketRecord& send, const PacketRecord* end,
                                        const PacketRecord* then_dropped) const {
  const Packet& p = send.packet;
  std::string tip = format_tcpdump(p);
  tip += fmt::format("\nsent {} by {}", format_clock(send.t), send.host);
  if (!end) {
    tip += "\nstill in flight when the trace ends";
  } else if (end->ev == PacketEvent::recv) {
    tip += fmt::format("\nreceived {} by {} (transit {})", format_clock(end->t), end->host,
                       format_clock(Instant::zero() + (end->t - send.t)));
  } else {
    tip += fmt::format("\ndropped {} at {}: {}", format_clock(end->t), end->host,
                       to_string(end->reason));
    if (!end->detail.empty()) tip += " (" + end->detail + ")";
  }
  if (then_dropped) {
    tip += fmt::format("\nthen dropped by {}: {}", then_dropped->host,
                       to_string(then_dropped->reason));
    if (!then_dropped->detail.empty()) tip += " (" + then_dropped->detail + ")";
  }
  tip += fmt::format("\npacket uid {}", p.uid);
  if (p.retransmission > 0) tip += fmt::format(", retransmission #{}", p.retransmission);
  return tip;
}

void ModelBuilder::add_arrows() {
  std::vector<End> ends;
  for (size_t k = 0; k < drawn_.size(); ++k) {
    size_t i = drawn_[k];
    const auto& send = packet_record(i);
    const Packet& p = send.packet;
    PacketArrow base;
    base.from = lifeline_for(p.src_addr());
    base.to = lifeline_for(p.dst_addr());
    base.sent = send.t;
    base.retransmission = p.retransmission;
    base.label = labels_[k];
    if (briefs_[k] != labels_[k]) base.brief = briefs_[k];
    base.uid = p.uid;
    base.order = i;
    ends_of(send, ends);
    if (ends.empty()) {
      base.fate = ArrowFate::in_flight;
      base.tooltip = arrow_tooltip(send, nullptr, nullptr);
      model_.arrows.push_back(std::move(base));
      continue;
    }
    const std::string* receiver = ix_.host_of(p.dst);
    bool arrived_once = false;
    for (const End& e : ends) {
      const auto& end = packet_record(e.record);
      PacketArrow a = base;
      a.ended = end.t;
      a.end_order = e.record;
      const PacketRecord* refused = e.then_dropped ? &packet_record(*e.then_dropped) : nullptr;
      a.tooltip = arrow_tooltip(send, &end, refused);
      if (end.ev == PacketEvent::recv) {
        a.fate = ArrowFate::delivered;
        a.duplicate = arrived_once;
        arrived_once = true;
      }
      const PacketRecord* drop = refused ? refused : end.ev == PacketEvent::drop ? &end : nullptr;
      if (drop) {
        a.fate = refused || (receiver && drop->host == *receiver) ? ArrowFate::dropped_at_receiver
                                                                  : ArrowFate::dropped_en_route;
        a.ended = drop->t;
        a.end_order = e.then_dropped.value_or(e.record);
        a.drop_label = drop_reason_text(drop->reason, drop->detail);
      }
      if (a.duplicate) a.label += " (dup)";
      model_.arrows.push_back(std::move(a));
    }
  }
  std::stable_sort(model_.arrows.begin(), model_.arrows.end(), [](const auto& a, const auto& b) {
    return std::tie(a.sent, a.order) < std::tie(b.sent, b.order);
  });
}

void ModelBuilder::refuse(size_t arrows) const {
  std::set<std::string> apps;
  for (const auto& [app, convs] : ix_.convs_of_app)
    apps.insert(app);
  throw DiagramError(fmt::format(
      "the diagram would draw {} packet arrows (the limit is {}), too many to read. Narrow it "
      "with a connection filter (--connection NAME; apps in this trace: {}), a time window "
      "(--from/--to; the trace spans {} to {}) or a host filter (netsim diagram --host), or "
      "raise the limit (--max-arrows N)",
      group_thousands(arrows), group_thousands(opt_.max_arrows),
      apps.empty() ? "none" : join_names(apps), format_clock(ix_.first), format_clock(ix_.last)));
}

void ModelBuilder::add_title() {
  std::string head = meta_.scenario.empty() ? "netsim run" : meta_.scenario;
  if (meta_.seed) head += fmt::format(" · seed {}", *meta_.seed);
  model_.title.push_back(head);
  std::string links;
  for (const auto& l : meta_.links)
    links += (links.empty() ? "" : "  ·  ") + l;
  if (!links.empty()) model_.title.push_back(links);
  std::vector<std::string> filters;
  for (const auto& c : opt_.connections)
    filters.push_back("connection " + c);
  for (const auto& h : opt_.hosts)
    filters.push_back("host " + h);
  if (opt_.from || opt_.to) {
    filters.push_back(fmt::format("{} to {}", opt_.from ? format_clock(*opt_.from) : "start",
                                  opt_.to ? format_clock(*opt_.to) : "end"));
  }
  std::string f;
  for (const auto& s : filters)
    f += (f.empty() ? "showing " : ", ") + s;
  if (!f.empty()) model_.title.push_back(f);
}

DiagramModel ModelBuilder::build() {
  select_packets();
  fold_unowned();
  // A transfer's runs of ordinary segments fold into bands: a window of parallel arrows has no
  // room for a label each, and a big transfer would be refused. What remains may still be too
  // much (thousands of losses).
  if (opt_.fold_flows) fold_flows();
  if (size_t n = arrow_count(drawn_); n > opt_.max_arrows) refuse(n);
  label_packets();
  add_arrows();
  add_bands();
  add_flow_bands();
  add_marks();
  if (model_.lifelines.empty()) {
    throw DiagramError(
        records_.empty() ? "nothing to draw: the trace has no records"
                         : "nothing to draw: no packet of the trace matches the diagram's filters");
  }
  add_title();
  return std::move(model_);
}

}  // namespace detail

DiagramModel build_model(const std::vector<TraceRecord>& records, const DiagramMeta& meta,
                         const DiagramOptions& options) {
  return detail::ModelBuilder(records, meta, options).build();
}

}  // namespace netsim::viz
