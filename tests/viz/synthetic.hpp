// Hand-built traces for the diagram tests: the records a run would produce for a handshake,
// the hello-echo exchange, a SYN timeout, a lossy exchange with a retransmission, a keepalive
// story and a spoofed SYN flood. viz/ reads records only, so these stand in for real runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/trace.hpp"
#include "viz/diagram.hpp"

namespace netsim::viz::testing {

struct Endpoint {
  std::string host;
  SocketAddr addr;
  std::string app;
};

// Appends records in the order they are called; records() sorts them by time (stable).
class TraceBuilder {
 public:
  Packet packet(const Endpoint& from, const Endpoint& to, uint8_t flags, uint32_t seq, uint32_t ack,
                std::string payload = {}, uint16_t retransmission = 0);
  // A send at `sent` and its arrival at `received`; returns the packet (with its uid).
  Packet deliver(Instant sent, Instant received, const Endpoint& from, const Endpoint& to,
                 Packet p);
  // A bare send (its fate left to recv() or nothing), and an arrival of an already sent packet.
  Packet send(Instant sent, const Endpoint& from, Packet p);
  void recv(Instant received, const Endpoint& at, const Packet& p);
  void drop(Instant dropped, const std::string& where, const Packet& p, DropReason reason);
  // A send at `sent` and its drop at `dropped` on node `where`.
  Packet lose(Instant sent, Instant dropped, const Endpoint& from, const std::string& where,
              Packet p, DropReason reason, std::string detail);
  // States and cause by their trace names ("SYN_SENT", "rcv SYN-ACK"); an unknown name throws.
  void state(Instant t, const Endpoint& self, const Endpoint& peer, std::string_view from,
             std::string_view to, std::string_view cause);
  // A firing with the facts the TCP core records (see fired()).
  void timer(Instant t, const Endpoint& self, const Endpoint& peer, TimerRecord facts);
  void app(Instant t, const Endpoint& self, const Endpoint* peer, AppWhat what,
           std::string error = {});
  void fault(Instant t, std::string host, std::string what, std::string detail);
  std::vector<TraceRecord> records() const;

 private:
  std::vector<TraceRecord> recs_;
  uint64_t next_uid_ = 1;
};

// A timer firing's facts: which attempt of how many, and the timeout that ran.
TimerRecord fired(TimerKind kind, uint32_t attempt, uint32_t limit = 0,
                  Duration ran = Duration::zero());

Endpoint client_endpoint();  // client 10.0.0.1:7500 alice
Endpoint server_endpoint();  // server 10.0.0.2:20000 echo

std::vector<TraceRecord> handshake_trace();
std::vector<TraceRecord> hello_echo_trace();
std::vector<TraceRecord> syn_timeout_trace();
std::vector<TraceRecord> lossy_trace();
std::vector<TraceRecord> keepalive_trace();
// `spoofed` SYNs from 198.51.100.0/24 at 5000/s from 1 s, and alice's connection at 1.5 s.
std::vector<TraceRecord> syn_flood_trace(int spoofed);

DiagramMeta meta_for(const std::string& scenario);

}  // namespace netsim::viz::testing
