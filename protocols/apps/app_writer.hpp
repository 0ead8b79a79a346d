// A blocking send() for the simulated applications: the bytes go through the bounded write
// (TcpHost::write, sk_sndbuf) and what the send buffer does not take waits here, as in a
// program blocked in send(), until the socket's writable notice lets it copy more. With the
// host's timed socket calls (TcpHost::timed_syscalls()) each send() spans virtual time and
// its return is a writable notice too.
#pragma once

#include <cstdint>
#include <vector>

#include "protocols/tcp/host.hpp"
#include "sim/packet.hpp"

namespace netsim::apps {

class BlockingWriter {
 public:
  // Appends `data` behind what still waits and writes as much as the buffer takes. Returns the
  // bytes the socket took now (from the waiting ones first). `flags`: this send()'s MSG_MORE /
  // MSG_EOR (protocols/tcp/msg_flags.hpp), given with each of its copies.
  uint64_t send(tcp::TcpHost& host, tcp::SocketId s, Payload data, uint32_t flags = 0);
  // The writable notice: copies more of what waits. Returns the bytes the socket took.
  uint64_t resume(tcp::TcpHost& host, tcp::SocketId s);
  // Nothing waits: the blocked send() has returned.
  bool idle() const { return head_ == waiting_.size(); }
  uint64_t waiting_bytes() const;

 private:
  uint64_t resume_timed(tcp::TcpHost& host, tcp::SocketId s);
  void start_timed(tcp::TcpHost& host, tcp::SocketId s);
  // Slices of the application's payloads (shared storage, never copied), oldest first, each
  // with its send()'s flags.
  struct Pending {
    Payload data;
    uint32_t flags = 0;
  };
  std::vector<Pending> waiting_;
  size_t head_ = 0;
  bool in_call_ = false;  // a timed send() runs (TcpHost::start_write())
  bool partial_ = false;  // it copied part of the front: the same send() goes on after waiting
};

}  // namespace netsim::apps
