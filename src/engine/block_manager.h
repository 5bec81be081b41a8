// BlockManager: the KV blocks of every running sequence, with a prefix cache on top of the pool.
//
// Prefix cache (ARCHITECTURE.md "Engine decisions"): a *full* block — block_size positions whose
// K/V have been computed — is keyed by a hash chain over its tokens,
//   key(b_0) = H(seed, tokens of block 0),  key(b_i) = H(key(b_{i-1}), tokens of block i),
// so a key names the whole prefix up to and including that block. Registered blocks are shared
// between sequences by reference count and are immutable (no sequence writes a position it did
// not compute itself, and a full block's positions are all computed). The index holds one
// reference of its own on every registered block, so a block outlives the request that made
// it; once only the index holds it, it is "evictable" and sits in an LRU list. Allocation takes
// a free block first and evicts the least recently used evictable block only when none is
// free, so the cache costs no capacity: free + evictable blocks are all available to reserve().
// A lookup verifies the stored tokens and the parent key, so a 64-bit hash collision can cost a
// miss but never a wrong hit.
//
// Simplification: when two sequences compute the same prefix at the same time, the second to
// commit keeps its copy private (it is freed with its sequence) instead of swapping blocks.
// A sequence's blocks are released last-first, so a chain's tail is evicted before its head (an
// evicted head would make the rest of the chain unreachable).
// Cost: every call is O(blocks touched); the index and the LRU list are intrusive (links live
// in a per-block array sized once), so nothing allocates after construction except the growth
// of callers' block tables.
// Thread: scheduler only (like the KvPool it manages).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/status.h"
#include "model/paged_kv.h"

namespace glmserve::engine {

struct PrefixCacheStats {
    int64_t lookups = 0;         // counted match_prefix() calls
    int64_t hit_blocks = 0;      // full prompt blocks found in the cache
    int64_t miss_blocks = 0;     // matchable prompt blocks not found (the first miss ends the
                                 // walk; the blocks after it count as misses too)
    int64_t hit_tokens = 0;      // prompt tokens whose K/V came from the cache
    int64_t evicted_blocks = 0;  // cached blocks reclaimed for new allocations
};

class BlockManager {
public:
    // `pool` must outlive the manager and be used only through it. With prefix_cache off,
    // match_prefix() finds nothing (and counts nothing) and commit() registers nothing: blocks
    // return to the pool as soon as their sequence ends.
    BlockManager(model::KvPool& pool, bool prefix_cache);

    int32_t block_size() const;
    int32_t n_blocks_total() const;
    // Blocks reserve() can still hand out: free ones plus evictable cached ones.
    int32_t n_available() const;
    // Blocks referenced by at least one sequence (shared blocks count once).
    int32_t n_in_use() const;
    // Blocks registered in the prefix index (in use or evictable).
    int32_t n_cached() const;
    const PrefixCacheStats& stats() const { return stats_; }

    // Blocks a table must grow by to cover n_positions.
    int64_t blocks_needed(const model::BlockTable& table, int64_t n_positions) const;

    // Looks up the longest run of registered full blocks that starts `tokens`, stopping so that
    // at least one token is left to compute (the model must run on the last prompt token to
    // produce logits). `table` must be empty; the found blocks are retained into it. Returns
    // the number of tokens they cover (a multiple of block_size). count_stats = false for a
    // repeated lookup of the same request (a retry after its reservation failed, a preempted
    // sequence coming back), so the hit rate counts each request once.
    int64_t match_prefix(std::span<const int32_t> tokens, model::BlockTable& table,
                         bool count_stats = true);

    // Grows `table` to cover n_positions, evicting LRU cached blocks when the pool has no free
    // one. ResourceExhausted naming the numbers, and `table` unchanged, when there are not
    // enough available blocks.
    Status reserve(model::BlockTable& table, int64_t n_positions);

    // Registers the full blocks of a sequence whose positions [0, n_computed) now hold the K/V
    // of tokens[0, n_computed): blocks [n_committed, n_computed / block_size). Returns the new
    // number of committed blocks, which the caller passes back next time (0 for a fresh table;
    // the count match_prefix() covered, in blocks, after a hit).
    int32_t commit(std::span<const int32_t> tokens, int64_t n_computed,
                   const model::BlockTable& table, int32_t n_committed);

    // Drops the sequence's reference on each of its blocks and clears the table. Registered
    // blocks that nobody else uses become evictable (most recently used end of the LRU).
    void release(model::BlockTable& table);

    // Forgets every evictable cached block (returns them to the free list). For tests and for
    // an operator's "drop caches"; blocks in use stay registered.
    void clear_cache();

private:
    static constexpr int32_t kNone = -1;

    struct BlockInfo {
        uint64_t key = 0;                // hash-chain key, valid when `keyed`
        uint64_t parent_key = 0;         // key of the previous block (the chain seed for block 0)
        bool keyed = false;              // key computed (full block), registered or not
        bool registered = false;         // in the index (which holds one reference)
        bool evictable = false;          // registered and referenced only by the index: in the LRU
        int32_t next_in_bucket = kNone;  // index chain, valid when `registered`
        int32_t lru_prev = kNone;        // LRU links, valid when `evictable`
        int32_t lru_next = kNone;
    };

    std::optional<int32_t> allocate_block();
    void make_evictable(int32_t block);
    void unmake_evictable(int32_t block);
    void evict(int32_t block);
    // The registered block with this key, parent key and tokens, or kNone.
    int32_t find_registered(uint64_t key, uint64_t parent_key,
                            std::span<const int32_t> tokens) const;
    void register_block(int32_t block);
    void unregister_block(int32_t block);
    bool block_matches(int32_t block, uint64_t parent_key, std::span<const int32_t> tokens) const;

    model::KvPool& pool_;  // owner: the scheduler; outlives this manager
    bool prefix_cache_;
    std::vector<BlockInfo> info_;        // [n_blocks]
    std::vector<int32_t> block_tokens_;  // [n_blocks, block_size]: tokens of keyed blocks
    std::vector<int32_t> buckets_;       // [power of two >= n_blocks]: head of each index chain
    uint64_t bucket_mask_ = 0;
    int32_t n_registered_ = 0;
    int32_t lru_head_ = kNone;  // least recently used evictable block
    int32_t lru_tail_ = kNone;  // most recently used
    int32_t n_evictable_ = 0;
    PrefixCacheStats stats_;
};

// The hash-chain step: key of a block whose parent key is `parent` and whose tokens are
// `tokens` (exposed for tests). kPrefixChainSeed is the parent of block 0.
inline constexpr uint64_t kPrefixChainSeed = 0x9e3779b97f4a7c15ull;
uint64_t prefix_block_key(uint64_t parent, std::span<const int32_t> tokens);

}  // namespace glmserve::engine
