// The `tcp_app` application: runs a scenario's list of socket calls (AppCall) in virtual time,
// one after the other, through the socket-call engine `netsim drill` uses (drill/socket_calls);
// connect, accept, recv and send block until the host's callbacks let them return. Its report reads
// like tcp_client's.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "drill/socket_calls.hpp"
#include "protocols/apps/app_report.hpp"
#include "protocols/tcp/host.hpp"
#include "scenarios/loader/scenario.hpp"
#include "sim/simulator.hpp"

namespace netsim {

class ScriptedApp {
 public:
  // `filler` provides the bytes of `send: SIZE` (the scenario's shared generated data).
  ScriptedApp(Simulator& sim, tcp::TcpHost& host, const TcpAppSpec& spec, Payload filler);
  // Runs the script from time zero (its first call may wait with `at`).
  void start();
  const apps::AppReport& report() const { return report_; }
  // The host crashes: connections end as "crashed" and the script stops.
  void on_host_crash(Instant now);
  // Copies each live socket's state and retransmission count into the report.
  void refresh();

 private:
  enum class Wait : uint8_t { none, timer, connect, accept, recv, send };

  tcp::SocketCallbacks callbacks();
  void wake_at(Instant t, bool next);
  void resume();
  // Runs the current call; false when it blocks (a callback or a timer resumes the script).
  bool run_call(const AppCall& c);
  bool do_connect(const AppCall& c);
  bool do_accept();
  bool do_recv(const AppCall& c);
  void keep(const Payload& p);
  bool do_send(const AppCall& c);
  void do_close(bool abort);
  void set_options(const AppCall& c);
  void new_connection(tcp::SocketId s, bool accepted);
  void read_available();
  void finish(std::string_view result);
  void on_connected(tcp::SocketId s);
  void on_data(tcp::SocketId s);
  void on_eof(tcp::SocketId s);
  void resume_recv();
  void on_error(tcp::SocketId s, tcp::SocketError e);
  apps::ConnectionReport* current();

  Simulator& sim_;
  tcp::TcpHost& host_;
  const TcpAppSpec& spec_;
  Payload filler_;
  apps::AppReport report_;
  sockcalls::Engine engine_;
  size_t pc_ = 0;  // the call to run next
  Wait wait_ = Wait::none;
  bool stopped_ = false;  // an error or a crash ended the script
  sockcalls::Socket listener_;
  // The connection the calls act on; between connections (id kNoSocket) it keeps the options
  // setsockopt stored, for the socket created next and for accepted children.
  sockcalls::Socket sock_;
  std::optional<size_t> conn_;          // its index in report_.connections
  std::vector<tcp::SocketId> sockets_;  // per connection in the report; kNoSocket once freed
  bool read_all_ = false;               // `recv: all`: read whatever arrives until `recv: stop`
  uint64_t recv_left_ = 0;              // `recv: SIZE` still to read
  bool recv_resumed_ = false;           // the recv call runs again after a callback
  size_t send_done_ = 0;                // bytes the current send call copied (it blocks for more)
  uint64_t epoch_ = 0;                  // bumped when the script stops: stale timers do nothing
};

}  // namespace netsim
