// Soak: churns a million short TCP connections through the simulator (connect, 100 bytes each
// way, close; the client's side then spends Linux's 60 s in TIME_WAIT) with the trace on and
// formatted as JSON Lines, and prints memory at 10k, 100k and 1M connections. Memory must stay
// flat once TIME_WAIT's population is steady: closed connections, cancelled timers and trace
// buffers may not accumulate. Figures: docs/reliability.md.
// Usage: bench_soak [connections] [--no-trace]   (default 1000000; 100 new connections per
// virtual second, so from the 6,000th on about 6,000 sockets sit in TIME_WAIT at any time)
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <streambuf>
#include <string>
#include <vector>

#include "protocols/tcp/host.hpp"
#include "sim/network.hpp"
#include "sim/simulator.hpp"
#include "sim/trace_jsonl.hpp"

using namespace netsim;
using namespace netsim::tcp;

namespace {

const Ipv4Addr kClient{0x0A000001};
const Ipv4Addr kServer{0x0A000002};
constexpr uint16_t kPort = 80;
constexpr size_t kMessage = 100;
const Duration kInterval = Duration::milliseconds(10);

// Reads "VmRSS:" / "VmHWM:" (kB) from /proc/self/status.
long proc_status_kb(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  size_t n = std::strlen(key);
  while (std::getline(in, line)) {
    if (line.compare(0, n, key) == 0) return std::atol(line.c_str() + n);
  }
  return -1;
}

size_t heap_in_use() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

// An ostream target that keeps nothing: the trace is formatted in full, then only counted.
class CountingBuf : public std::streambuf {
 public:
  uint64_t bytes() const { return bytes_; }

 protected:
  int overflow(int c) override {
    ++bytes_;
    return c;
  }
  std::streamsize xsputn(const char*, std::streamsize n) override {
    bytes_ += static_cast<uint64_t>(n);
    return n;
  }

 private:
  uint64_t bytes_ = 0;
};

class Churn {
 public:
  Churn(uint64_t total, bool trace)
      : total_(total),
        net_(sim_),
        client_node_(net_.add_host("client", {kClient})),
        server_node_(net_.add_host("server", {kServer})),
        trace_out_(&trace_buf_),
        jsonl_(trace_out_) {
    LinkParams p;
    p.delay = Duration::milliseconds(1);
    p.bandwidth = DataRate::bps(1'000'000'000);
    net_.add_link(client_node_, server_node_, p, p);
    net_.compute_routes();
    client_ = std::make_unique<TcpHost>(sim_, net_, client_node_, Profile{}, "client");
    server_ = std::make_unique<TcpHost>(sim_, net_, server_node_, Profile{}, "server");
    if (trace) sim_.trace().add_sink(&jsonl_);
    for (uint64_t m : {10'000, 100'000, 1'000'000}) {
      if (m <= total) milestones_.push_back(m);
    }
    if (milestones_.empty() || milestones_.back() != total) milestones_.push_back(total);
    // Each row is printed as the milestone's connection is opened.
  }

  void run() {
    listen();
    sim_.schedule_at(Instant::zero(), [this] { open_next(); });
    std::printf("%12s %10s %12s %9s %9s %9s %7s %9s %8s %10s\n", "opened", "virtual_s", "events",
                "rss_MiB", "peak_MiB", "heap_MiB", "alive", "tcp_timers", "pending", "trace_MiB");
    sim_.run();
    print_row("end");
    std::printf("%llu connections closed\n", static_cast<unsigned long long>(closed_));
    if (errors_ != 0) std::printf("errors: %llu\n", static_cast<unsigned long long>(errors_));
  }

 private:
  void listen() {
    SocketCallbacks cb;
    cb.on_accepted = [this](SocketId listener, SocketId) { (void)server_->accept(listener); };
    cb.on_data = [this](SocketId s, const Payload& p) { (void)server_->send(s, p); };
    cb.on_eof = [this](SocketId s) { server_->close(s); };
    server_->listen(kPort, 4096, {}, std::move(cb), "server");
  }

  void open_next() {
    if (opened_ >= total_) return;
    ++opened_;
    if (next_ < milestones_.size() && opened_ == milestones_[next_]) {
      ++next_;
      print_row(std::to_string(opened_));
    }
    SocketCallbacks cb;
    cb.on_connected = [this](SocketId s) {
      (void)client_->send(s, Payload(std::vector<uint8_t>(kMessage, 'x')));
    };
    cb.on_data = [this](SocketId s, const Payload&) { client_->close(s); };
    cb.on_closed = [this](SocketId, const SocketStats&) { on_closed(); };
    cb.on_error = [this](SocketId, SocketError) { ++errors_; };
    OpenResult r = client_->connect({kServer, kPort}, std::nullopt, {}, std::move(cb), "client");
    if (r.id == kNoSocket) ++errors_;
    sim_.schedule_in(kInterval, [this] { open_next(); });
  }

  void on_closed() { ++closed_; }

  // One line of the table: memory now, what is alive, what the trace has produced.
  void print_row(const std::string& label) {
    std::printf("%12s %10.1f %12llu %9.1f %9.1f %9.1f %7zu %9zu %8zu %10.1f\n", label.c_str(),
                static_cast<double>(sim_.now().ns()) / 1e9,
                static_cast<unsigned long long>(sim_.events_executed()),
                proc_status_kb("VmRSS:") / 1024.0, proc_status_kb("VmHWM:") / 1024.0,
                static_cast<double>(heap_in_use()) / (1 << 20),
                client_->stack().connection_count() + server_->stack().connection_count(),
                client_->armed_timers() + server_->armed_timers(), sim_.events_pending(),
                static_cast<double>(trace_buf_.bytes()) / (1 << 20));
    std::fflush(stdout);
  }

  uint64_t total_;
  Simulator sim_;
  Network net_;
  NodeId client_node_, server_node_;
  CountingBuf trace_buf_;
  std::ostream trace_out_;
  JsonlSink jsonl_;
  std::unique_ptr<TcpHost> client_, server_;
  std::vector<uint64_t> milestones_;
  size_t next_ = 0;
  uint64_t opened_ = 0, closed_ = 0, errors_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  uint64_t total = 1'000'000;
  bool trace = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--no-trace") == 0) {
      trace = false;
    } else {
      total = std::strtoull(argv[i], nullptr, 10);
    }
  }
  std::printf("bench_soak: %llu connections, one every %lld ms, trace %s\n",
              static_cast<unsigned long long>(total),
              static_cast<long long>(kInterval.ns() / 1'000'000), trace ? "JSONL" : "off");
  Churn(total, trace).run();
  return 0;
}
