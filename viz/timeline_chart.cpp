// Building a state timeline from trace records: one row per socket that changed state, its bars,
// timer marks and error; the filters, the time window, and the folding of flood traffic.
#include "viz/timeline_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <set>
#include <tuple>

#include "viz/chart_axis.hpp"
#include "viz/model_index.hpp"

namespace netsim::viz {
namespace {

using detail::conv_key;
using detail::ConvKey;
using detail::format_count;

using SocketKey = std::tuple<std::string, SocketAddr, SocketAddr>;  // host, local, remote

struct Draft {
  TimelineRow row;
  Instant first;               // first state change: the rows' order
  size_t order = 0;            // index of that record: the tie-break
  std::optional<size_t> open;  // the bar still open while reading the trace
};

std::string join(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names)
    out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

// The smallest address block holding every address between lo and hi: "198.51.100.0/24".
std::string covering_prefix(uint32_t lo, uint32_t hi) {
  int len = 32;
  while (len > 0 && (lo >> (32 - len)) != (hi >> (32 - len)))
    --len;
  uint32_t base = len == 0 ? 0 : lo & ~((len == 32 ? 0u : (0xFFFFFFFFu >> len)));
  return fmt::format("{}/{}", Ipv4Addr{base}.to_string(), len);
}

// Timers worth a mark: those that make the connection do something visible (retransmit,
// probe). TIME_WAIT and FIN_WAIT_2 expiry end a bar already; delayed ACKs are noise here.
std::optional<std::string> timer_mark(const TimerRecord& t) {
  if (t.gives_up) {
    // The firing that ends the connection is not one more retransmission.
    switch (t.timer) {
      case TimerKind::rto:
        return "RTO timeout → ETIMEDOUT";
      case TimerKind::syn:
        return "SYN timeout → ETIMEDOUT";
      case TimerKind::synack:
        return "SYN-ACK timeout";
      case TimerKind::keepalive:
        return "keepalive timeout → ETIMEDOUT";
      case TimerKind::persist:
        return "zero-window probe timeout → ETIMEDOUT";
      case TimerKind::time_wait:
      case TimerKind::fin_wait_2:
      case TimerKind::delayed_ack:
      case TimerKind::loss_probe:
      case TimerKind::reo:
        return std::nullopt;  // one-shot timers never give up
    }
  }
  switch (t.timer) {
    case TimerKind::rto:
      return fmt::format("RTO #{}", t.attempt);
    case TimerKind::syn:
      return fmt::format("SYN RTO #{}", t.attempt);
    case TimerKind::synack:
      return fmt::format("SYN-ACK RTO #{}", t.attempt);
    case TimerKind::keepalive:
      return t.limit > 0 ? fmt::format("keepalive probe {}/{}", t.attempt, t.limit)
                         : fmt::format("keepalive probe #{}", t.attempt);
    case TimerKind::persist:
      return fmt::format("window probe #{}", t.attempt);
    case TimerKind::loss_probe:
      return "TLP";
    case TimerKind::time_wait:
    case TimerKind::fin_wait_2:
    case TimerKind::delayed_ack:
    case TimerKind::reo:
      return std::nullopt;
  }
  return std::nullopt;
}

// The legend's order: the handshake, the data phase, the active close, the passive close.
int state_rank(TcpState s) {
  static constexpr std::array<TcpState, 9> kOrder{
      TcpState::syn_sent,   TcpState::syn_received, TcpState::established,
      TcpState::fin_wait_1, TcpState::fin_wait_2,   TcpState::closing,
      TcpState::time_wait,  TcpState::close_wait,   TcpState::last_ack};
  auto it = std::find(kOrder.begin(), kOrder.end(), s);
  return static_cast<int>(it - kOrder.begin());
}

class TimelineBuilder {
 public:
  TimelineBuilder(const std::vector<TraceRecord>& records, const TimelineOptions& options)
      : records_(records), opt_(options), ix_(detail::build_index(records)) {
    try {
      convs_ = detail::select_conversations(ix_, opt_.connections);
    } catch (const DiagramError& e) {
      throw ChartError(e.what());
    }
    for (const auto& h : opt_.hosts) {
      if (!ix_.hosts.contains(h)) {
        throw ChartError(
            fmt::format("no host \"{}\" in this trace (hosts: {})", h, join(ix_.hosts)));
      }
    }
  }

  TimelineModel build();

 private:
  bool selected(const std::string& host, SocketAddr local, SocketAddr remote) const {
    if (remote.port == 0 || local.port == 0) return false;  // listeners have no timeline
    if (!opt_.hosts.empty() &&
        std::find(opt_.hosts.begin(), opt_.hosts.end(), host) == opt_.hosts.end()) {
      return false;
    }
    return !convs_ || convs_->contains(conv_key(local, remote));
  }
  std::string endpoint_name(SocketAddr a) const;
  void read_trace();
  void clip();
  void fold();
  [[noreturn]] void refuse(size_t rows) const;

  const std::vector<TraceRecord>& records_;
  const TimelineOptions& opt_;
  detail::TraceIndex ix_;
  std::optional<std::set<ConvKey>> convs_;
  Instant start_, end_;
  std::map<SocketKey, Draft> drafts_;
  std::vector<Draft> rows_;
};

// "client:32864" for a traced socket, "198.51.100.7:1024" for an address nobody traced.
std::string TimelineBuilder::endpoint_name(SocketAddr a) const {
  if (ix_.sockets.contains(a)) {
    if (auto h = ix_.host_of(a.addr)) return fmt::format("{}:{}", *h, a.port);
  }
  return a.to_string();
}

void TimelineBuilder::read_trace() {
  for (size_t i : ix_.order) {
    const TraceRecord& r = records_[i];
    if (const auto* s = std::get_if<StateRecord>(&r)) {
      if (!selected(s->host, s->local, s->remote)) continue;
      auto [it, fresh] = drafts_.try_emplace(SocketKey{s->host, s->local, s->remote});
      Draft& d = it->second;
      if (fresh) {
        d.first = s->t, d.order = i;
        d.row.host = s->host, d.row.app = s->app, d.row.local = s->local, d.row.remote = s->remote;
      }
      if (d.open) {
        d.row.bars[*d.open].to = s->t;
        d.row.bars[*d.open].open = false;
      }
      d.open.reset();
      if (s->to != TcpState::closed && s->to != TcpState::listen) {
        d.open = d.row.bars.size();
        d.row.bars.push_back({s->t, s->t, s->to, s->cause, true});
      }
      if (d.row.app.empty()) d.row.app = s->app;
    } else if (const auto* t = std::get_if<TimerRecord>(&r)) {
      auto it = drafts_.find(SocketKey{t->host, t->local, t->remote});
      if (it == drafts_.end()) continue;
      if (auto text = timer_mark(*t)) it->second.row.timers.push_back({t->t, *text});
    } else if (const auto* a = std::get_if<AppRecord>(&r)) {
      if (a->what != AppWhat::error) continue;
      auto it = drafts_.find(SocketKey{a->host, a->local, a->remote});
      if (it != drafts_.end()) it->second.row.end_note = a->error;
    }
  }
  // Bars still open when the trace ends last to the end of the window.
  for (auto& [key, d] : drafts_) {
    for (auto& b : d.row.bars) {
      if (b.open) b.to = std::max(b.from, end_);
    }
  }
}

void TimelineBuilder::clip() {
  for (auto& [key, d] : drafts_) {
    auto& bars = d.row.bars;
    std::erase_if(bars, [&](const StateBar& b) { return b.to < start_ || b.from > end_; });
    for (auto& b : bars) {
      b.open = b.open || b.to > end_;
      b.from = std::max(b.from, start_);
      b.to = std::min(b.to, end_);
    }
    std::erase_if(d.row.timers, [&](const TimerTick& t) { return t.t < start_ || t.t > end_; });
    if (bars.empty()) continue;
    const auto& [host, local, remote] = key;
    d.row.label = fmt::format("{}{}:{} → {}", d.row.app.empty() ? "" : d.row.app + " · ", host,
                              local.port, endpoint_name(remote));
    rows_.push_back(std::move(d));
  }
  // By first state change; the two ends of a connection sit together, in the order of the
  // connection's first change.
  std::map<ConvKey, std::pair<Instant, size_t>> conv_first;
  for (const auto& d : rows_) {
    auto key = conv_key(d.row.local, d.row.remote);
    auto first = std::make_pair(d.first, d.order);
    auto [it, fresh] = conv_first.try_emplace(key, first);
    if (!fresh) it->second = std::min(it->second, first);
  }
  std::sort(rows_.begin(), rows_.end(), [&](const Draft& a, const Draft& b) {
    auto ka = conv_first.at(conv_key(a.row.local, a.row.remote));
    auto kb = conv_first.at(conv_key(b.row.local, b.row.remote));
    return std::tie(ka, a.first, a.order) < std::tie(kb, b.first, b.order);
  });
  size_t conv = 0;
  for (size_t i = 0; i < rows_.size(); ++i) {
    if (i > 0 && conv_key(rows_[i].row.local, rows_[i].row.remote) !=
                     conv_key(rows_[i - 1].row.local, rows_[i - 1].row.remote)) {
      ++conv;
    }
    rows_[i].row.conversation = conv;
  }
}

// Endpoints whose peer never appears as a socket (spoofed sources) fold into one row per
// local endpoint: a flood is one row saying how many half-open connections there were at once.
void TimelineBuilder::fold() {
  std::map<std::pair<std::string, SocketAddr>, std::vector<size_t>> groups;
  for (size_t i = 0; i < rows_.size(); ++i) {
    if (!ix_.sockets.contains(rows_[i].row.remote)) {
      groups[{rows_[i].row.host, rows_[i].row.local}].push_back(i);
    }
  }
  std::vector<bool> gone(rows_.size(), false);
  std::vector<Draft> folded;
  for (const auto& [key, members] : groups) {
    if (members.size() < 2) continue;
    Draft agg;
    const Draft& first = rows_[members.front()];
    agg.first = first.first, agg.order = first.order;
    agg.row.host = key.first, agg.row.local = key.second, agg.row.app = first.row.app;
    agg.row.members = members.size();
    agg.row.conversation = first.row.conversation;
    uint32_t lo = UINT32_MAX, hi = 0;
    // (time, +1/-1, state): a member enters a state at its bar's start and leaves at its end.
    std::vector<std::tuple<Instant, int, TcpState>> events;
    for (size_t i : members) {
      gone[i] = true;
      const TimelineRow& r = rows_[i].row;
      lo = std::min(lo, r.remote.addr.value), hi = std::max(hi, r.remote.addr.value);
      for (const auto& b : r.bars) {
        events.emplace_back(b.from, +1, b.state);
        if (!b.open) events.emplace_back(b.to, -1, b.state);
      }
    }
    std::sort(events.begin(), events.end(),
              [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
    std::map<TcpState, int64_t> count;
    int64_t total = 0;
    for (size_t i = 0; i < events.size();) {
      Instant t = std::get<0>(events[i]);
      std::set<TcpState> changed;
      for (; i < events.size() && std::get<0>(events[i]) == t; ++i) {
        const auto& [when, delta, state] = events[i];
        count[state] += delta;
        total += delta;
        changed.insert(state);
      }
      agg.row.peak = std::max(agg.row.peak, total);
      for (const auto& st : changed)
        agg.row.counts[st].push_back({t, count[st]});
    }
    agg.row.label =
        fmt::format("{}{}:{} ← {} from {}", agg.row.app.empty() ? "" : agg.row.app + " · ",
                    agg.row.host, agg.row.local.port,
                    format_count(static_cast<int64_t>(members.size())), covering_prefix(lo, hi));
    folded.push_back(std::move(agg));
  }
  std::vector<Draft> kept;
  for (size_t i = 0; i < rows_.size(); ++i) {
    if (!gone[i]) kept.push_back(std::move(rows_[i]));
  }
  for (auto& f : folded)
    kept.push_back(std::move(f));
  std::stable_sort(kept.begin(), kept.end(), [](const Draft& a, const Draft& b) {
    return std::tie(a.row.conversation, a.first, a.order) <
           std::tie(b.row.conversation, b.first, b.order);
  });
  rows_ = std::move(kept);
}

void TimelineBuilder::refuse(size_t rows) const {
  std::set<std::string> apps;
  for (const auto& [app, convs] : ix_.convs_of_app)
    apps.insert(app);
  throw ChartError(fmt::format(
      "the timeline would have {} rows (the limit is {}), too many to read. Narrow it with a "
      "connection filter (--connection NAME; apps in this trace: {}), a time window "
      "(--from/--to) or a host filter, or raise the limit",
      format_count(static_cast<int64_t>(rows)), opt_.max_rows, join(apps)));
}

TimelineModel TimelineBuilder::build() {
  if (opt_.from && opt_.to && *opt_.to < *opt_.from) {
    throw ChartError("the timeline's time window ends before it starts");
  }
  start_ = opt_.from.value_or(Instant::zero());
  end_ = opt_.to.value_or(std::max(ix_.last, start_));
  read_trace();
  clip();
  if (rows_.size() > opt_.max_rows) fold();
  if (rows_.size() > opt_.max_rows) refuse(rows_.size());
  if (rows_.empty()) {
    bool filtered = !opt_.connections.empty() || !opt_.hosts.empty() || opt_.from || opt_.to;
    throw ChartError(filtered ? "nothing to draw: no connection changes state within the "
                                "timeline's filters and time window"
                              : "nothing to draw: no connection changes state in this trace");
  }
  TimelineModel m;
  m.start = start_, m.end = std::max(end_, start_ + Duration::nanoseconds(1));
  std::set<TcpState> states;
  for (auto& d : rows_) {
    for (const auto& b : d.row.bars)
      states.insert(b.state);
    for (const auto& [st, pts] : d.row.counts)
      states.insert(st);
    m.timers = m.timers || !d.row.timers.empty();
    m.errors = m.errors || !d.row.end_note.empty();
    m.rows.push_back(std::move(d.row));
  }
  m.states.assign(states.begin(), states.end());
  std::stable_sort(m.states.begin(), m.states.end(),
                   [](TcpState a, TcpState b) { return state_rank(a) < state_rank(b); });
  return m;
}

}  // namespace

TimelineModel timeline_model(const std::vector<TraceRecord>& records,
                             const TimelineOptions& options) {
  return TimelineBuilder(records, options).build();
}

void render_timeline(const std::vector<TraceRecord>& records, const DiagramMeta& meta,
                     const TimelineOptions& options, const std::string& out_path) {
  ChartFormat format = chart_format_for_path(out_path);
  std::string bytes = render_timeline_bytes(records, meta, options, format);
  detail::write_chart_file(out_path, bytes);
}

std::string render_timeline_bytes(const std::vector<TraceRecord>& records, const DiagramMeta& meta,
                                  const TimelineOptions& options, ChartFormat format) {
  return detail::chart_bytes(
      timeline_svg(timeline_model(records, options), meta, options.break_long_gaps), format);
}

}  // namespace netsim::viz
