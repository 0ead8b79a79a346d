// TIME_WAIT reuse at the Stack (issue 13 item 3): a reconnect from the same port into the
// server's TIME_WAIT is answered at once by a SYN-ACK whose ISN is the old snd_nxt + 65537
// (tcp_timewait_state_process() -> TCP_TW_SYN, tcp_conn_request()'s tw_isn), when its TSval is
// newer than ts_recent or, without timestamps, when its sequence number is above RCV.NXT.

#include <catch2/catch.hpp>

#include "protocols/tcp/stack.hpp"
#include "tests/tcp/test_stack_util.hpp"

using namespace netsim;
using namespace netsim::tcp;
using namespace netsim::tcp::testing;
using namespace netsim::literals;

namespace {

Packet with_ts(Packet p, uint32_t val, uint32_t ecr) {
  p.tcp.options.timestamps = std::pair<uint32_t, uint32_t>{val, ecr};
  return p;
}

// A server that accepted one connection from client port 40000 (client ISN 1000, TSval from
// 100 when `ts`), closed it first and ended in TIME_WAIT after the client's FIN at 30 ms.
struct TimeWaitServer {
  explicit TimeWaitServer(bool ts) : ts(ts), stack({kServerIp}, profile(ts), Rng(5, "tcp:srv")) {
    stack.set_tracing(true);
    Outbox o;
    listener = stack.listen(kPort, 8, {}, o).id;
    Outbox synack = deliver(at(0_s), tsv(syn_from(40000, 1000), 100, 0));
    iss = synack.packets.at(0).tcp.seq;
    Outbox est = deliver(at_ms(10), tsv(ack(1001, iss + 1), 110, 0));
    child = est.opened.at(0).socket;
    Outbox a;
    stack.accept(listener, a);
    Outbox fin;
    stack.close(at_ms(20), child, fin);
    deliver(at_ms(30), tsv(ack(1001, iss + 2, TcpFlags::FIN), 130, 0));
    REQUIRE(stack.state(child) == State::time_wait);
  }
  static Profile profile(bool ts) {
    Profile p;
    p.timestamps = ts;
    return p;
  }
  Packet tsv(Packet p, uint32_t val, uint32_t ecr) const { return ts ? with_ts(p, val, ecr) : p; }
  static Packet ack(uint32_t seq, SeqNum ack, uint8_t more = 0) {
    return segment(client_addr(40000), server_addr(), kAck | more, seq, ack.raw());
  }
  Outbox deliver(Instant now, const Packet& p) {
    Outbox out;
    stack.on_packet(now, p, out);
    return out;
  }
  bool ts;
  Stack stack;
  SocketId listener = kNoSocket, child = kNoSocket;
  SeqNum iss;
};

}  // namespace

TEST_CASE("TIME_WAIT reuse: a SYN with a newer TSval gets a SYN-ACK at once, ISN snd_nxt+65537") {
  TimeWaitServer srv(true);
  // The reconnect's ISN (500) is below RCV.NXT (1002): only its timestamp makes it new.
  Outbox out = srv.deliver(at_ms(1000), with_ts(syn_from(40000, 500), 1000, 0));
  REQUIRE(out.packets.size() == 1);
  const Packet& synack = out.packets[0];
  CHECK(synack.tcp.flags == TcpFlags(kSynAck));
  // The old incarnation's snd_nxt is iss + 2 (SYN and FIN): + 65535 + 2.
  CHECK(synack.tcp.seq == srv.iss + 2 + 65537);
  CHECK(synack.tcp.ack == SeqNum(501));
  REQUIRE(synack.tcp.options.timestamps);
  CHECK(synack.tcp.options.timestamps->second == 1000);  // echoes the new SYN's TSval
  CHECK_FALSE(srv.stack.exists(srv.child));
  CHECK(out.gone == std::vector<SocketId>{srv.child});
  CHECK(srv.stack.syn_queue_length(srv.listener) == 1);

  // The handshake completes on the recycled ISN.
  Outbox est = srv.deliver(at_ms(1010), with_ts(TimeWaitServer::ack(501, synack.tcp.seq + 1), 1010,
                                                synack.tcp.options.timestamps->first));
  REQUIRE(est.opened.size() == 1);
  CHECK(srv.stack.state(est.opened[0].socket) == State::established);
}

TEST_CASE("TIME_WAIT reuse: a SYN whose TSval is older fails PAWS and is ACKed, seq or not") {
  TimeWaitServer srv(true);
  // Above RCV.NXT, but TSval 120 < ts_recent 130: tcp_paws_reject() wins over the sequence.
  Outbox out = srv.deliver(at_ms(1000), with_ts(syn_from(40000, 5000), 120, 0));
  REQUIRE(out.packets.size() == 1);
  CHECK(out.packets[0].tcp.flags == TcpFlags(kAck));
  CHECK(out.packets[0].tcp.seq == srv.iss + 2);
  CHECK(out.packets[0].tcp.ack == SeqNum(1002));
  CHECK(srv.stack.state(srv.child) == State::time_wait);
  // A failed PAWS check restarts the 60 s (inet_twsk_reschedule()).
  CHECK(srv.stack.next_deadline(srv.child) == at_ms(61000));
  CHECK(srv.stack.syn_queue_length(srv.listener) == 0);
}

TEST_CASE("TIME_WAIT reuse without timestamps: the sequence number decides") {
  TimeWaitServer srv(false);
  // Below RCV.NXT: the TIME_WAIT socket ACKs it (tcp_v4_timewait_ack()), the 60 s run on.
  Outbox old = srv.deliver(at_ms(1000), syn_from(40000, 500));
  REQUIRE(old.packets.size() == 1);
  CHECK(old.packets[0].tcp.flags == TcpFlags(kAck));
  CHECK(old.packets[0].tcp.ack == SeqNum(1002));
  CHECK(srv.stack.state(srv.child) == State::time_wait);
  CHECK(srv.stack.next_deadline(srv.child) == at_ms(60030));

  // Above it: a SYN-ACK at once with the recycled ISN, and no option but the MSS.
  Outbox out = srv.deliver(at_ms(2000), syn_from(40000, 9000));
  REQUIRE(out.packets.size() == 1);
  CHECK(out.packets[0].tcp.flags == TcpFlags(kSynAck));
  CHECK(out.packets[0].tcp.seq == srv.iss + 2 + 65537);
  CHECK(out.packets[0].tcp.ack == SeqNum(9001));
  CHECK_FALSE(out.packets[0].tcp.options.timestamps);
  CHECK_FALSE(srv.stack.exists(srv.child));
}
