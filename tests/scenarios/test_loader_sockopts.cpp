// `socket_options:` of tcp_client and tcp_server apps (docs/scenario-format.md): setsockopt()
// names, Linux's bounds, exact errors with file:line:column.
#include <catch2/catch.hpp>

#include "scenarios/loader/loader.hpp"
#include "tests/support/loader_support.hpp"

using namespace netsim;
using namespace netsim::literals;

namespace {

using Lines = std::vector<std::string>;

const std::string kBase = std::string(test_support::kTwoHosts) + R"(links:
  - {between: [client, server], delay: 1ms}
apps:
)";

Lines errors_of(const std::string& apps) {
  return test_support::load_errors(kBase + apps, "bad.yaml");
}

}  // namespace

TEST_CASE("socket_options are read in file order with their Linux values") {
  LoadResult r = load_scenario_text(kBase + R"(  - tcp_server:
      on: server
      port: 80
      socket_options: {SO_RCVBUF: 16384, TCP_MAXSEG: 1000}
  - tcp_client:
      on: client
      connect: server:80
      socket_options: {TCP_NODELAY: true, TCP_CORK: 0, TCP_USER_TIMEOUT: 2s, SO_SNDBUF: 8192,
                       TCP_NOTSENT_LOWAT: 16384, SO_RCVLOWAT: 4096}
)",
                                    "ok.yaml", {}, {});
  REQUIRE(r.ok());
  const TcpServerSpec* s = r.scenario->apps[0].server();
  REQUIRE(s);
  CHECK(s->socket_options ==
        SockOptList{{tcp::SockOpt::so_rcvbuf, 16384}, {tcp::SockOpt::tcp_maxseg, 1000}});
  const TcpClientSpec* c = r.scenario->apps[1].client();
  REQUIRE(c);
  CHECK(c->socket_options == SockOptList{{tcp::SockOpt::tcp_nodelay, 1},
                                         {tcp::SockOpt::tcp_cork, 0},
                                         {tcp::SockOpt::tcp_user_timeout, 2000},
                                         {tcp::SockOpt::so_sndbuf, 8192},
                                         {tcp::SockOpt::tcp_notsent_lowat, 16384},
                                         {tcp::SockOpt::so_rcvlowat, 4096}});
}

TEST_CASE("socket_options: unknown names and values Linux refuses are errors") {
  CHECK(errors_of(R"(  - tcp_client:
      on: client
      connect: server:80
      socket_options: {TCP_NODELAY: maybe, TCP_MAXSEG: 20, SO_RCVBUF: -1, TCP_NOPUSH: 1}
)") == Lines{
           "bad.yaml:10:37: apps[0].tcp_client.socket_options.TCP_NODELAY: expected 0 or 1, "
           "found \"maybe\"",
           "bad.yaml:10:56: apps[0].tcp_client.socket_options.TCP_MAXSEG: expected an integer "
           "from 88 to 32767, found 20",
           "bad.yaml:10:71: apps[0].tcp_client.socket_options.SO_RCVBUF: expected an integer "
           "from 0 to 2147483647, found -1",
           "bad.yaml:10:75: apps[0].tcp_client.socket_options.TCP_NOPUSH: unknown key; expected "
           "one of TCP_NODELAY, TCP_CORK, TCP_USER_TIMEOUT, TCP_MAXSEG, SO_RCVBUF, SO_SNDBUF, "
           "TCP_NOTSENT_LOWAT, SO_RCVLOWAT",
       });
  CHECK(errors_of(R"(  - tcp_server: {on: server, port: 80, socket_options: {SO_RCVLOWAT: -1}}
)") == Lines{"bad.yaml:7:70: apps[0].tcp_server.socket_options.SO_RCVLOWAT: expected an "
             "integer from 0 to 2147483647, found -1"});
  // read_size: each auto-read call's len, 1 byte to INT_MAX.
  CHECK(errors_of(R"(  - tcp_server: {on: server, port: 80, read_size: 0B}
)") == Lines{"bad.yaml:7:51: apps[0].tcp_server.read_size: expected a size from 1B to "
             "2147483647B, found \"0B\""});
  CHECK(errors_of(R"(  - tcp_server: {on: server, port: 80, read_size: 4GB}
)") == Lines{"bad.yaml:7:51: apps[0].tcp_server.read_size: expected a size from 1B to "
             "2147483647B, found \"4GB\""});
  CHECK(errors_of(R"(  - tcp_server: {on: server, port: 80, socket_options: [TCP_NODELAY]}
)") == Lines{"bad.yaml:7:56: apps[0].tcp_server.socket_options: expected a map of socket "
             "options (TCP_NODELAY, SO_RCVBUF, ...), found a list"});
}
