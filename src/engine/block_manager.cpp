// BlockManager: per-sequence KV block tables on top of model::KvPool, with the prefix cache.
// See block_manager.h for the design. Reference counts, as the pool sees them:
//   a block in k tables             ref = k, plus 1 while it is registered in the index
//   free                            ref = 0 (in the pool's free list)
//   evictable                       registered and ref = 1 (only the index holds it)
// so n_free + n_evictable + n_in_use == n_blocks at every call boundary.
// Thread: scheduler only.
#include "engine/block_manager.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

namespace glmserve::engine {
namespace {

// splitmix64's finalizer (Steele, Lea, Flood, "Fast splittable pseudorandom number generators",
// OOPSLA 2014): a bijection on 64 bits with full avalanche.
uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

}  // namespace

// Each token is absorbed by h = mix64(h + gamma + token): mix64 is a bijection, so two token
// lists that first differ at step j have different states after step j, and later steps are
// pseudo-random from there. The length is absorbed last so lists of different lengths (not used
// by the cache, whose blocks are all block_size long) stay apart. Tokens are taken as uint32 so
// the key does not depend on sign extension.
uint64_t prefix_block_key(uint64_t parent, std::span<const int32_t> tokens) {
    constexpr uint64_t kGamma = 0x9e3779b97f4a7c15ull;  // splitmix64's increment
    uint64_t h = parent;
    for (const int32_t t : tokens) h = mix64(h + kGamma + static_cast<uint32_t>(t));
    return mix64(h ^ static_cast<uint64_t>(tokens.size()));
}

BlockManager::BlockManager(model::KvPool& pool, bool prefix_cache)
    : pool_(pool), prefix_cache_(prefix_cache) {
    const auto n_blocks = static_cast<size_t>(pool.n_blocks());
    info_.resize(n_blocks);
    block_tokens_.resize(n_blocks * static_cast<size_t>(pool.block_size()));
    buckets_.assign(std::bit_ceil(std::max<size_t>(n_blocks, 1)), kNone);
    bucket_mask_ = buckets_.size() - 1;
}

int32_t BlockManager::block_size() const {
    return pool_.block_size();
}

int32_t BlockManager::n_blocks_total() const {
    return pool_.n_blocks();
}

int32_t BlockManager::n_available() const {
    return pool_.n_free() + n_evictable_;
}

int32_t BlockManager::n_in_use() const {
    return pool_.n_blocks() - pool_.n_free() - n_evictable_;
}

int32_t BlockManager::n_cached() const {
    return n_registered_;
}

int64_t BlockManager::blocks_needed(const model::BlockTable& table, int64_t n_positions) const {
    const int64_t bs = pool_.block_size();
    const int64_t want = (std::max<int64_t>(n_positions, 0) + bs - 1) / bs;
    return std::max<int64_t>(want - static_cast<int64_t>(table.blocks.size()), 0);
}

int64_t BlockManager::match_prefix(std::span<const int32_t> tokens, model::BlockTable& table,
                                   bool count_stats) {
    GS_CHECK(table.blocks.empty());
    if (!prefix_cache_) return 0;
    if (count_stats) ++stats_.lookups;
    if (tokens.empty()) return 0;
    const auto bs = static_cast<size_t>(pool_.block_size());
    // Full blocks that still leave the last token to compute.
    const size_t n_matchable = (tokens.size() - 1) / bs;
    uint64_t parent = kPrefixChainSeed;
    size_t n_hit = 0;
    for (; n_hit < n_matchable; ++n_hit) {
        const auto block_tokens = tokens.subspan(n_hit * bs, bs);
        const uint64_t key = prefix_block_key(parent, block_tokens);
        const int32_t block = find_registered(key, parent, block_tokens);
        if (block == kNone) break;
        if (info_[static_cast<size_t>(block)].evictable) unmake_evictable(block);
        pool_.retain(block);
        table.blocks.push_back(block);
        parent = key;
    }
    if (count_stats) {
        stats_.hit_blocks += static_cast<int64_t>(n_hit);
        stats_.miss_blocks += static_cast<int64_t>(n_matchable - n_hit);
        stats_.hit_tokens += static_cast<int64_t>(n_hit * bs);
    }
    return static_cast<int64_t>(n_hit * bs);
}

Status BlockManager::reserve(model::BlockTable& table, int64_t n_positions) {
    const int64_t need = blocks_needed(table, n_positions);
    if (need == 0) return ok_status();
    if (need > n_available()) {
        return resource_exhausted(fmt::format(
            "KV cache full: {} more blocks needed for {} positions, {} of {} available ({} free, "
            "{} cached and evictable)",
            need, n_positions, n_available(), n_blocks_total(), pool_.n_free(), n_evictable_));
    }
    for (int64_t i = 0; i < need; ++i) {
        const std::optional<int32_t> block = allocate_block();
        GS_CHECK(block.has_value());  // n_available() counted it
        table.blocks.push_back(*block);
    }
    return ok_status();
}

int32_t BlockManager::commit(std::span<const int32_t> tokens, int64_t n_computed,
                             const model::BlockTable& table, int32_t n_committed) {
    const int32_t bs = pool_.block_size();
    GS_CHECK(n_computed >= 0 && n_computed <= static_cast<int64_t>(tokens.size()));
    GS_CHECK(n_computed <= table.capacity(bs));
    GS_CHECK(n_committed >= 0);
    const auto n_full = static_cast<int32_t>(n_computed / bs);
    if (!prefix_cache_) return std::max(n_full, n_committed);
    for (int32_t i = n_committed; i < n_full; ++i) {
        const int32_t block = table.blocks[static_cast<size_t>(i)];
        BlockInfo& info = info_[static_cast<size_t>(block)];
        // Already keyed: shared from the cache, or committed before (a caller that passes a
        // smaller n_committed than it could costs time, not correctness).
        if (info.keyed) continue;
        uint64_t parent = kPrefixChainSeed;
        if (i > 0) {
            const BlockInfo& prev =
                info_[static_cast<size_t>(table.blocks[static_cast<size_t>(i - 1)])];
            GS_CHECK(prev.keyed);  // blocks are committed in order
            parent = prev.key;
        }
        const auto block_tokens = tokens.subspan(static_cast<size_t>(i) * static_cast<size_t>(bs),
                                                 static_cast<size_t>(bs));
        info.key = prefix_block_key(parent, block_tokens);
        info.parent_key = parent;
        info.keyed = true;
        std::copy(block_tokens.begin(), block_tokens.end(),
                  block_tokens_.begin() + static_cast<ptrdiff_t>(block) * bs);
        // Another sequence registered the same prefix first: this copy stays private.
        if (find_registered(info.key, parent, block_tokens) == kNone) register_block(block);
    }
    return std::max(n_full, n_committed);
}

void BlockManager::release(model::BlockTable& table) {
    // Last block first: the tail of a chain reaches the LRU end that is evicted first.
    for (auto it = table.blocks.rbegin(); it != table.blocks.rend(); ++it) {
        const int32_t block = *it;
        pool_.release(block);
        if (info_[static_cast<size_t>(block)].registered && pool_.ref_count(block) == 1) {
            make_evictable(block);
        }
    }
    table.blocks.clear();
}

void BlockManager::clear_cache() {
    while (lru_head_ != kNone) evict(lru_head_);
}

std::optional<int32_t> BlockManager::allocate_block() {
    std::optional<int32_t> block = pool_.allocate();
    if (!block.has_value() && lru_head_ != kNone) {
        evict(lru_head_);
        ++stats_.evicted_blocks;
        block = pool_.allocate();
    }
    // Whatever the block held before (a private keyed copy, an evicted entry) is gone.
    if (block.has_value()) info_[static_cast<size_t>(*block)] = BlockInfo{};
    return block;
}

void BlockManager::make_evictable(int32_t block) {
    BlockInfo& info = info_[static_cast<size_t>(block)];
    GS_DCHECK(info.registered && !info.evictable);
    info.evictable = true;
    info.lru_prev = lru_tail_;
    info.lru_next = kNone;
    if (lru_tail_ != kNone) {
        info_[static_cast<size_t>(lru_tail_)].lru_next = block;
    } else {
        lru_head_ = block;
    }
    lru_tail_ = block;
    ++n_evictable_;
}

void BlockManager::unmake_evictable(int32_t block) {
    BlockInfo& info = info_[static_cast<size_t>(block)];
    GS_DCHECK(info.evictable);
    if (info.lru_prev != kNone) {
        info_[static_cast<size_t>(info.lru_prev)].lru_next = info.lru_next;
    } else {
        lru_head_ = info.lru_next;
    }
    if (info.lru_next != kNone) {
        info_[static_cast<size_t>(info.lru_next)].lru_prev = info.lru_prev;
    } else {
        lru_tail_ = info.lru_prev;
    }
    info.lru_prev = kNone;
    info.lru_next = kNone;
    info.evictable = false;
    --n_evictable_;
}

void BlockManager::evict(int32_t block) {
    GS_CHECK(info_[static_cast<size_t>(block)].evictable && pool_.ref_count(block) == 1);
    unmake_evictable(block);
    unregister_block(block);
    pool_.release(block);  // the index's reference: back to the free list
}

int32_t BlockManager::find_registered(uint64_t key, uint64_t parent_key,
                                      std::span<const int32_t> tokens) const {
    for (int32_t b = buckets_[key & bucket_mask_]; b != kNone;
         b = info_[static_cast<size_t>(b)].next_in_bucket) {
        if (info_[static_cast<size_t>(b)].key == key && block_matches(b, parent_key, tokens)) {
            return b;
        }
    }
    return kNone;
}

void BlockManager::register_block(int32_t block) {
    BlockInfo& info = info_[static_cast<size_t>(block)];
    GS_DCHECK(info.keyed && !info.registered);
    int32_t& head = buckets_[info.key & bucket_mask_];
    info.next_in_bucket = head;
    head = block;
    info.registered = true;
    pool_.retain(block);  // the index's own reference
    ++n_registered_;
}

void BlockManager::unregister_block(int32_t block) {
    BlockInfo& info = info_[static_cast<size_t>(block)];
    GS_DCHECK(info.registered);
    int32_t* link = &buckets_[info.key & bucket_mask_];
    while (*link != block) {
        GS_CHECK(*link != kNone);  // a registered block is on its bucket's chain
        link = &info_[static_cast<size_t>(*link)].next_in_bucket;
    }
    *link = info.next_in_bucket;
    info.next_in_bucket = kNone;
    info.registered = false;
    --n_registered_;
}

bool BlockManager::block_matches(int32_t block, uint64_t parent_key,
                                 std::span<const int32_t> tokens) const {
    const BlockInfo& info = info_[static_cast<size_t>(block)];
    if (!info.keyed || info.parent_key != parent_key) return false;
    const auto bs = static_cast<size_t>(pool_.block_size());
    GS_DCHECK(tokens.size() == bs);
    const auto stored = std::span(block_tokens_).subspan(static_cast<size_t>(block) * bs, bs);
    return std::equal(stored.begin(), stored.end(), tokens.begin());
}

}  // namespace glmserve::engine
