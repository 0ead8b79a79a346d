// tcp_app: a scenario's socket calls run in order on one host. Blocking calls return when the
// host's callbacks say so, as a blocking program's would: connect() at ESTABLISHED (or its
// error), accept() when the queue holds a connection, recv() when data or the FIN arrived.
#include "scenarios/runner/scripted_app.hpp"

#include <algorithm>
#include <limits>

namespace netsim {

ScriptedApp::ScriptedApp(Simulator& sim, tcp::TcpHost& host, const TcpAppSpec& spec, Payload filler)
    : sim_(sim), host_(host), spec_(spec), filler_(std::move(filler)) {
  report_.name = spec_.name;
  report_.kind = "tcp_app";
  report_.host = host_.name();
  // Data stays in the receive buffer until a recv call reads it, so that closing with unread
  // data, a full window and a late reader can be told.
  opts_.auto_read = false;
}

void ScriptedApp::start() {
  uint64_t epoch = epoch_;
  sim_.schedule_at(Instant::zero(), [this, epoch] {
    if (epoch == epoch_) resume();
  });
}

apps::ConnectionReport* ScriptedApp::current() {
  return conn_ ? &report_.connections[*conn_] : nullptr;
}

void ScriptedApp::resume() {
  while (!stopped_ && wait_ == Wait::none && pc_ < spec_.script.size()) {
    const AppCall& c = spec_.script[pc_];
    if (c.at && sim_.now() < Instant::zero() + *c.at) {
      wait_ = Wait::timer;
      uint64_t epoch = epoch_;
      sim_.schedule_at(Instant::zero() + *c.at, [this, epoch] {
        if (epoch != epoch_) return;
        wait_ = Wait::none;
        resume();
      });
      return;
    }
    if (!run_call(c)) return;
    ++pc_;
  }
}

// One set for the listener, its children and connect()ed sockets: each callback looks at
// which socket it is about (only the current connection matters to the script).
tcp::SocketCallbacks ScriptedApp::callbacks() {
  tcp::SocketCallbacks cb;
  cb.on_connected = [this](tcp::SocketId s) { on_connected(s); };
  cb.on_accepted = [this](tcp::SocketId, tcp::SocketId) {
    if (wait_ != Wait::accept) return;
    wait_ = Wait::none;
    resume();
  };
  cb.on_data = [this](tcp::SocketId s, const Payload&) { on_data(s); };
  cb.on_eof = [this](tcp::SocketId s) { on_eof(s); };
  cb.on_error = [this](tcp::SocketId s, tcp::SocketError e) { on_error(s, e); };
  cb.on_closed = [this](tcp::SocketId s, const tcp::SocketStats& final) {
    for (size_t i = 0; i < sockets_.size(); ++i) {
      if (sockets_[i] != s) continue;
      report_.connections[i].retransmits = final.retransmits;
      report_.connections[i].state = "CLOSED";
      sockets_[i] = tcp::kNoSocket;  // the id is released after `closed`
    }
  };
  return cb;
}

bool ScriptedApp::run_call(const AppCall& c) {
  switch (c.kind) {
    case AppCall::Kind::wait:
      return true;
    case AppCall::Kind::sleep: {
      wait_ = Wait::timer;
      uint64_t epoch = epoch_;
      sim_.schedule_in(c.sleep, [this, epoch] {
        if (epoch != epoch_) return;
        wait_ = Wait::none;
        ++pc_;
        resume();
      });
      return false;
    }
    case AppCall::Kind::connect: {
      if (sock_ == tcp::kNoSocket) {
        auto opened = host_.connect(SocketAddr{c.remote.address, c.remote.port}, std::nullopt,
                                    opts_, callbacks(), spec_.name);
        if (opened.id == tcp::kNoSocket) {
          new_connection(tcp::kNoSocket, false);
          current()->remote = SocketAddr{c.remote.address, c.remote.port};
          finish(tcp::to_string(opened.error));
          stopped_ = true;
          return false;
        }
        new_connection(opened.id, false);
        current()->remote = SocketAddr{c.remote.address, c.remote.port};
      }
      if (current()->connected_at) return true;
      wait_ = Wait::connect;
      return false;
    }
    case AppCall::Kind::listen: {
      listener_ = host_.listen(c.port, c.backlog, opts_, callbacks(), spec_.name).id;
      if (listener_ == tcp::kNoSocket) stopped_ = true;
      return !stopped_;
    }
    case AppCall::Kind::accept: {
      std::optional<tcp::SocketId> child = host_.accept(listener_);
      if (!child) {
        wait_ = Wait::accept;
        return false;
      }
      ++report_.accepted;
      new_connection(*child, true);
      host_.set_options(*child, opts_);
      return true;
    }
    case AppCall::Kind::send:
      do_send(c);
      return true;
    case AppCall::Kind::recv:
      return do_recv(c);
    case AppCall::Kind::shutdown:
      if (sock_ != tcp::kNoSocket && host_.stack().exists(sock_)) host_.shutdown_write(sock_);
      return true;
    case AppCall::Kind::close:
    case AppCall::Kind::abort:
      do_close(c.kind == AppCall::Kind::abort);
      return true;
    case AppCall::Kind::setsockopt:
      set_options(c);
      return true;
  }
  return true;
}

void ScriptedApp::new_connection(tcp::SocketId s, bool accepted) {
  sock_ = s;
  read_all_ = false;
  conn_ = report_.connections.size();
  report_.connections.emplace_back();
  sockets_.push_back(s);
  apps::ConnectionReport& r = report_.connections.back();
  r.started_at = sim_.now();
  if (accepted) r.connected_at = sim_.now();
  if (s != tcp::kNoSocket) {
    r.local = host_.stack().local_address(s);
    if (accepted) r.remote = host_.stack().remote_address(s);
  }
}

void ScriptedApp::do_send(const AppCall& c) {
  Payload data = c.data.kind == DataSpec::Kind::size
                     ? filler_.slice(0, static_cast<size_t>(c.data.bytes))
                     : Payload::from_string(c.data.text);
  // After close() the descriptor is gone; the loader refuses that order, so the socket is
  // either live or freed by the stack (a reset): both give EPIPE as Linux does.
  tcp::SocketError e =
      host_.stack().exists(sock_) ? host_.send(sock_, data) : tcp::SocketError::epipe;
  if (e == tcp::SocketError::none) {
    current()->bytes_sent += data.size();
  } else {
    finish(tcp::to_string(e));
  }
}

bool ScriptedApp::do_recv(const AppCall& c) {
  switch (c.recv) {
    case AppCall::Recv::all:
      read_all_ = true;
      read_available();
      return true;
    case AppCall::Recv::stop:
      read_all_ = false;
      return true;
    case AppCall::Recv::bytes:
    case AppCall::Recv::eof:
      break;
  }
  if (!recv_resumed_) recv_left_ = static_cast<uint64_t>(c.recv_bytes);
  recv_resumed_ = false;
  apps::ConnectionReport& r = *current();
  while (host_.stack().exists(sock_)) {
    size_t want = c.recv == AppCall::Recv::eof ? std::numeric_limits<size_t>::max()
                                               : static_cast<size_t>(recv_left_);
    if (want == 0) break;
    Payload p = host_.read(sock_, want);
    if (p.empty()) break;
    r.bytes_received += p.size();
    r.keep_received(p.slice(0, std::min(p.size(), apps::kReceivedKeep)).as_string_view());
    if (c.recv == AppCall::Recv::bytes) recv_left_ -= p.size();
  }
  bool done = c.recv == AppCall::Recv::bytes ? recv_left_ == 0 : false;
  // The FIN, a reset or a freed socket ends any read (read() returns 0 or the error).
  if (r.peer_closed || r.result != "open" || !host_.stack().exists(sock_)) done = true;
  wait_ = done ? Wait::none : Wait::recv;
  return done;
}

void ScriptedApp::read_available() {
  apps::ConnectionReport* r = current();
  if (!r || !host_.stack().exists(sock_)) return;
  for (;;) {
    Payload p = host_.read(sock_, std::numeric_limits<size_t>::max());
    if (p.empty()) return;
    r->bytes_received += p.size();
    r->keep_received(p.slice(0, std::min(p.size(), apps::kReceivedKeep)).as_string_view());
  }
}

void ScriptedApp::do_close(bool abort) {
  apps::ConnectionReport* r = current();
  if (r && host_.stack().exists(sock_)) {
    r->retransmits = host_.stack().stats(sock_).retransmits;
    r->state = tcp::to_string(host_.stack().state(sock_));
    if (abort) {
      host_.abort(sock_);
    } else {
      host_.close(sock_);
    }
  }
  finish("closed");
  // The report keeps the connection; the script has no socket until the next connect/accept.
  sock_ = tcp::kNoSocket;
  read_all_ = false;
}

void ScriptedApp::set_options(const AppCall& c) {
  if (c.keepalive) {
    opts_.keepalive.enabled = true;
    opts_.keepalive.idle = c.keepalive->idle;
    opts_.keepalive.interval = c.keepalive->interval;
    opts_.keepalive.probes = c.keepalive->probes;
  }
  if (c.linger_zero) opts_.linger_zero = *c.linger_zero;
  if (c.syncnt) opts_.syn_count = *c.syncnt;
  if (sock_ != tcp::kNoSocket && host_.stack().exists(sock_)) host_.set_options(sock_, opts_);
}

void ScriptedApp::finish(std::string_view result) {
  apps::ConnectionReport* r = current();
  if (!r || r->result != "open") return;
  r->result = result;
  r->result_at = sim_.now();
}

void ScriptedApp::on_connected(tcp::SocketId s) {
  if (s != sock_) return;
  current()->connected_at = sim_.now();
  if (wait_ == Wait::connect) {
    wait_ = Wait::none;
    ++pc_;
    resume();
  }
}

void ScriptedApp::on_data(tcp::SocketId s) {
  if (s != sock_) return;  // a child not accepted yet keeps its data queued
  if (read_all_) read_available();
  resume_recv();
}

// A recv call that was blocked tries again, keeping what it still has to read.
void ScriptedApp::resume_recv() {
  if (wait_ != Wait::recv) return;
  wait_ = Wait::none;
  recv_resumed_ = true;
  resume();
}

void ScriptedApp::on_eof(tcp::SocketId s) {
  if (s != sock_) return;
  current()->peer_closed = true;
  resume_recv();
}

// ECONNREFUSED, ECONNRESET, ETIMEDOUT end the connection and the script: the call that was
// blocked returns the error, as a program that then exits.
void ScriptedApp::on_error(tcp::SocketId s, tcp::SocketError e) {
  if (s != sock_ || s == tcp::kNoSocket) return;
  finish(tcp::to_string(e));
  stopped_ = true;
  ++epoch_;
}

void ScriptedApp::on_host_crash(Instant now) {
  refresh();
  report_.end_by_crash(now);
  stopped_ = true;
  ++epoch_;
}

void ScriptedApp::refresh() {
  for (size_t i = 0; i < sockets_.size(); ++i) {
    tcp::SocketId s = sockets_[i];
    if (s == tcp::kNoSocket || !host_.stack().exists(s)) continue;
    report_.connections[i].state = tcp::to_string(host_.stack().state(s));
    report_.connections[i].retransmits = host_.stack().stats(s).retransmits;
  }
}

}  // namespace netsim
