// ReceiveBuffer (see reassembly.hpp).

#include "protocols/tcp/reassembly.hpp"

#include <algorithm>

namespace netsim::tcp {

void ReceiveBuffer::push_readable(Payload p) {
  if (p.empty()) return;
  readable_bytes_ += static_cast<uint32_t>(p.size());
  readable_.push_back(std::move(p));
}

Payload ReceiveBuffer::read(size_t max_bytes) {
  size_t n = std::min<size_t>(max_bytes, readable_bytes_);
  if (n == 0) return {};
  Payload result;
  Payload& first = readable_[readable_head_];
  if (first.size() >= n) {
    result = first.slice(0, n);
    first = first.slice(n, first.size() - n);
    if (first.empty()) ++readable_head_;
  } else {
    std::vector<uint8_t> bytes;
    bytes.reserve(n);
    size_t left = n;
    while (left > 0) {
      Payload& p = readable_[readable_head_];
      size_t take = std::min(left, p.size());
      bytes.insert(bytes.end(), p.data(), p.data() + take);
      p = p.slice(take, p.size() - take);
      if (p.empty()) ++readable_head_;
      left -= take;
    }
    result = Payload(std::move(bytes));
  }
  readable_bytes_ -= static_cast<uint32_t>(n);
  if (readable_bytes_ == 0) {
    readable_.release();
    readable_head_ = 0;
  }
  return result;
}

void ReceiveBuffer::insert(SeqNum seq, const Payload& p, SeqNum rcv_nxt) {
  if (p.empty()) return;
  SeqNum s = seq;
  SeqNum e = seq + static_cast<uint32_t>(p.size());
  if (s < rcv_nxt) s = rcv_nxt;
  if (fin_ && e > *fin_) e = *fin_;
  // Walk the held pieces in order and keep only the gaps between them.
  for (size_t i = 0; i < ooo_.size() && s < e; ++i) {
    const Piece& q = ooo_[i];
    if (q.end() <= s) continue;
    if (q.seq >= e) break;
    if (s < q.seq) {
      insert_piece(s, p.slice(static_cast<size_t>(s - seq), static_cast<size_t>(q.seq - s)));
      ++i;  // the new piece now sits before q
    }
    s = seq_max(s, ooo_[i].end());
  }
  if (s < e) insert_piece(s, p.slice(static_cast<size_t>(s - seq), static_cast<size_t>(e - s)));
}

void ReceiveBuffer::insert_piece(SeqNum seq, Payload p) {
  auto it = std::find_if(ooo_.begin(), ooo_.end(), [&](const Piece& q) { return q.seq > seq; });
  ooo_.insert(it, Piece{seq, std::move(p)});
}

void ReceiveBuffer::set_fin(SeqNum fin_seq) {
  if (fin_) return;
  fin_ = fin_seq;
  while (!ooo_.empty() && ooo_.back().seq >= fin_seq)
    ooo_.pop_back();
  if (!ooo_.empty() && ooo_.back().end() > fin_seq) {
    Piece& q = ooo_.back();
    q.data = q.data.slice(0, static_cast<size_t>(fin_seq - q.seq));
  }
}

std::vector<SackBlock> ReceiveBuffer::ranges() const {
  std::vector<SackBlock> v;
  for (const Piece& q : ooo_) {
    if (!v.empty() && v.back().right == q.seq) {
      v.back().right = q.end();
    } else {
      v.push_back(SackBlock{q.seq, q.end()});
    }
  }
  return v;
}

size_t ReceiveBuffer::out_of_order_bytes() const {
  size_t n = 0;
  for (const Piece& q : ooo_)
    n += q.data.size();
  return n;
}

std::optional<SeqNum> ReceiveBuffer::last_piece_seq() const {
  if (ooo_.empty()) return std::nullopt;
  return ooo_.back().seq;
}

size_t ReceiveBuffer::drop_last_piece() {
  const size_t n = ooo_.back().data.size();
  ooo_.pop_back();
  // The FIN lies at or above the highest piece's end: it goes with it, as the skb it came on.
  fin_.reset();
  if (ooo_.empty()) ooo_.release();
  return n;
}

void ReceiveBuffer::take_in_order(SeqNum& rcv_nxt, std::vector<Payload>& in_order) {
  size_t used = 0;
  for (; used < ooo_.size(); ++used) {
    Piece& q = ooo_[used];
    if (q.seq > rcv_nxt) break;
    if (q.end() <= rcv_nxt) continue;
    size_t skip = static_cast<size_t>(rcv_nxt - q.seq);
    in_order.push_back(q.data.slice(skip, q.data.size() - skip));
    rcv_nxt = q.end();
  }
  ooo_.erase_front(used);
  if (ooo_.empty()) ooo_.release();
}

void ReceiveBuffer::clear_out_of_order() {
  ooo_.release();
  fin_.reset();
}

void ReceiveBuffer::clear() {
  clear_out_of_order();
  readable_.release();
  readable_head_ = 0;
  readable_bytes_ = 0;
}

bool ReceiveBuffer::check(SeqNum rcv_nxt, SeqNum right_edge, std::string* why) const {
  auto fail = [&](const char* msg) {
    if (why) *why = msg;
    return false;
  };
  size_t n = 0;
  for (size_t i = readable_head_; i < readable_.size(); ++i)
    n += readable_[i].size();
  if (n != readable_bytes_) return fail("readable byte count does not match the queue");
  for (size_t i = 0; i < ooo_.size(); ++i) {
    const Piece& q = ooo_[i];
    if (q.data.empty()) return fail("empty out-of-order piece");
    if (q.seq <= rcv_nxt) return fail("out-of-order piece at or below RCV.NXT");
    if (q.end() > right_edge) return fail("out-of-order piece beyond the advertised window");
    if (i > 0 && ooo_[i - 1].end() > q.seq) return fail("out-of-order pieces overlap");
  }
  if (fin_ && *fin_ <= rcv_nxt) return fail("pending FIN at or below RCV.NXT");
  if (fin_ && !ooo_.empty() && ooo_.back().end() > *fin_) return fail("data beyond the FIN");
  return true;
}

}  // namespace netsim::tcp
