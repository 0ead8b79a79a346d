// One link direction on its own: serialisation and queueing times, drop-tail limits, the loss
// models' statistics, jitter, corruption and duplication verdicts, and the drop details.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "sim/link.hpp"

using namespace netsim;
using namespace netsim::literals;

namespace {

Instant at(Duration d) {
  return Instant::zero() + d;
}

LinkParams rate_link(int64_t bps, Duration delay = Duration::zero()) {
  LinkParams p;
  p.bandwidth = DataRate::bps(bps);
  p.delay = delay;
  return p;
}

LinkDirection direction(LinkParams p, std::string_view stream = "link:a->b") {
  return LinkDirection(std::move(p), Rng(1, stream));
}

}  // namespace

TEST_CASE("a 1500-byte packet on 10 Mbps takes 1.2 ms and the next one queues behind it") {
  auto dir = direction(rate_link(10'000'000));
  LinkVerdict first = dir.offer(Instant::zero(), 1500);
  LinkVerdict second = dir.offer(Instant::zero(), 1500);
  CHECK(first.kind == LinkVerdict::Kind::deliver);
  CHECK(first.arrival == at(1200_us));
  CHECK(second.kind == LinkVerdict::Kind::deliver);
  CHECK(second.arrival == at(2400_us));
  CHECK(dir.queued_packets(Instant::zero()) == 2);
  CHECK(dir.queued_bytes(Instant::zero()) == 3000);
  // The first packet's last bit leaves at 1.2 ms: from then on only the second is queued.
  CHECK(dir.queued_packets(at(1200_us)) == 1);
  CHECK(dir.queued_packets(at(2400_us)) == 0);
}

TEST_CASE("propagation delay adds to the serialisation time") {
  auto dir = direction(rate_link(10'000'000, 5_ms));
  CHECK(dir.offer(Instant::zero(), 1500).arrival == at(6200_us));
  // An idle link starts serialising at once: a packet offered at 10 ms arrives at 16.2 ms.
  CHECK(dir.offer(at(10_ms), 1500).arrival == at(16200_us));
}

TEST_CASE("serialisation time rounds up to the next nanosecond") {
  auto dir = direction(rate_link(3));
  // 1 byte = 8 bits at 3 bps = 2.666... s, rounded up.
  CHECK(dir.offer(Instant::zero(), 1).arrival == Instant::from_ns(2'666'666'667));
}

TEST_CASE("infinite bandwidth neither serialises nor queues") {
  LinkParams p = rate_link(0, 3_ms);
  p.queue_packets = 1;
  auto dir = direction(p);
  for (int i = 0; i < 10; ++i) {
    LinkVerdict v = dir.offer(Instant::zero(), 1500);
    REQUIRE(v.kind == LinkVerdict::Kind::deliver);
    REQUIRE(v.arrival == at(3_ms));
  }
}

TEST_CASE("a drop-tail limit in packets counts the packet being serialised") {
  LinkParams p = rate_link(10'000'000);
  p.queue_packets = 3;
  auto dir = direction(p);
  std::vector<LinkVerdict::Kind> kinds;
  for (int i = 0; i < 5; ++i)
    kinds.push_back(dir.offer(Instant::zero(), 1500).kind);
  using K = LinkVerdict::Kind;
  CHECK(kinds == std::vector<K>{K::deliver, K::deliver, K::deliver, K::queue_full, K::queue_full});
  // At 1.2 ms the first packet has left, so one more fits, behind the other two.
  LinkVerdict later = dir.offer(at(1200_us), 1500);
  CHECK(later.kind == K::deliver);
  CHECK(later.arrival == at(4800_us));
  CHECK(dir.offer(at(1200_us), 1500).kind == K::queue_full);
}

TEST_CASE("a queue that never drains keeps exact departure times over thousands of packets") {
  auto dir = direction(rate_link(10'000'000));
  // One 1.2 ms packet offered every 1.1 ms: the backlog grows by one every 12 packets.
  for (int i = 0; i < 5000; ++i) {
    Instant now = at(1100_us * i);
    LinkVerdict v = dir.offer(now, 1500);
    REQUIRE(v.arrival == at(1200_us * (i + 1)));
    // Packets offered so far minus those whose last bit has left by now.
    int64_t gone = (1100 * i) / 1200;
    REQUIRE(dir.queued_packets(now) == i + 1 - gone);
  }
}

TEST_CASE("a drop-tail limit in bytes admits a packet that exactly fills it") {
  LinkParams p = rate_link(10'000'000);
  p.queue_bytes = 4000;
  auto dir = direction(p);
  using K = LinkVerdict::Kind;
  CHECK(dir.offer(Instant::zero(), 1500).kind == K::deliver);
  CHECK(dir.offer(Instant::zero(), 1500).kind == K::deliver);
  CHECK(dir.offer(Instant::zero(), 1500).kind == K::queue_full);  // 4500 > 4000
  CHECK(dir.offer(Instant::zero(), 1000).kind == K::deliver);     // exactly 4000
  CHECK(dir.offer(Instant::zero(), 1).kind == K::queue_full);
  CHECK(dir.queued_bytes(Instant::zero()) == 4000);
}

TEST_CASE("a lost packet takes no room in the queue and no time on the wire") {
  LinkParams p = rate_link(10'000'000);
  p.loss = LossModel::bernoulli(1.0);
  p.queue_packets = 1;
  auto dir = direction(p);
  CHECK(dir.offer(Instant::zero(), 1500).kind == LinkVerdict::Kind::loss);
  CHECK(dir.queued_packets(Instant::zero()) == 0);
  dir.set_params(rate_link(10'000'000));
  CHECK(dir.offer(Instant::zero(), 1500).arrival == at(1200_us));
}

TEST_CASE("Bernoulli 10% loss over 100k packets lies within a 4-sigma binomial bound") {
  LinkParams p;
  p.loss = LossModel::bernoulli(0.1);
  auto dir = direction(p);
  const int n = 100'000;
  int lost = 0;
  for (int i = 0; i < n; ++i) {
    LinkVerdict v = dir.offer(Instant::zero(), 100);
    REQUIRE((v.kind == LinkVerdict::Kind::deliver || v.kind == LinkVerdict::Kind::loss));
    lost += v.kind == LinkVerdict::Kind::loss;
  }
  double sigma = std::sqrt(n * 0.1 * 0.9);
  CHECK(std::abs(lost - n * 0.1) < 4 * sigma);
}

TEST_CASE("Gilbert-Elliott with h=0 has mean burst length 1/r and loss rate p/(p+r)") {
  LinkParams params;
  const double p = 0.05, r = 0.25;
  params.loss = LossModel::gilbert(p, r);
  auto dir = direction(params);
  const int n = 200'000;
  int lost = 0, bursts = 0;
  bool in_burst = false;
  for (int i = 0; i < n; ++i) {
    LinkVerdict v = dir.offer(Instant::zero(), 100);
    bool loss = v.kind == LinkVerdict::Kind::burst_loss;
    REQUIRE((loss || v.kind == LinkVerdict::Kind::deliver));
    // h = 0 and k = 1: a packet is lost exactly when the chain is in the bad state.
    REQUIRE(loss == dir.in_bad_state());
    lost += loss;
    if (loss && !in_burst) ++bursts;
    in_burst = loss;
  }
  double mean_burst = static_cast<double>(lost) / bursts;
  CHECK(mean_burst == Approx(1.0 / r).epsilon(0.05));
  CHECK(static_cast<double>(lost) / n == Approx(p / (p + r)).epsilon(0.05));
}

TEST_CASE("Gilbert-Elliott h is the delivery probability in the bad state") {
  LinkParams params;
  const double p = 0.05, r = 0.25, h = 0.5;
  params.loss = LossModel::gilbert(p, r, h);
  auto dir = direction(params);
  const int n = 200'000;
  int lost = 0, lost_in_good = 0;
  for (int i = 0; i < n; ++i) {
    bool loss = dir.offer(Instant::zero(), 100).kind == LinkVerdict::Kind::burst_loss;
    lost += loss;
    lost_in_good += loss && !dir.in_bad_state();
  }
  CHECK(lost_in_good == 0);  // k = 1: the good state loses nothing
  CHECK(static_cast<double>(lost) / n == Approx((1 - h) * p / (p + r)).epsilon(0.05));
}

TEST_CASE("jitter reorders packets but never delivers one before it left") {
  LinkParams p = rate_link(0, 10_ms);
  p.jitter = 5_ms;
  auto dir = direction(p);
  int overtaken = 0;
  Instant previous;
  Duration lo = Duration::max(), hi = Duration::zero();
  for (int i = 0; i < 1000; ++i) {
    Instant now = at(1_ms * i);
    LinkVerdict v = dir.offer(now, 100);
    REQUIRE(v.kind == LinkVerdict::Kind::deliver);
    lo = std::min(lo, v.arrival - now);
    hi = std::max(hi, v.arrival - now);
    if (i > 0 && v.arrival < previous) ++overtaken;
    previous = v.arrival;
  }
  CHECK(overtaken > 0);
  CHECK(lo >= 5_ms);
  CHECK(hi <= 15_ms);
  CHECK(lo < 6_ms);  // the whole range is used
  CHECK(hi > 14_ms);
}

TEST_CASE("jitter larger than the delay is floored at the departure time") {
  LinkParams p = rate_link(10'000'000, 1_ms);
  p.jitter = 5_ms;
  auto dir = direction(p);
  int at_departure = 0;
  for (int i = 0; i < 1000; ++i) {
    Instant now = at(2_ms * i);
    LinkVerdict v = dir.offer(now, 1500);
    Instant departs = now + 1200_us;
    REQUIRE(v.arrival >= departs);
    at_departure += v.arrival == departs;
  }
  // Offsets below -1 ms (4 of the 10 ms range) all land exactly on the departure time.
  CHECK(at_departure > 300);
  CHECK(at_departure < 500);
}

TEST_CASE("corruption marks the packet and duplication adds a copy at the same time") {
  LinkParams p = rate_link(0, 2_ms);
  p.corrupt = Probability{1.0};
  p.duplicate = Probability{1.0};
  auto dir = direction(p);
  LinkVerdict v = dir.offer(Instant::zero(), 100);
  CHECK(v.kind == LinkVerdict::Kind::deliver);
  CHECK(v.corrupt);
  REQUIRE(v.duplicate_arrival.has_value());
  CHECK(*v.duplicate_arrival == at(2_ms));
  CHECK(v.arrival == at(2_ms));
}

TEST_CASE("a duplicate draws its own jitter") {
  LinkParams p = rate_link(0, 10_ms);
  p.duplicate = Probability{1.0};
  p.jitter = 5_ms;
  auto dir = direction(p);
  int differ = 0;
  for (int i = 0; i < 100; ++i) {
    LinkVerdict v = dir.offer(Instant::zero(), 100);
    REQUIRE(v.duplicate_arrival.has_value());
    differ += *v.duplicate_arrival != v.arrival;
  }
  CHECK(differ > 90);
}

TEST_CASE("the same stream gives the same verdicts and another stream different ones") {
  LinkParams p;
  p.loss = LossModel::bernoulli(0.3);
  auto a = direction(p, "link:a->b"), b = direction(p, "link:a->b"), c = direction(p, "link:b->a");
  std::vector<bool> va, vb, vc;
  for (int i = 0; i < 200; ++i) {
    va.push_back(a.offer(Instant::zero(), 100).kind == LinkVerdict::Kind::loss);
    vb.push_back(b.offer(Instant::zero(), 100).kind == LinkVerdict::Kind::loss);
    vc.push_back(c.offer(Instant::zero(), 100).kind == LinkVerdict::Kind::loss);
  }
  CHECK(va == vb);
  CHECK(va != vc);
}

TEST_CASE("loss models and queues describe themselves for drop details") {
  CHECK(LossModel::bernoulli(0.01).to_string() == "loss 1%");
  CHECK(LossModel::bernoulli(0.005).to_string() == "loss 0.5%");
  CHECK(LossModel::gilbert(0.01, 0.3, 0.5).to_string() == "burst loss (gilbert p=1% r=30% h=50%)");
  CHECK(LossModel::gilbert(0.01, 0.3, 0.0, 0.99).to_string() ==
        "burst loss (gilbert p=1% r=30% h=0% k=99%)");
  CHECK(LossModel::none().to_string() == "no loss");
  LinkParams p;
  CHECK(p.queue_to_string() == "queue unlimited");
  p.queue_bytes = 65536;
  CHECK(p.queue_to_string() == "queue 64KiB");
  p.queue_packets = 100;
  CHECK(p.queue_to_string() == "queue 100 packets");
}
