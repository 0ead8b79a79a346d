// One direction of a link deciding each packet's fate. The order of operations (loss, then the
// drop-tail queue, then serialisation, propagation and jitter, then corruption and duplication)
// and the order of random draws are part of the determinism contract: docs/engine.md.
#include "sim/link.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace netsim {

std::string LossModel::to_string() const {
  switch (kind) {
    case Kind::none:
      return "no loss";
    case Kind::bernoulli:
      return fmt::format("loss {}", format_probability(p));
    case Kind::gilbert: {
      std::string s = fmt::format("burst loss (gilbert p={} r={} h={}", format_probability(p),
                                  format_probability(r), format_probability(h));
      // k is 100% unless the scenario chose otherwise; printing it then only adds noise.
      if (k.value != 1.0) s += fmt::format(" k={}", format_probability(k));
      s += ')';
      return s;
    }
  }
  return {};
}

std::string LinkParams::queue_to_string() const {
  if (queue_packets) return fmt::format("queue {} packets", *queue_packets);
  if (queue_bytes) return fmt::format("queue {}", format_byte_size(ByteSize::bytes(*queue_bytes)));
  return "queue unlimited";
}

void LinkDirection::drain(Instant now) {
  // A packet leaves the queue once its last bit is on the wire.
  while (queue_head_ < queue_.size() && queue_[queue_head_].departs <= now) {
    queued_bytes_ -= queue_[queue_head_].bytes;
    ++queue_head_;
  }
  if (queue_head_ == queue_.size()) {
    queue_.clear();
    queue_head_ = 0;
  } else if (queue_head_ >= 64 && 2 * queue_head_ >= queue_.size()) {
    // A queue that never drains completely: drop the departed prefix now and then.
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(queue_head_));
    queue_head_ = 0;
  }
}

// Gilbert-Elliott per packet (the netem "gemodel" order): first the chain moves (good -> bad with
// probability p, bad -> good with r), then the packet is lost with 1-h in bad or 1-k in good.
// Moving first makes a burst that starts at this packet include it, so with h = 0 a burst's
// mean length is exactly 1/r and the long-run loss rate is p / (p + r).
bool LinkDirection::gilbert_loses() {
  const LossModel& m = params_.loss;
  if (gilbert_bad_) {
    if (rng_.bernoulli(m.r.value)) gilbert_bad_ = false;
  } else {
    if (rng_.bernoulli(m.p.value)) gilbert_bad_ = true;
  }
  double deliver = gilbert_bad_ ? m.h.value : m.k.value;
  return rng_.bernoulli(1.0 - deliver);
}

Duration LinkDirection::draw_jitter() {
  int64_t j = params_.jitter.ns();
  if (j <= 0) return Duration::zero();
  uint64_t u = rng_.uniform_int(0, static_cast<uint64_t>(2 * j));
  return Duration::nanoseconds(static_cast<int64_t>(u) - j);
}

Instant LinkDirection::arrival_after(Instant departs) {
  Instant arrival = departs + params_.delay + draw_jitter();
  // Jitter may reorder packets but never makes one arrive before it has left.
  return std::max(arrival, departs);
}

LinkVerdict LinkDirection::offer(Instant now, int64_t bytes) {
  LinkVerdict v;
  // 1. Loss. Every packet is exposed, control packets included (DESIGN.md anti-patterns).
  switch (params_.loss.kind) {
    case LossModel::Kind::none:
      break;
    case LossModel::Kind::bernoulli:
      if (rng_.bernoulli(params_.loss.p.value)) v.kind = LinkVerdict::Kind::loss;
      break;
    case LossModel::Kind::gilbert:
      if (gilbert_loses()) v.kind = LinkVerdict::Kind::burst_loss;
      break;
  }
  if (v.kind != LinkVerdict::Kind::deliver) return v;

  // 2. Drop-tail queue, then 3. serialisation. Infinite bandwidth (0 bps) never queues.
  Instant departs = now;
  if (params_.bandwidth.bits_per_second() > 0) {
    drain(now);
    bool full = (params_.queue_packets &&
                 static_cast<int64_t>(queue_.size() - queue_head_) >= *params_.queue_packets) ||
                (params_.queue_bytes && queued_bytes_ + bytes > *params_.queue_bytes);
    if (full) {
      v.kind = LinkVerdict::Kind::queue_full;
      return v;
    }
    departs = std::max(now, busy_until_) + params_.bandwidth.transmission_time(bytes);
    busy_until_ = departs;
    queue_.push_back(Queued{departs, bytes});
    queued_bytes_ += bytes;
  }

  // 4. Propagation plus jitter, 5. corruption, 6. duplication (the copy draws its own jitter).
  v.departs = departs;
  v.arrival = arrival_after(departs);
  v.corrupt = rng_.bernoulli(params_.corrupt.value);
  if (rng_.bernoulli(params_.duplicate.value)) v.duplicate_arrival = arrival_after(departs);
  return v;
}

int64_t LinkDirection::queued_packets(Instant now) {
  drain(now);
  return static_cast<int64_t>(queue_.size() - queue_head_);
}

int64_t LinkDirection::queued_bytes(Instant now) {
  drain(now);
  return queued_bytes_;
}

}  // namespace netsim
