// Links: full-duplex point-to-point, each direction with its own propagation delay, bandwidth
// (serialisation delay), drop-tail queue, loss model, jitter, duplication and corruption.
// Loss applies to every packet, control packets included: a lost SYN must be possible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/rng.hpp"
#include "sim/time.hpp"
#include "sim/units.hpp"

namespace netsim {

using NodeId = uint32_t;
using LinkId = uint32_t;

struct LossModel {
  enum class Kind : uint8_t { none, bernoulli, gilbert };
  Kind kind = Kind::none;
  // bernoulli: loss probability. gilbert: probability of moving good -> bad per packet.
  Probability p;
  // gilbert only: probability of moving bad -> good per packet (mean burst length 1/r when
  // every packet in the bad state is lost).
  Probability r;
  // gilbert only (Gilbert 1960 / netem "gemodel" notation): probability that a packet is
  // delivered in the bad state (h) and in the good state (k). Defaults: bad loses all, good none.
  Probability h{0.0};
  Probability k{1.0};

  static LossModel none() { return {}; }
  static LossModel bernoulli(double p) { return {Kind::bernoulli, {p}, {}, {0.0}, {1.0}}; }
  static LossModel gilbert(double p, double r, double h = 0.0, double k = 1.0) {
    return {Kind::gilbert, {p}, {r}, {h}, {k}};
  }
  // The drop detail: "loss 1%", "burst loss (gilbert p=1% r=30% h=50%)" (k only when not 100%).
  std::string to_string() const;
};

// Parameters of one direction of a link.
struct LinkParams {
  Duration delay;      // one-way propagation
  DataRate bandwidth;  // 0 bps = infinite (no serialisation delay)
  std::optional<int64_t>
      queue_packets;                   // drop-tail limit in packets (includes the one on the wire)
  std::optional<int64_t> queue_bytes;  // ... or in bytes
  LossModel loss;
  Duration jitter;  // added to the delay, uniform in [-jitter, +jitter]; may reorder
  Probability duplicate;
  Probability corrupt;

  // The queue_full detail: "queue 100 packets", "queue 64KiB", "queue unlimited".
  std::string queue_to_string() const;
};

// What one direction decides for a packet offered to it at time `now`.
struct LinkVerdict {
  enum class Kind : uint8_t { deliver, loss, burst_loss, queue_full, link_down };
  Kind kind = Kind::deliver;
  Instant arrival;  // when it reaches the far end (deliver only)
  Instant departs;  // when its last bit has left the sender (deliver only)
  bool corrupt = false;
  std::optional<Instant> duplicate_arrival;  // a second copy arrives then
};

// One direction's state: queue occupancy, Gilbert state, its random stream.
class LinkDirection {
 public:
  LinkDirection(LinkParams params, Rng rng) : params_(std::move(params)), rng_(rng) {}
  // Decides the fate of a packet of `bytes` bytes offered at `now` and updates the queue.
  LinkVerdict offer(Instant now, int64_t bytes);
  const LinkParams& params() const { return params_; }
  void set_params(LinkParams p) { params_ = std::move(p); }
  bool in_bad_state() const { return gilbert_bad_; }
  // Packets (bytes) not yet fully serialised at `now`, the one on the wire included.
  int64_t queued_packets(Instant now);
  int64_t queued_bytes(Instant now);

 private:
  struct Queued {
    Instant departs;  // when its last bit has left the sender
    int64_t bytes;
  };
  void drain(Instant now);
  bool gilbert_loses();
  Duration draw_jitter();
  Instant arrival_after(Instant departs);

  LinkParams params_;
  Rng rng_;
  bool gilbert_bad_ = false;
  // Packets not yet fully serialised, oldest first from queue_head_. A vector rather than a
  // deque: it keeps its capacity, so a busy link allocates nothing per packet.
  std::vector<Queued> queue_;
  size_t queue_head_ = 0;
  int64_t queued_bytes_ = 0;
  Instant busy_until_;
};

class Link {
 public:
  Link(LinkId id, NodeId a, NodeId b, LinkDirection a_to_b, LinkDirection b_to_a)
      : id_(id), a_(a), b_(b), dirs_{std::move(a_to_b), std::move(b_to_a)} {}
  LinkId id() const { return id_; }
  NodeId a() const { return a_; }
  NodeId b() const { return b_; }
  NodeId other(NodeId n) const { return n == a_ ? b_ : a_; }
  // The direction leaving node `from`.
  LinkDirection& from(NodeId n) { return dirs_[n == a_ ? 0 : 1]; }
  const LinkDirection& from(NodeId n) const { return dirs_[n == a_ ? 0 : 1]; }
  bool up() const { return up_; }
  void set_up(bool up) { up_ = up; }

 private:
  LinkId id_;
  NodeId a_, b_;
  LinkDirection dirs_[2];
  bool up_ = true;
};

}  // namespace netsim
