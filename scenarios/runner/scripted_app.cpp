// tcp_app: a scenario's socket calls run in order on one host, each through the socket-call
// engine (drill/socket_calls.hpp) as in `netsim drill`. A call that would block is retried when
// the host's callbacks say it may return, as a blocking program's: connect() at ESTABLISHED (or
// its error), accept() when the queue holds a connection, recv() when data or the FIN arrived,
// send() when the send buffer took all (tcp_sendmsg() waits for `writable` to copy more).
#include "scenarios/runner/scripted_app.hpp"

#include <algorithm>
#include <limits>

namespace netsim {

ScriptedApp::ScriptedApp(Simulator& sim, tcp::TcpHost& host, const TcpAppSpec& spec, Payload filler)
    : sim_(sim),
      host_(host),
      spec_(spec),
      filler_(std::move(filler)),
      engine_(sim, host, spec.name, callbacks()) {
  report_.name = spec_.name;
  report_.kind = "tcp_app";
  report_.host = host_.name();
  engine_.set_timed_reads(true);  // recv calls through the socket lock when the profile times them
  // Data stays in the receive buffer until a recv call reads it (the engine opens sockets
  // without auto_read), so that closing with unread data, a full window and a late reader can
  // be told.
}

void ScriptedApp::start() {
  uint64_t epoch = epoch_;
  sim_.schedule_at(Instant::zero(), [this, epoch] {
    if (epoch == epoch_) resume();
  });
}

// The script sleeps until `t` (an `at:` or a `sleep:`); `next`: the sleep call is then done.
void ScriptedApp::wake_at(Instant t, bool next) {
  wait_ = Wait::timer;
  uint64_t epoch = epoch_;
  engine_.sleep_until(t, [this, epoch, next] {
    if (epoch != epoch_) return;
    wait_ = Wait::none;
    if (next) ++pc_;
    resume();
  });
}

apps::ConnectionReport* ScriptedApp::current() {
  return conn_ ? &report_.connections[*conn_] : nullptr;
}

void ScriptedApp::resume() {
  while (!stopped_ && wait_ == Wait::none && pc_ < spec_.script.size()) {
    const AppCall& c = spec_.script[pc_];
    if (c.at && sim_.now() < Instant::zero() + *c.at) {
      wake_at(Instant::zero() + *c.at, false);
      return;
    }
    if (!run_call(c)) return;
    ++pc_;
  }
}

// One set for the listener, its children and connect()ed sockets, called after the engine
// recorded the notice: each looks at which socket it is about (only the current connection
// matters to the script).
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
  cb.on_writable = [this](tcp::SocketId s) {
    if (s != sock_.id || wait_ != Wait::send) return;
    wait_ = Wait::none;  // the blocked send copies more
    resume();
  };
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
    case AppCall::Kind::sleep:
      wake_at(sim_.now() + c.sleep, true);
      return false;
    case AppCall::Kind::connect:
      return do_connect(c);
    case AppCall::Kind::listen:
      listener_.opts = sock_.opts;
      if (engine_.listen(listener_, c.port, c.backlog).failed()) stopped_ = true;
      return !stopped_;
    case AppCall::Kind::accept:
      return do_accept();
    case AppCall::Kind::send:
      return do_send(c);
    case AppCall::Kind::recv:
      return do_recv(c);
    case AppCall::Kind::shutdown:
      engine_.shutdown(sock_);
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

// A connect that fails at once (EADDRINUSE) or later (ECONNREFUSED, ETIMEDOUT) ends the script.
bool ScriptedApp::do_connect(const AppCall& c) {
  SocketAddr to{c.remote.address, c.remote.port};
  bool opening = sock_.id == tcp::kNoSocket;
  std::optional<sockcalls::Result> r = engine_.connect(sock_, to);
  if (opening) {
    new_connection(sock_.id, false);
    current()->remote = to;
  }
  if (!r) {
    wait_ = Wait::connect;
    return false;
  }
  if (r->failed()) {
    finish(r->err);
    stopped_ = true;
    return false;
  }
  return true;
}

bool ScriptedApp::do_accept() {
  sockcalls::Socket child;
  std::optional<sockcalls::Result> r = engine_.accept(listener_, child);
  if (!r) {
    wait_ = Wait::accept;
    return false;
  }
  if (r->failed()) {  // no listener: the loader refuses that order
    stopped_ = true;
    return false;
  }
  ++report_.accepted;
  child.opts = sock_.opts;  // what the script set since listen()
  sock_ = child;
  new_connection(sock_.id, true);
  engine_.apply_options(sock_);
  return true;
}

// `s` is sock_'s id (kNoSocket when connect() failed at once).
void ScriptedApp::new_connection(tcp::SocketId s, bool accepted) {
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

// A blocking send(): it returns once the send buffer took every byte, copying more each time
// ACKs free a third of it; an error ends the connection's result (bytes copied before it count).
bool ScriptedApp::do_send(const AppCall& c) {
  Payload data = c.data.kind == DataSpec::Kind::size
                     ? filler_.slice(0, static_cast<size_t>(c.data.bytes))
                     : Payload::from_string(c.data.text);
  // After close() the descriptor is gone; the loader refuses that order. EPIPE after shutdown
  // or once the stack freed the socket, as Linux's tcp_sendmsg().
  const size_t before = send_done_;
  std::optional<sockcalls::Result> r = engine_.write(sock_, data, send_done_, c.send_flags);
  if (current()) current()->bytes_sent += send_done_ - before;
  if (!r) {
    wait_ = Wait::send;
    return false;
  }
  send_done_ = 0;
  if (r->failed()) finish(r->err);  // an error while blocked arrives through on_error()
  wait_ = Wait::none;
  return true;
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
  for (;;) {
    size_t want = c.recv == AppCall::Recv::eof ? std::numeric_limits<size_t>::max()
                                               : static_cast<size_t>(recv_left_);
    if (want == 0) break;
    std::optional<sockcalls::ReadResult> r = engine_.read(sock_, want);
    if (!r) {  // nothing to read yet: retried on the next data or the FIN
      wait_ = Wait::recv;
      return false;
    }
    // read() returns 0 at the FIN or once the socket is gone, -1 with the error of a reset.
    if (r->result.failed()) finish(r->result.err);
    if (r->result.ret <= 0) break;
    keep(r->data);
    if (c.recv == AppCall::Recv::bytes) recv_left_ -= r->data.size();
  }
  wait_ = Wait::none;
  return true;
}

void ScriptedApp::keep(const Payload& p) {
  apps::ConnectionReport& r = *current();
  r.bytes_received += p.size();
  r.keep_received(p.slice(0, std::min(p.size(), apps::kReceivedKeep)).as_string_view());
}

void ScriptedApp::read_available() {
  if (!current()) return;
  for (;;) {
    std::optional<sockcalls::ReadResult> r =
        engine_.read(sock_, std::numeric_limits<size_t>::max());
    if (!r || r->result.ret <= 0) return;
    keep(r->data);
  }
}

void ScriptedApp::do_close(bool abort) {
  apps::ConnectionReport* r = current();
  if (r && host_.stack().exists(sock_.id)) {
    r->retransmits = host_.stack().stats(sock_.id).retransmits;
    r->state = tcp::to_string(host_.stack().state(sock_.id));
  }
  if (abort) {
    engine_.abort(sock_);
  } else {
    engine_.close(sock_);
  }
  finish("closed");
  // The report keeps the connection; the script has no socket until the next connect/accept,
  // which gets the options set so far.
  sockcalls::Socket next;
  next.opts = sock_.opts;
  sock_ = next;
  read_all_ = false;
}

void ScriptedApp::set_options(const AppCall& c) {
  sockcalls::OptionChange change;
  if (c.keepalive) {
    change.keepalive = true;
    change.keepidle = c.keepalive->idle;
    change.keepintvl = c.keepalive->interval;
    change.keepcnt = c.keepalive->probes;
  } else if (c.keepalive_off) {
    change.keepalive = false;
  }
  change.linger_zero = c.linger_zero;
  change.syncnt = c.syncnt;
  // The loader checks the values as Linux does; a refusal would be EINVAL, as on Linux.
  if (sockcalls::Result r = engine_.setsockopt(sock_, change); r.failed()) finish(r.err);
}

void ScriptedApp::finish(std::string_view result) {
  apps::ConnectionReport* r = current();
  if (!r || r->result != "open") return;
  r->result = result;
  r->result_at = sim_.now();
}

void ScriptedApp::on_connected(tcp::SocketId s) {
  if (s != sock_.id) return;
  current()->connected_at = sim_.now();
  if (wait_ == Wait::connect) {  // the blocked connect() now returns 0
    wait_ = Wait::none;
    resume();
  }
}

void ScriptedApp::on_data(tcp::SocketId s) {
  if (s != sock_.id) return;  // a child not accepted yet keeps its data queued
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
  if (s != sock_.id) return;
  current()->peer_closed = true;
  resume_recv();
}

// ECONNREFUSED, ECONNRESET, ETIMEDOUT end the connection and the script: the call that was
// blocked returns the error, as a program that then exits.
void ScriptedApp::on_error(tcp::SocketId s, tcp::SocketError e) {
  if (s != sock_.id || s == tcp::kNoSocket) return;
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
    report_.connections[i].state = host_.stack().state(s);
    report_.connections[i].retransmits = host_.stack().stats(s).retransmits;
  }
}

}  // namespace netsim
