// The `tcp_server` application: listens on a port, accepts (or deliberately never accepts, to
// fill the accept queue), replies (echo, a fixed text or N bytes, or nothing) and closes by one
// of the spec's policies.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocols/apps/app_report.hpp"
#include "protocols/apps/app_writer.hpp"
#include "protocols/tcp/host.hpp"
#include "sim/simulator.hpp"

namespace netsim::apps {

enum class ServerReply : uint8_t { echo, none, fixed };
enum class ServerClose : uint8_t { after_peer, after_reply, never, at, abort };

struct TcpServerConfig {
  std::string name;
  uint16_t port = 0;
  int backlog = 128;
  ServerReply reply = ServerReply::echo;
  Payload reply_data;  // ServerReply::fixed
  bool accept = true;
  ServerClose close = ServerClose::after_peer;
  Duration close_at;  // ServerClose::at: time after the connection was accepted
  tcp::SocketOptions options;
  uint32_t send_flags = 0;  // each reply's send(): MSG_MORE / MSG_EOR (protocols/tcp/msg_flags.hpp)
  // Bytes of each connection's data kept for `received:` checks, beyond the first
  // kKeepAllConnections connections (which keep kReceivedKeep): 100,000 connections of a
  // 64 KiB echo must not hold 64 KiB copies each (issue 17 §4). The runner keeps only what
  // the scenario's expectations can compare; 0 keeps nothing.
  size_t keep_received = kReceivedKeep;
};

class TcpServerApp {
 public:
  TcpServerApp(Simulator& sim, tcp::TcpHost& host, TcpServerConfig cfg);
  // listen(); call at the start and again after the host restarts.
  void start();
  const AppReport& report() const { return report_; }
  // Its host is about to crash: the report keeps the sockets' last facts and ends them.
  void on_host_crash(Instant now) {
    refresh();
    report_.end_by_crash(now);
  }
  // Copies each live socket's state and retransmission count into the report.
  void refresh();
  const TcpServerConfig& config() const { return cfg_; }

 private:
  void on_accepted(tcp::SocketId child);
  void on_data(tcp::SocketId s, const Payload& p);
  struct Accepted;
  // What the program does with bytes it read: count and keep them, reply, close by policy.
  void consume(tcp::SocketId s, Accepted& a, const Payload& p);
  // While its send() is blocked the program reads nothing: the bytes stay in the receive buffer
  // (auto_read off) and the window closes, as with a real server; resumed at writable.
  void pause_reading(tcp::SocketId s, Accepted& a, bool paused);
  void drain(tcp::SocketId s, Accepted& a);
  void on_eof(tcp::SocketId s);
  void on_error(tcp::SocketId s, tcp::SocketError e);
  void on_writable(tcp::SocketId s);
  // A reply through the blocking send(); a close the policy asks for waits until it returned.
  void reply(tcp::SocketId s, ConnectionReport& r, Payload data);
  void close_when_sent(tcp::SocketId s);
  void close_socket(tcp::SocketId s);
  // An accepted connection, by its index in report_.connections (12 bytes; the host's tag of
  // the socket is that index, so no map from SocketId is kept: a million-connection server
  // holds one per connection).
  struct Accepted {
    uint32_t index = 0;                     // in report_.connections
    tcp::SocketId socket = tcp::kNoSocket;  // kNoSocket once `closed` (the id is released then)
    bool closed_by_app = false;
    bool close_after_send = false;  // the policy closes once the blocked send() returns
    bool paused = false;            // blocked in send(): not reading
  };
  Accepted* find(tcp::SocketId s) {
    uint32_t tag = host_.tag(s);
    if (tag >= accepted_.size() || accepted_[tag].socket != s) return nullptr;
    return &accepted_[tag];
  }
  Accepted& at(tcp::SocketId s);  // throws std::out_of_range for a socket not accepted

  Simulator& sim_;
  tcp::TcpHost& host_;
  TcpServerConfig cfg_;
  AppReport report_;
  tcp::SocketId listener_ = tcp::kNoSocket;
  // Grown only in on_accepted(), which never runs while another callback of this app holds an
  // Accepted&: TcpHost delivers one notice at a time and queues those of host calls made from
  // inside a callback until it returns.
  std::vector<Accepted> accepted_;
  // Bytes the stack handed over in the same delivery as the ones whose echo blocked (read by
  // that same read() call, as a real program's buffer would hold them): consumed first once
  // the send returned. Only sockets blocked in send() have any.
  std::unordered_map<tcp::SocketId, std::vector<Payload>> held_;
  // Sockets whose send() is blocked on a full send buffer (most have none); they do not read
  // meanwhile.
  std::unordered_map<tcp::SocketId, BlockingWriter> blocked_;
};

}  // namespace netsim::apps
