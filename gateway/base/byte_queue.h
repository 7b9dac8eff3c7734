// ByteQueue is a FIFO of 16 KiB chunks for in-flight bytes (socket reads, TLS records,
// bodies). Queued bytes never move, so views from `peek` stay valid until `consume` passes
// them. Chunks are recycled through a small per-thread pool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>

#include "gateway/base/bytes.h"

namespace intransit {

class ByteQueue {
 public:
  static constexpr size_t kChunkBytes = 16 * 1024;

  ByteQueue() = default;
  ByteQueue(ByteQueue&&) noexcept = default;
  ByteQueue& operator=(ByteQueue&&) noexcept = default;
  ByteQueue(const ByteQueue&) = delete;
  ByteQueue& operator=(const ByteQueue&) = delete;
  ~ByteQueue();

  // prepare returns a writable span at the tail of at least one byte and at most one chunk;
  // `commit(n)` then appends the first n bytes written there.
  std::span<uint8_t> prepare();
  void commit(size_t n);

  // append copies `data` to the tail.
  void append(BytesView data);

  // peek fills `out` with views of the queued bytes in order, at most out.size() of them,
  // and returns how many it filled.
  size_t peek(std::span<BytesView> out) const;
  // front returns a view of the first contiguous run of queued bytes (empty if none).
  BytesView front() const;

  // consume drops the first n bytes (n <= size()).
  void consume(size_t n);
  // copy_out copies up to out.size() bytes from the front without consuming them.
  size_t copy_out(std::span<uint8_t> out) const;

  size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  void clear();

 private:
  struct Chunk {
    size_t begin = 0;
    size_t end = 0;
    uint8_t data[kChunkBytes];
  };
  struct ChunkFree {
    void operator()(Chunk* c) const noexcept;
  };
  using ChunkPtr = std::unique_ptr<Chunk, ChunkFree>;
  static ChunkPtr new_chunk();

  std::deque<ChunkPtr> chunks_;
  size_t size_ = 0;
};

}  // namespace intransit
