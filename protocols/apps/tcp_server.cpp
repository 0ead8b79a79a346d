// tcp_server: listen, accept (or not), reply through a blocking send() (app_writer.hpp), close
// by policy, record each connection.
#include "protocols/apps/tcp_server.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

namespace netsim::apps {
namespace {
// Connections that keep what they receive whatever keep_received says (reports read by
// tools and tests).
constexpr size_t kKeepAllConnections = 16;
}  // namespace

TcpServerApp::TcpServerApp(Simulator& sim, tcp::TcpHost& host, TcpServerConfig cfg)
    : sim_(sim), host_(host), cfg_(std::move(cfg)) {
  report_.name = cfg_.name;
  report_.kind = "tcp_server";
  report_.host = host_.name();
  // A server that never accepts never reads either: data stays queued in the kernel and the
  // advertised window shrinks, as with a real process that never calls accept().
  if (!cfg_.accept) cfg_.options.auto_read = false;
}

void TcpServerApp::start() {
  tcp::SocketCallbacks cb;
  cb.on_accepted = [this](tcp::SocketId, tcp::SocketId child) { on_accepted(child); };
  cb.on_data = [this](tcp::SocketId s, const Payload& p) { on_data(s, p); };
  cb.on_eof = [this](tcp::SocketId s) { on_eof(s); };
  cb.on_writable = [this](tcp::SocketId s) { on_writable(s); };
  cb.on_error = [this](tcp::SocketId s, tcp::SocketError e) { on_error(s, e); };
  cb.on_closed = [this](tcp::SocketId s, const tcp::SocketStats& final) {
    if (Accepted* a = find(s)) {
      report_.connections[a->index].retransmits = final.retransmits;
      report_.connections[a->index].state = TcpState::closed;
      a->socket = tcp::kNoSocket;
    }
    blocked_.erase(s);
    held_.erase(s);
  };
  auto opened = host_.listen(cfg_.port, cfg_.backlog, cfg_.options, std::move(cb), cfg_.name);
  listener_ = opened.id;
}

void TcpServerApp::on_accepted(tcp::SocketId child) {
  if (!cfg_.accept) return;
  auto taken = host_.accept(listener_);
  if (!taken) return;
  tcp::SocketId s = *taken;
  (void)child;
  ++report_.accepted;
  auto index = static_cast<uint32_t>(report_.connections.size());
  accepted_.push_back(Accepted{.index = index, .socket = s});
  host_.set_tag(s, index);
  ConnectionReport r;
  r.started_at = sim_.now();
  r.connected_at = sim_.now();
  r.local = host_.stack().local_address(s);
  r.remote = host_.stack().remote_address(s);
  report_.connections.push_back(std::move(r));
  if (cfg_.close == ServerClose::at) {
    sim_.schedule_in(cfg_.close_at, [this, s] {
      Accepted* a = find(s);
      if (a && !a->closed_by_app && report_.connections[a->index].result == "open") close_socket(s);
    });
  }
}

void TcpServerApp::on_data(tcp::SocketId s, const Payload& p) {
  Accepted* a = find(s);
  if (!a) return;   // not accepted (accept: false): the data stays queued
  if (a->paused) {  // blocked in send(): consumed at writable (drain())
    held_[s].push_back(p);
    return;
  }
  consume(s, *a, p);
}

void TcpServerApp::consume(tcp::SocketId s, Accepted& a, const Payload& p) {
  ConnectionReport& r = report_.connections[a.index];
  bool first = r.bytes_received == 0;
  r.bytes_received += p.size();
  // The first kKeepAllConnections connections keep up to kReceivedKeep bytes for the tools
  // that read reports; the others only what keep_received says.
  size_t keep = a.index < kKeepAllConnections ? kReceivedKeep : cfg_.keep_received;
  if (r.received().size() < keep) {  // as_string_view() may copy a slice: cut it first
    r.keep_received(p.slice(0, std::min(p.size(), keep - r.received().size())).as_string_view());
  }
  // After the peer's FIN the bytes read before it are still echoed; after a close by policy
  // (after_reply) nothing more is answered.
  if (a.closed_by_app || (a.close_after_send && cfg_.close != ServerClose::after_peer)) return;
  bool replied = false;
  if (cfg_.reply == ServerReply::echo) {
    reply(s, r, p);
    replied = true;
  } else if (cfg_.reply == ServerReply::fixed && first) {
    reply(s, r, cfg_.reply_data);
    replied = true;
  }
  if (blocked_.count(s) != 0 && !a.paused) pause_reading(s, a, true);
  if ((cfg_.close == ServerClose::after_reply || cfg_.close == ServerClose::abort) &&
      (replied || cfg_.reply == ServerReply::none)) {
    close_when_sent(s);
  }
}

void TcpServerApp::pause_reading(tcp::SocketId s, Accepted& a, bool paused) {
  a.paused = paused;
  tcp::SocketOptions o = cfg_.options;  // what the accepted socket inherited
  o.auto_read = !paused;
  host_.set_options(s, o);
}

// The send() returned: the program reads what arrived meanwhile (echoing it may block again),
// then reads as data comes.
void TcpServerApp::drain(tcp::SocketId s, Accepted& a) {
  for (auto it = held_.find(s); it != held_.end(); it = held_.find(s)) {
    Payload p = std::move(it->second.front());
    it->second.erase(it->second.begin());
    if (it->second.empty()) held_.erase(it);
    consume(s, a, p);
    if (blocked_.count(s) != 0) return;
  }
  while (host_.stack().exists(s)) {
    Payload p = host_.read(s, SIZE_MAX);
    if (p.empty()) break;
    consume(s, a, p);
    if (blocked_.count(s) != 0) return;
  }
  if (host_.stack().exists(s)) pause_reading(s, a, false);
}

void TcpServerApp::on_eof(tcp::SocketId s) {
  Accepted* a = find(s);
  if (!a) return;
  report_.connections[a->index].peer_closed = true;
  if (!a->closed_by_app && cfg_.close == ServerClose::after_peer) close_when_sent(s);
}

void TcpServerApp::on_error(tcp::SocketId s, tcp::SocketError e) {
  Accepted* a = find(s);
  if (!a || a->closed_by_app) return;
  blocked_.erase(s);  // the blocked send() fails with the error
  ConnectionReport& r = report_.connections[a->index];
  if (r.result != "open") return;
  r.result = tcp::to_string(e);
  r.result_at = sim_.now();
}

// The reply as a blocking send(): behind whatever an earlier reply still has waiting.
void TcpServerApp::reply(tcp::SocketId s, ConnectionReport& r, Payload data) {
  auto it = blocked_.find(s);
  if (it != blocked_.end()) {
    r.bytes_sent += it->second.send(host_, s, std::move(data), cfg_.send_flags);
    return;
  }
  BlockingWriter w;
  r.bytes_sent += w.send(host_, s, std::move(data), cfg_.send_flags);
  if (!w.idle()) blocked_.emplace(s, std::move(w));
}

void TcpServerApp::on_writable(tcp::SocketId s) {
  auto it = blocked_.find(s);
  Accepted* a = find(s);
  if (it == blocked_.end() || !a) return;
  report_.connections[a->index].bytes_sent += it->second.resume(host_, s);
  if (!it->second.idle()) return;
  blocked_.erase(it);
  if (a->paused && !a->closed_by_app) drain(s, *a);
  if (blocked_.count(s) != 0) return;  // echoing what it read blocked again
  if (a->close_after_send && !a->closed_by_app) close_socket(s);
}

// A program closes after its send() returned: with data still waiting, once it is queued.
void TcpServerApp::close_when_sent(tcp::SocketId s) {
  if (blocked_.count(s) == 0) {
    close_socket(s);
    return;
  }
  if (Accepted* a = find(s)) a->close_after_send = true;
}

TcpServerApp::Accepted& TcpServerApp::at(tcp::SocketId s) {
  if (Accepted* a = find(s)) return *a;
  throw std::out_of_range(fmt::format("tcp_server {}: socket {} was not accepted", cfg_.name, s));
}

void TcpServerApp::close_socket(tcp::SocketId s) {
  Accepted& a = at(s);
  a.closed_by_app = true;
  blocked_.erase(s);
  ConnectionReport& r = report_.connections[a.index];
  r.retransmits = host_.stack().stats(s).retransmits;
  if (cfg_.close == ServerClose::abort) {
    host_.abort(s);
  } else {
    host_.close(s);
  }
  if (r.result == "open") {
    r.result = "closed";
    r.result_at = sim_.now();
  }
}

}  // namespace netsim::apps

namespace netsim::apps {

void TcpServerApp::refresh() {
  for (const Accepted& a : accepted_) {
    tcp::SocketId s = a.socket;
    if (s == tcp::kNoSocket || !host_.stack().exists(s)) continue;
    ConnectionReport& r = report_.connections[a.index];
    r.state = host_.stack().state(s);
    r.retransmits = host_.stack().stats(s).retransmits;
  }
}

}  // namespace netsim::apps
