// tcp_client: connect at a time, send, optionally half-close, close by policy, record results.
#include "protocols/apps/tcp_client.hpp"

#include <algorithm>

namespace netsim::apps {
namespace {
// Connections that keep what they receive whatever keep_received says (reports read by
// tools and tests).
constexpr size_t kKeepAllConnections = 16;
}  // namespace

TcpClientApp::TcpClientApp(Simulator& sim, tcp::TcpHost& host, TcpClientConfig cfg)
    : sim_(sim), host_(host), cfg_(std::move(cfg)) {
  report_.name = cfg_.name;
  report_.kind = "tcp_client";
  report_.host = host_.name();
  size_t n = static_cast<size_t>(std::max(cfg_.count, 0));
  report_.connections.resize(n);
  sockets_.assign(n, tcp::kNoSocket);
  closed_by_app_.assign(n, false);
  auto cb = std::make_shared<tcp::SocketCallbacks>();
  cb->on_connected = [this](tcp::SocketId s) { on_connected(index_of(s), s); };
  cb->on_data = [this](tcp::SocketId s, const Payload& p) { on_data(index_of(s), s, p); };
  cb->on_eof = [this](tcp::SocketId s) { on_eof(index_of(s), s); };
  cb->on_writable = [this](tcp::SocketId s) { on_writable(index_of(s), s); };
  cb->on_error = [this](tcp::SocketId s, tcp::SocketError e) { on_error(index_of(s), e); };
  cb->on_closed = [this](tcp::SocketId s, const tcp::SocketStats& final) {
    size_t i = index_of(s);
    report_.connections[i].retransmits = final.retransmits;
    report_.connections[i].state = "CLOSED";
    blocked_.erase(static_cast<uint32_t>(i));
  };
  callbacks_ = std::move(cb);
  name_ = std::make_shared<const std::string>(cfg_.name);
}

size_t TcpClientApp::index_of(tcp::SocketId s) const {
  uint32_t tag = host_.tag(s);
  return tag == tcp::TcpHost::kNoTag ? opening_ : tag;
}

void TcpClientApp::start() {
  if (!sockets_.empty()) schedule_open(0);
}

// One pending event per app, not one per connection: each open schedules the next, so that
// `count: 100000` does not hold 100,000 events (and their slots) from the start of the run.
void TcpClientApp::schedule_open(size_t i) {
  Instant when = Instant::zero() + cfg_.at + cfg_.interval * static_cast<int64_t>(i);
  // count <= max_connections (100k) keeps the index within the 32-bit argument.
  sim_.schedule_call_at<&TcpClientApp::open_one>(when, this, static_cast<uint32_t>(i));
}

void TcpClientApp::open_one(size_t i) {
  if (i + 1 < sockets_.size()) schedule_open(i + 1);
  ConnectionReport& r = report_.connections[i];
  r.started_at = sim_.now();
  r.remote = cfg_.remote;
  std::optional<uint16_t> port = cfg_.local_port;
  // Several connections from one fixed port would collide: the i-th uses port + i.
  if (port && i > 0) port = static_cast<uint16_t>(*port + i);
  opening_ = i;
  auto opened = host_.connect(cfg_.remote, port, cfg_.options, callbacks_, name_);
  if (opened.id == tcp::kNoSocket) {
    finish(i, tcp::to_string(opened.error));
    return;
  }
  sockets_[i] = opened.id;
  host_.set_tag(opened.id, static_cast<uint32_t>(i));
  r.local = host_.stack().local_address(opened.id);
  // `close: {at: T}` is T after connect(), whatever the state: in SYN_SENT Linux's close()
  // sends nothing (tcp_set_state(TCP_CLOSE)) and a late SYN-ACK meets a RST.
  if (cfg_.close == ClientClose::at) {
    sim_.schedule_at(sim_.now() + cfg_.close_at, [this, i, s = opened.id] {
      if (!closed_by_app_[i] && report_.connections[i].result == "open") close_socket(i, s);
    });
  }
}

// send() of the whole data, as a blocking socket's: the send buffer takes what fits
// (sk_sndbuf) and the rest follows on each writable notice; only then does the program go on
// to shutdown() or close().
void TcpClientApp::on_connected(size_t i, tcp::SocketId s) {
  ConnectionReport& r = report_.connections[i];
  r.connected_at = sim_.now();
  if (!cfg_.data.empty()) {
    BlockingWriter w;
    r.bytes_sent += w.send(host_, s, cfg_.data, cfg_.send_flags);
    if (!w.idle()) {
      blocked_.emplace(static_cast<uint32_t>(i), std::move(w));
      return;
    }
  }
  after_send(i, s);
}

void TcpClientApp::on_writable(size_t i, tcp::SocketId s) {
  auto it = blocked_.find(static_cast<uint32_t>(i));
  if (it == blocked_.end()) return;
  report_.connections[i].bytes_sent += it->second.resume(host_, s);
  if (!it->second.idle()) return;
  blocked_.erase(it);
  if (!closed_by_app_[i]) after_send(i, s);
}

void TcpClientApp::after_send(size_t i, tcp::SocketId s) {
  if (cfg_.shutdown) host_.shutdown_write(s);
  switch (cfg_.close) {
    case ClientClose::after_send:
      close_socket(i, s);
      break;
    case ClientClose::at:  // scheduled by open_one(): T after connect(), in any state
      break;
    case ClientClose::after_reply:
    case ClientClose::abort:
      if (cfg_.data.empty()) break;  // waits for whatever the server says first
      break;
    case ClientClose::after_peer:
    case ClientClose::never:
      break;
  }
}

void TcpClientApp::on_data(size_t i, tcp::SocketId s, const Payload& p) {
  ConnectionReport& r = report_.connections[i];
  r.bytes_received += p.size();
  // The first kKeepAllConnections connections keep up to kReceivedKeep bytes for the tools
  // that read reports; the others only what keep_received says.
  size_t keep = i < kKeepAllConnections ? kReceivedKeep : cfg_.keep_received;
  if (r.received().size() < keep) {  // as_string_view() may copy a slice: cut it first
    r.keep_received(p.slice(0, std::min(p.size(), keep - r.received().size())).as_string_view());
  }
  bool replied = cfg_.data.empty() ? r.bytes_received > 0 : r.bytes_received >= cfg_.data.size();
  if (replied && !closed_by_app_[i] &&
      (cfg_.close == ClientClose::after_reply || cfg_.close == ClientClose::abort)) {
    close_socket(i, s);
  }
}

void TcpClientApp::on_eof(size_t i, tcp::SocketId s) {
  report_.connections[i].peer_closed = true;
  if (cfg_.close == ClientClose::after_peer && !closed_by_app_[i]) close_socket(i, s);
}

void TcpClientApp::on_error(size_t i, tcp::SocketError e) {
  // After close() the application holds no socket and hears nothing, as on Linux.
  if (closed_by_app_[i]) return;
  blocked_.erase(static_cast<uint32_t>(i));  // the blocked send() fails with the error
  finish(i, tcp::to_string(e));
}

void TcpClientApp::close_socket(size_t i, tcp::SocketId s) {
  closed_by_app_[i] = true;
  blocked_.erase(static_cast<uint32_t>(i));  // close() from elsewhere ends the blocked send()
  report_.connections[i].retransmits = host_.stack().stats(s).retransmits;
  if (cfg_.close == ClientClose::abort) {
    host_.abort(s);
  } else {
    host_.close(s);
  }
  finish(i, "closed");
}

void TcpClientApp::finish(size_t i, std::string_view result) {
  ConnectionReport& r = report_.connections[i];
  if (r.result != "open") return;
  r.result = result;
  r.result_at = sim_.now();
}

}  // namespace netsim::apps

namespace netsim::apps {

void TcpClientApp::refresh() {
  for (size_t i = 0; i < sockets_.size(); ++i) {
    tcp::SocketId s = sockets_[i];
    if (s == tcp::kNoSocket || !host_.stack().exists(s)) continue;
    ConnectionReport& r = report_.connections[i];
    r.state = host_.stack().state(s);
    r.retransmits = host_.stack().stats(s).retransmits;
  }
}

}  // namespace netsim::apps
