// Paged KV cache storage: fixed-size blocks from one pool whose size is set in bytes.
//
// A block holds `block_size` consecutive token positions of K and V for every layer:
//   block b: [n_layer][2 (K, V)][block_size][n_embd_kv] f16 (IEEE binary16), contiguous
// K and V are stored as f16, as GGUF runtimes do by default: half the memory of f32, and what
// the reference outputs in ../shared/golden were computed with (attention math stays f32).
// A sequence owns a BlockTable (its blocks in position order); position p lives in block
// table[p / block_size], slot p % block_size. Blocks are reference-counted so that the prefix
// cache (issue #4) can share full blocks between sequences. The pool is the memory budget:
// allocate() returns nullopt when it is empty, never grows.
// Thread: owned by the engine's scheduler thread; the decoder reads and writes slots during a
// step it runs on that thread's behalf.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "common/status.h"
#include "model/hparams.h"

namespace glmserve::model {

struct KvPoolConfig {
    int64_t n_layer = 0;
    int64_t n_embd_kv = 0;
    int32_t block_size = 16;  // token positions per block
    int64_t pool_bytes = 0;   // total budget; rounded down to whole blocks
};

class KvPool {
public:
    static Result<std::unique_ptr<KvPool>> create(const KvPoolConfig& config);
    static Result<std::unique_ptr<KvPool>> create_for(const HParams& hp, int64_t pool_bytes,
                                                      int32_t block_size = 16);

    int32_t block_size() const { return config_.block_size; }
    int32_t n_blocks() const { return n_blocks_; }
    int32_t n_free() const { return static_cast<int32_t>(free_list_.size()); }
    int64_t block_bytes() const { return block_values_ * static_cast<int64_t>(sizeof(uint16_t)); }
    int64_t pool_bytes() const { return block_bytes() * n_blocks_; }

    std::optional<int32_t> allocate();  // ref count 1
    void retain(int32_t block);
    void release(int32_t block);  // back to the free list at ref count 0
    int32_t ref_count(int32_t block) const { return ref_counts_[static_cast<size_t>(block)]; }

    // [n_embd_kv] f16 row of K or V for (block, layer, slot).
    uint16_t* k_row(int32_t block, int64_t il, int32_t slot) { return row(block, il, 0, slot); }
    uint16_t* v_row(int32_t block, int64_t il, int32_t slot) { return row(block, il, 1, slot); }

private:
    explicit KvPool(const KvPoolConfig& config);
    uint16_t* row(int32_t block, int64_t il, int kv, int32_t slot);

    KvPoolConfig config_;
    int64_t block_values_ = 0;
    int32_t n_blocks_ = 0;
    std::unique_ptr<uint16_t[]> storage_;  // uninitialised: pages are touched as blocks are used
    std::vector<int32_t> ref_counts_;
    std::vector<int32_t> free_list_;  // LIFO: recently freed blocks are warm in cache
};

// The blocks of one sequence, in position order.
struct BlockTable {
    std::vector<int32_t> blocks;

    int64_t capacity(int32_t block_size) const {
        return static_cast<int64_t>(blocks.size()) * block_size;
    }
};

// Grows `table` until it covers n_positions; ResourceExhausted (and the table unchanged) when
// the pool has too few free blocks.
Status reserve_positions(KvPool& pool, BlockTable& table, int64_t n_positions);

// Releases every block of the table and clears it.
void release_all(KvPool& pool, BlockTable& table);

}  // namespace glmserve::model
