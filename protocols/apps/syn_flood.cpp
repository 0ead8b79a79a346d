// syn_flood: one SYN per `interval`, each from a fresh random source (port, and address when
// spoofing) with a random ISN, scheduled one after another so the queue holds a single event.
#include "protocols/apps/syn_flood.hpp"

namespace netsim::apps {

SynFloodApp::SynFloodApp(Network& net, SynFloodConfig cfg)
    : net_(net), cfg_(std::move(cfg)), rng_(net.sim().rng_stream("flood:" + cfg_.name)) {
  report_.name = cfg_.name;
  report_.kind = "syn_flood";
  report_.host = net_.node(cfg_.attacker).name;
}

uint64_t SynFloodApp::planned() const {
  if (cfg_.count) return *cfg_.count;
  if (cfg_.duration && cfg_.interval.ns() > 0) {
    return static_cast<uint64_t>(*cfg_.duration / cfg_.interval);
  }
  return 0;
}

void SynFloodApp::start() {
  if (planned() == 0) return;
  net_.sim().schedule_at(Instant::zero() + cfg_.start, [this] { send_one(0); });
}

void SynFloodApp::send_one(uint64_t index) {
  Packet p;
  const Node& attacker = net_.node(cfg_.attacker);
  if (cfg_.spoof) {
    p.src = Ipv4Addr{cfg_.spoof->base.value +
                     static_cast<uint32_t>(rng_.uniform_int(0, cfg_.spoof->size() - 1))};
  } else {
    p.src = attacker.addresses.empty() ? Ipv4Addr{} : attacker.addresses.front();
  }
  p.dst = cfg_.target.addr;
  p.tcp.src_port = static_cast<uint16_t>(rng_.uniform_int(1024, 65535));
  p.tcp.dst_port = cfg_.target.port;
  p.tcp.seq = SeqNum(rng_.next_u32());
  p.tcp.flags = TcpFlags(TcpFlags::SYN);
  p.tcp.window = 64240;
  p.tcp.options.mss = cfg_.mss;
  net_.send(cfg_.attacker, std::move(p));
  ++report_.packets_sent;
  if (index + 1 < planned()) {
    Instant next = Instant::zero() + cfg_.start + cfg_.interval * static_cast<int64_t>(index + 1);
    // max_flood_packets (10M) keeps the index within the 32-bit argument.
    net_.sim().schedule_call_at<&SynFloodApp::send_one>(next, this,
                                                        static_cast<uint32_t>(index + 1));
  }
}

}  // namespace netsim::apps
