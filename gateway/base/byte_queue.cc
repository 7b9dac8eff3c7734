#include "gateway/base/byte_queue.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "gateway/base/assert.h"

namespace intransit {
namespace {

// A per-thread pool of free chunks; each worker loop runs on one thread, so no lock.
constexpr size_t kPoolMax = 256;

struct Pool {
  std::vector<void*> free;
  ~Pool() {
    for (void* p : free) ::operator delete(p);
  }
};
thread_local Pool t_pool;

}  // namespace

void ByteQueue::ChunkFree::operator()(Chunk* c) const noexcept {
  if (!c) return;
  c->~Chunk();
  if (t_pool.free.size() < kPoolMax) {
    t_pool.free.push_back(c);
  } else {
    ::operator delete(c);
  }
}

ByteQueue::ChunkPtr ByteQueue::new_chunk() {
  void* mem;
  if (!t_pool.free.empty()) {
    mem = t_pool.free.back();
    t_pool.free.pop_back();
  } else {
    mem = ::operator new(sizeof(Chunk));
  }
  return ChunkPtr(new (mem) Chunk);
}

ByteQueue::~ByteQueue() = default;

void ByteQueue::clear() {
  chunks_.clear();
  size_ = 0;
}

std::span<uint8_t> ByteQueue::prepare() {
  if (chunks_.empty() || chunks_.back()->end == kChunkBytes) chunks_.push_back(new_chunk());
  Chunk& c = *chunks_.back();
  return {c.data + c.end, kChunkBytes - c.end};
}

void ByteQueue::commit(size_t n) {
  INTRANSIT_ASSERT(!chunks_.empty() && chunks_.back()->end + n <= kChunkBytes);
  chunks_.back()->end += n;
  size_ += n;
}

void ByteQueue::append(BytesView data) {
  while (!data.empty()) {
    auto room = prepare();
    const size_t n = std::min(room.size(), data.size());
    std::memcpy(room.data(), data.data(), n);
    commit(n);
    data = data.subspan(n);
  }
}

size_t ByteQueue::peek(std::span<BytesView> out) const {
  size_t i = 0;
  for (const auto& c : chunks_) {
    if (i == out.size()) break;
    if (c->end == c->begin) continue;
    out[i++] = BytesView(c->data + c->begin, c->end - c->begin);
  }
  return i;
}

BytesView ByteQueue::front() const {
  for (const auto& c : chunks_) {
    if (c->end != c->begin) return BytesView(c->data + c->begin, c->end - c->begin);
  }
  return {};
}

size_t ByteQueue::copy_out(std::span<uint8_t> out) const {
  size_t done = 0;
  for (const auto& c : chunks_) {
    if (done == out.size()) break;
    const size_t n = std::min(out.size() - done, c->end - c->begin);
    std::memcpy(out.data() + done, c->data + c->begin, n);
    done += n;
  }
  return done;
}

void ByteQueue::consume(size_t n) {
  INTRANSIT_ASSERT(n <= size_);
  size_ -= n;
  while (n > 0) {
    Chunk& c = *chunks_.front();
    const size_t take = std::min(n, c.end - c.begin);
    c.begin += take;
    n -= take;
    if (c.begin == c.end) chunks_.pop_front();
  }
  // Keep a trailing chunk that is fully consumed from lingering as an empty front.
  while (!chunks_.empty() && chunks_.front()->begin == chunks_.front()->end &&
         (chunks_.size() > 1 || chunks_.front()->end == kChunkBytes)) {
    chunks_.pop_front();
  }
}

}  // namespace intransit
