// BlockingWriter (app_writer.hpp): tcp_sendmsg() copying a write in pieces as ACKs free the
// send buffer (sk_stream_wait_memory() between them).
#include "protocols/apps/app_writer.hpp"

#include <utility>

#include "protocols/tcp/connection.hpp"

namespace netsim::apps {

uint64_t BlockingWriter::send(tcp::TcpHost& host, tcp::SocketId s, Payload data, uint32_t flags) {
  if (data.empty()) return 0;
  if (host.timed_syscalls()) {
    const bool was_idle = idle();
    waiting_.push_back(Pending{std::move(data), flags});
    if (was_idle && !in_call_) start_timed(host, s);
    return 0;  // counted when the call returns (resume())
  }
  if (!idle()) {
    waiting_.push_back(Pending{std::move(data), flags});
    return resume(host, s);
  }
  // Nothing waits: write at once, and keep only what the buffer left (most writes fit, and
  // then nothing is allocated here).
  tcp::SendResult r = host.write(s, data, flags);
  if (r.error == tcp::SocketError::none && r.accepted < data.size())
    waiting_.push_back(Pending{data.slice(r.accepted, data.size() - r.accepted), flags});
  return r.accepted;
}

uint64_t BlockingWriter::resume(tcp::TcpHost& host, tcp::SocketId s) {
  if (host.timed_syscalls()) return resume_timed(host, s);
  uint64_t taken = 0;
  while (head_ < waiting_.size()) {
    Payload& front = waiting_[head_].data;
    tcp::SendResult r = host.write(s, front, waiting_[head_].flags);
    taken += r.accepted;
    if (r.error != tcp::SocketError::none) {
      // EPIPE and the like: the socket will not take more; the error reaches the app through
      // its on_error callback, as a send() returning -1 would.
      head_ = waiting_.size();
      break;
    }
    if (r.accepted < front.size()) {
      front = front.slice(r.accepted, front.size() - r.accepted);
      // The buffer is full: wait for `writable`, unless the push made room for more
      // (TCP_NOTSENT_LOWAT: sk_stream_wait_memory() finds sk_stream_memory_free()).
      const tcp::Connection* c = host.stack().connection(s);
      if (r.accepted == 0 || c == nullptr || !c->stream_memory_free()) break;
      continue;
    }
    front = Payload();
    ++head_;
  }
  if (head_ == waiting_.size()) {
    waiting_ = {};  // release: an idle connection keeps nothing here
    head_ = 0;
  }
  return taken;
}

void BlockingWriter::start_timed(tcp::TcpHost& host, tcp::SocketId s) {
  in_call_ = true;
  host.start_write(s, waiting_[head_].data, partial_, waiting_[head_].flags);
}

// The writable notice of a timed send(): its return (take_write_result()) or, once it returned
// short, room again. As resume() otherwise: the next piece while memory is free.
uint64_t BlockingWriter::resume_timed(tcp::TcpHost& host, tcp::SocketId s) {
  uint64_t taken = 0;
  if (in_call_) {
    std::optional<tcp::SendResult> r = host.take_write_result(s);
    if (!r) return 0;  // sk_stream_write_space() while the call still runs
    in_call_ = false;
    taken = r->accepted;
    Payload& front = waiting_[head_].data;
    if (r->error != tcp::SocketError::none) {
      head_ = waiting_.size();  // the error reaches the app through on_error
    } else if (r->accepted < front.size()) {
      front = front.slice(r->accepted, front.size() - r->accepted);
      partial_ = true;
      const tcp::Connection* c = host.stack().connection(s);
      if (r->accepted == 0 || c == nullptr || !c->stream_memory_free()) return taken;
    } else {
      front = Payload();
      ++head_;
      partial_ = false;
    }
  }
  if (head_ < waiting_.size()) {
    start_timed(host, s);
  } else {
    waiting_ = {};
    head_ = 0;
    partial_ = false;
  }
  return taken;
}

uint64_t BlockingWriter::waiting_bytes() const {
  uint64_t n = 0;
  for (size_t i = head_; i < waiting_.size(); ++i)
    n += waiting_[i].data.size();
  return n;
}

}  // namespace netsim::apps
