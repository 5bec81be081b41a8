// Tests for engine::BlockManager: prefix-cache hits and misses, LRU eviction, reference counts,
// the all-or-nothing reserve(), a randomized invariant check against a simulated KV store, and
// one run of the real decoder showing cached blocks give bit-identical logits.
#include "engine/block_manager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>
#include <set>

#include "kernels/kernel_table.h"
#include "kernels/thread_pool.h"
#include "model/decoder.h"
#include "support/tiny_model.h"

namespace glmserve::engine {
namespace {

constexpr int32_t kBlockSize = 4;

// n_layer 1, n_embd_kv 4: a block is 1 × (K, V) × 4 slots × 4 values × 2 bytes = 64 bytes.
std::unique_ptr<model::KvPool> make_pool(int32_t n_blocks) {
    auto pool = model::KvPool::create(
        {.n_layer = 1, .n_embd_kv = 4, .block_size = kBlockSize, .pool_bytes = n_blocks * 64});
    GS_CHECK(pool.ok());
    GS_CHECK((*pool)->n_blocks() == n_blocks);
    return std::move(pool).value();
}

std::vector<int32_t> iota_tokens(int32_t n, int32_t first) {
    std::vector<int32_t> t(static_cast<size_t>(n));
    std::iota(t.begin(), t.end(), first);
    return t;
}

class BlockManagerTest : public ::testing::Test {
protected:
    explicit BlockManagerTest(int32_t n_blocks = 8, bool prefix_cache = true)
        : pool_(make_pool(n_blocks)), mgr_(*pool_, prefix_cache) {}

    // What the scheduler does for a prompt: reuse the cached prefix, reserve the rest, "compute"
    // it and commit. Returns the number of tokens that came from the cache.
    int64_t prefill(const std::vector<int32_t>& tokens, model::BlockTable& table) {
        const int64_t matched = mgr_.match_prefix(tokens, table);
        const Status s = mgr_.reserve(table, static_cast<int64_t>(tokens.size()));
        EXPECT_TRUE(s.ok()) << s.to_string();
        mgr_.commit(tokens, static_cast<int64_t>(tokens.size()), table,
                    static_cast<int32_t>(matched / kBlockSize));
        return matched;
    }

    // Looks `tokens` up and releases what was found (which makes it the most recently used).
    int64_t probe(std::span<const int32_t> tokens) {
        model::BlockTable t;
        const int64_t matched = mgr_.match_prefix(tokens, t);
        mgr_.release(t);
        return matched;
    }

    void expect_accounting() const {
        EXPECT_EQ(mgr_.n_available() + mgr_.n_in_use(), mgr_.n_blocks_total());
    }

    std::unique_ptr<model::KvPool> pool_;
    BlockManager mgr_;
};

TEST_F(BlockManagerTest, ReleasedPromptIsFoundAgainWithTheSameBlocks) {
    const auto a = iota_tokens(10, 100);  // two full blocks and two tokens
    model::BlockTable first;
    EXPECT_EQ(prefill(a, first), 0);
    const std::vector<int32_t> first_blocks = first.blocks;
    mgr_.release(first);
    EXPECT_TRUE(first.blocks.empty());
    EXPECT_EQ(mgr_.n_cached(), 2);
    EXPECT_EQ(mgr_.n_in_use(), 0);
    EXPECT_EQ(mgr_.n_available(), 8);  // cached blocks cost no capacity
    expect_accounting();

    model::BlockTable second;
    EXPECT_EQ(mgr_.match_prefix(a, second), 8);
    ASSERT_EQ(second.blocks.size(), 2u);
    EXPECT_EQ(second.blocks[0], first_blocks[0]);
    EXPECT_EQ(second.blocks[1], first_blocks[1]);
    EXPECT_EQ(pool_->ref_count(second.blocks[0]), 2);  // this sequence + the index
    EXPECT_EQ(mgr_.n_in_use(), 2);
    expect_accounting();
}

TEST_F(BlockManagerTest, SharedFirstBlocksHitAndTheDifferentTailMisses) {
    const auto a = iota_tokens(12, 0);
    auto b = a;
    b[5] = 999;  // block 1 differs
    model::BlockTable ta;
    prefill(a, ta);
    mgr_.release(ta);
    const int64_t misses_before = mgr_.stats().miss_blocks;
    model::BlockTable tb;
    EXPECT_EQ(prefill(b, tb), 4);
    EXPECT_EQ(mgr_.stats().hit_blocks, 1);
    // Block 1; block 2 holds the last token, so it is never looked up.
    EXPECT_EQ(mgr_.stats().miss_blocks - misses_before, 1);
    mgr_.release(tb);
    // Both variants of block 1 are now cached under block 0.
    model::BlockTable t;
    EXPECT_EQ(probe(a), 8);
    EXPECT_EQ(probe(b), 8);
}

TEST_F(BlockManagerTest, AlwaysLeavesAtLeastOneTokenToCompute) {
    const auto a = iota_tokens(8, 50);  // exactly two blocks
    model::BlockTable t;
    prefill(a, t);
    mgr_.release(t);
    EXPECT_EQ(mgr_.match_prefix(a, t), 4);  // not 8: the model must see the last token
    EXPECT_EQ(t.blocks.size(), 1u);
    mgr_.release(t);

    auto longer = a;
    longer.push_back(7);
    EXPECT_EQ(probe(longer), 8);
    const std::vector<int32_t> one_block(a.begin(), a.begin() + 4);
    EXPECT_EQ(probe(one_block), 0);
    EXPECT_EQ(probe(std::span<const int32_t>()), 0);
}

TEST_F(BlockManagerTest, SameBlockAfterADifferentEarlierBlockIsAMiss) {
    const auto a = iota_tokens(13, 0);
    auto b = a;
    b[0] = 77;  // only block 0 differs; blocks 1 and 2 have the same tokens as a's
    model::BlockTable t;
    prefill(a, t);
    mgr_.release(t);
    const int64_t misses_before = mgr_.stats().miss_blocks;
    EXPECT_EQ(mgr_.match_prefix(b, t), 0);
    EXPECT_TRUE(t.blocks.empty());
    EXPECT_EQ(mgr_.stats().miss_blocks - misses_before, 3);
    EXPECT_EQ(mgr_.stats().hit_blocks, 0);

    const std::span<const int32_t> block1(a.data() + 4, 4);
    EXPECT_NE(prefix_block_key(kPrefixChainSeed, block1),
              prefix_block_key(prefix_block_key(kPrefixChainSeed, std::span(a.data(), 4)), block1));
}

TEST(PrefixBlockKey, DependsOnEveryTokenItsOrderAndTheParent) {
    const std::vector<int32_t> t = {1, 2, 3, 4};
    const uint64_t k = prefix_block_key(kPrefixChainSeed, t);
    EXPECT_EQ(k, prefix_block_key(kPrefixChainSeed, t));
    EXPECT_NE(k, prefix_block_key(kPrefixChainSeed + 1, t));
    std::set<uint64_t> keys = {k};
    for (size_t i = 0; i < t.size(); ++i) {
        auto u = t;
        u[i] = -u[i];
        keys.insert(prefix_block_key(kPrefixChainSeed, u));
    }
    keys.insert(prefix_block_key(kPrefixChainSeed, std::vector<int32_t>{2, 1, 3, 4}));
    keys.insert(prefix_block_key(kPrefixChainSeed, std::vector<int32_t>{1, 2, 3}));
    EXPECT_EQ(keys.size(), 7u);
}

class SmallPoolTest : public BlockManagerTest {
protected:
    SmallPoolTest() : BlockManagerTest(6) {}
};

TEST_F(SmallPoolTest, EvictsLeastRecentlyUsedFirstAndEvictedBlocksNoLongerHit) {
    // Three prompts of one full block + one token: each caches one block.
    const auto p = iota_tokens(5, 0);
    const auto q = iota_tokens(5, 100);
    const auto r = iota_tokens(5, 200);
    for (const auto* prompt : {&p, &q, &r}) {
        model::BlockTable t;
        prefill(*prompt, t);
        mgr_.release(t);
    }
    model::BlockTable t;
    ASSERT_EQ(mgr_.match_prefix(p, t), 4);  // p becomes the most recently used
    mgr_.release(t);
    EXPECT_EQ(pool_->n_free(), 3);
    EXPECT_EQ(mgr_.n_cached(), 3);

    model::BlockTable big;
    ASSERT_TRUE(mgr_.reserve(big, 5 * kBlockSize).ok());  // 3 free + 2 evicted
    EXPECT_EQ(mgr_.stats().evicted_blocks, 2);
    EXPECT_EQ(mgr_.n_cached(), 1);
    EXPECT_EQ(mgr_.n_available(), 1);
    mgr_.release(big);  // never committed: straight back to the free list

    EXPECT_EQ(probe(q), 0);
    EXPECT_EQ(probe(r), 0);
    EXPECT_EQ(probe(p), 4);
    expect_accounting();
}

TEST_F(SmallPoolTest, EvictsTheTailOfAChainBeforeItsHead) {
    const auto a = iota_tokens(13, 0);  // three full blocks + one token
    model::BlockTable t;
    prefill(a, t);
    mgr_.release(t);
    EXPECT_EQ(mgr_.n_cached(), 3);
    model::BlockTable other;
    ASSERT_TRUE(mgr_.reserve(other, 4 * kBlockSize).ok());  // 3 free + 1 evicted
    EXPECT_EQ(mgr_.match_prefix(a, t), 8);  // blocks 0 and 1 survive, still reachable
}

TEST_F(SmallPoolTest, BlocksInUseAreNeverEvictedAndAFailedReserveChangesNothing) {
    const auto a = iota_tokens(13, 0);
    model::BlockTable ta;
    prefill(a, ta);  // 4 blocks in use, 3 of them registered
    model::BlockTable tb;
    ASSERT_TRUE(mgr_.reserve(tb, 3).ok());
    const std::vector<int32_t> before = tb.blocks;

    const Status s = mgr_.reserve(tb, 3 * kBlockSize);  // 2 more, only 1 available
    EXPECT_EQ(s.code(), StatusCode::ResourceExhausted);
    EXPECT_NE(s.message().find("2 more blocks needed for 12 positions, 1 of 6 available"),
              std::string::npos)
        << s.message();
    EXPECT_EQ(tb.blocks, before);
    EXPECT_EQ(mgr_.n_available(), 1);
    EXPECT_EQ(mgr_.stats().evicted_blocks, 0);
    model::BlockTable again;
    EXPECT_EQ(mgr_.match_prefix(a, again), 12);  // nothing of a was evicted
    expect_accounting();
}

TEST_F(BlockManagerTest, SharedBlocksAreCountedOnceAndFreedAfterTheLastUser) {
    const auto a = iota_tokens(9, 0);
    model::BlockTable ta;
    prefill(a, ta);
    model::BlockTable tb;
    EXPECT_EQ(prefill(a, tb), 8);
    ASSERT_EQ(tb.blocks.size(), 3u);
    EXPECT_EQ(tb.blocks[0], ta.blocks[0]);
    EXPECT_NE(tb.blocks[2], ta.blocks[2]);         // the partial last block is never shared
    EXPECT_EQ(pool_->ref_count(ta.blocks[0]), 3);  // a, b, the index
    EXPECT_EQ(mgr_.n_in_use(), 4);
    expect_accounting();

    mgr_.release(ta);
    EXPECT_EQ(pool_->ref_count(tb.blocks[0]), 2);
    EXPECT_EQ(mgr_.n_in_use(), 3);
    EXPECT_EQ(mgr_.n_available(), 5);
    mgr_.release(tb);
    EXPECT_EQ(mgr_.n_in_use(), 0);
    EXPECT_EQ(pool_->n_free(), 6);  // 8 minus the two cached blocks
    EXPECT_EQ(mgr_.n_available(), 8);
    expect_accounting();
}

TEST_F(BlockManagerTest, ConcurrentDuplicatePrefixStaysPrivateAndIsFreedOnRelease) {
    const auto a = iota_tokens(9, 0);
    auto b = a;
    b[6] = 500;  // same block 0, different block 1
    model::BlockTable ta;
    model::BlockTable tb;
    // Both are admitted before either has committed: neither finds a cached prefix.
    EXPECT_EQ(mgr_.match_prefix(a, ta), 0);
    EXPECT_EQ(mgr_.match_prefix(b, tb), 0);
    ASSERT_TRUE(mgr_.reserve(ta, 9).ok());
    ASSERT_TRUE(mgr_.reserve(tb, 9).ok());
    EXPECT_EQ(mgr_.commit(a, 9, ta, 0), 2);
    EXPECT_EQ(mgr_.n_cached(), 2);
    EXPECT_EQ(mgr_.commit(b, 9, tb, 0), 2);
    EXPECT_EQ(mgr_.n_cached(), 3);  // b's block 0 is a duplicate; its block 1 is new
    EXPECT_EQ(pool_->ref_count(tb.blocks[0]), 1);
    EXPECT_EQ(pool_->ref_count(tb.blocks[1]), 2);

    const int32_t a_block0 = ta.blocks[0];
    const int32_t b_block1 = tb.blocks[1];
    const int32_t free_before = pool_->n_free();
    mgr_.release(tb);
    EXPECT_EQ(pool_->n_free(), free_before + 2);  // the private copy and the partial block
    mgr_.release(ta);
    // b's block 1 chains from the key of block 0, whichever copy computed it.
    model::BlockTable t;
    EXPECT_EQ(mgr_.match_prefix(b, t), 8);
    EXPECT_EQ(t.blocks, (std::vector<int32_t>{a_block0, b_block1}));
    expect_accounting();
}

TEST(BlockManagerNoCache, FindsNothingRegistersNothingAndFreesOnRelease) {
    auto pool = make_pool(4);
    BlockManager mgr(*pool, false);
    const auto a = iota_tokens(9, 0);
    model::BlockTable t;
    EXPECT_EQ(mgr.match_prefix(a, t), 0);
    ASSERT_TRUE(mgr.reserve(t, 9).ok());
    EXPECT_EQ(mgr.commit(a, 9, t, 0), 2);  // the count still advances for the caller
    EXPECT_EQ(mgr.n_cached(), 0);
    EXPECT_EQ(pool->ref_count(t.blocks[0]), 1);
    mgr.release(t);
    EXPECT_EQ(pool->n_free(), 4);
    EXPECT_EQ(mgr.match_prefix(a, t), 0);
    EXPECT_TRUE(t.blocks.empty());
    EXPECT_EQ(mgr.stats().lookups, 0);
    EXPECT_EQ(mgr.stats().hit_blocks + mgr.stats().miss_blocks, 0);
}

TEST_F(BlockManagerTest, StatsCountLookupsHitsMissesAndEvictions) {
    const auto a = iota_tokens(13, 0);
    model::BlockTable t;
    prefill(a, t);  // 3 matchable blocks, all missed
    mgr_.release(t);
    auto b = a;
    b[9] = 1000;  // block 2 differs
    prefill(b, t);
    mgr_.release(t);
    const PrefixCacheStats& s = mgr_.stats();
    EXPECT_EQ(s.lookups, 2);
    EXPECT_EQ(s.hit_blocks, 2);
    EXPECT_EQ(s.miss_blocks, 4);
    EXPECT_EQ(s.hit_tokens, 8);
    EXPECT_EQ(s.evicted_blocks, 0);
    // 4 cached blocks, 4 free: taking all 8 evicts 4.
    ASSERT_TRUE(mgr_.reserve(t, 8 * kBlockSize).ok());
    EXPECT_EQ(mgr_.stats().evicted_blocks, 4);
    EXPECT_EQ(mgr_.n_cached(), 0);
}

TEST_F(BlockManagerTest, ClearCacheDropsEvictableBlocksAndKeepsBlocksInUse) {
    const auto a = iota_tokens(9, 0);
    const auto b = iota_tokens(9, 100);
    model::BlockTable ta;
    model::BlockTable tb;
    prefill(a, ta);
    prefill(b, tb);
    mgr_.release(ta);
    EXPECT_EQ(mgr_.n_cached(), 4);
    mgr_.clear_cache();
    EXPECT_EQ(mgr_.n_cached(), 2);  // b's blocks are still in use
    EXPECT_EQ(pool_->n_free(), 5);
    EXPECT_EQ(mgr_.stats().evicted_blocks, 0);  // only reclaims for allocations count
    EXPECT_EQ(probe(a), 0);
    EXPECT_EQ(probe(b), 8);
    expect_accounting();
}

TEST_F(BlockManagerTest, ReallocatedBlockForgetsItsOldContents) {
    const auto a = iota_tokens(5, 0);
    const auto b = iota_tokens(5, 40);
    model::BlockTable ta;
    model::BlockTable tb;
    // Concurrent duplicates: b's copy of a stays private, keyed with a's key.
    EXPECT_EQ(mgr_.match_prefix(a, ta), 0);
    ASSERT_TRUE(mgr_.reserve(ta, 5).ok());
    ASSERT_TRUE(mgr_.reserve(tb, 5).ok());
    mgr_.commit(a, 5, ta, 0);
    mgr_.commit(a, 5, tb, 0);
    const int32_t private_copy = tb.blocks[0];
    mgr_.release(tb);  // freed last, and the free list is LIFO: the next allocation takes it
    model::BlockTable tc;
    ASSERT_TRUE(mgr_.reserve(tc, 5).ok());
    ASSERT_EQ(tc.blocks[0], private_copy);
    // Its stale key (a's) must not survive: committing b's tokens there registers b.
    mgr_.commit(b, 5, tc, 0);
    EXPECT_EQ(mgr_.n_cached(), 2);
    mgr_.release(tc);
    mgr_.release(ta);
    EXPECT_EQ(probe(b), 4);
    EXPECT_EQ(probe(a), 4);
}

// --- Randomized: many sequences with shared prefixes against a simulated KV store. ---

// "Computing" position p writes (token, p) into the K row of its slot, so a cache hit can be
// checked against what the sequence that computed the block really stored there.
void write_slot(model::KvPool& pool, int32_t block, int64_t pos, int32_t token) {
    uint16_t* row = pool.k_row(block, 0, static_cast<int32_t>(pos % kBlockSize));
    const auto t = static_cast<uint32_t>(token);
    const auto p = static_cast<uint32_t>(pos);
    row[0] = static_cast<uint16_t>(t & 0xffff);
    row[1] = static_cast<uint16_t>(t >> 16);
    row[2] = static_cast<uint16_t>(p & 0xffff);
    row[3] = static_cast<uint16_t>(p >> 16);
}

bool slot_holds(model::KvPool& pool, int32_t block, int64_t pos, int32_t token) {
    const uint16_t* row = pool.k_row(block, 0, static_cast<int32_t>(pos % kBlockSize));
    return (row[0] | (uint32_t{row[1]} << 16)) == static_cast<uint32_t>(token) &&
           (row[2] | (uint32_t{row[3]} << 16)) == static_cast<uint32_t>(pos);
}

struct SimSequence {
    std::vector<int32_t> tokens;
    model::BlockTable table;
    int64_t n_computed = 0;
    int32_t n_committed = 0;
};

::testing::AssertionResult check_invariants(const BlockManager& mgr, const model::KvPool& pool,
                                            const std::vector<SimSequence>& seqs) {
    if (mgr.n_available() + mgr.n_in_use() != mgr.n_blocks_total()) {
        return ::testing::AssertionFailure() << "available + in use != total";
    }
    std::vector<int32_t> in_tables(static_cast<size_t>(pool.n_blocks()), 0);
    for (const SimSequence& s : seqs) {
        if (s.table.capacity(kBlockSize) < s.n_computed) {
            return ::testing::AssertionFailure() << "table does not cover computed positions";
        }
        for (const int32_t b : s.table.blocks) ++in_tables[static_cast<size_t>(b)];
    }
    int32_t n_free = 0;
    int32_t n_used = 0;
    int32_t n_index_refs = 0;
    int32_t n_evictable = 0;
    for (int32_t b = 0; b < pool.n_blocks(); ++b) {
        const int32_t users = in_tables[static_cast<size_t>(b)];
        const int32_t extra = pool.ref_count(b) - users;  // the index's reference, if any
        if (extra != 0 && extra != 1) {
            return ::testing::AssertionFailure()
                   << "block " << b << " ref count " << pool.ref_count(b) << " with " << users
                   << " tables holding it";
        }
        n_free += pool.ref_count(b) == 0 ? 1 : 0;
        n_used += users > 0 ? 1 : 0;
        n_index_refs += extra;
        n_evictable += users == 0 && extra == 1 ? 1 : 0;
    }
    if (n_free != pool.n_free() || n_used != mgr.n_in_use() || n_index_refs != mgr.n_cached() ||
        n_evictable != mgr.n_available() - pool.n_free()) {
        return ::testing::AssertionFailure()
               << "counts: free " << n_free << "/" << pool.n_free() << ", in use " << n_used << "/"
               << mgr.n_in_use() << ", cached " << n_index_refs << "/" << mgr.n_cached()
               << ", evictable " << n_evictable << "/" << mgr.n_available() - pool.n_free();
    }
    return ::testing::AssertionSuccess();
}

class RandomWorkload {
public:
    RandomWorkload() : pool_(make_pool(24)), mgr_(*pool_, true), rng_(20260401) {
        for (const int n : {0, 6, 9, 14}) bases_.push_back(random_tokens(n, 8));
    }

    void step() {
        const int r = pick(10);
        if (r < 3 && seqs_.size() < 6) {
            admit();
        } else if (r < 8 && !seqs_.empty()) {
            advance(static_cast<size_t>(pick(static_cast<int>(seqs_.size()))));
        } else if (!seqs_.empty()) {
            finish(static_cast<size_t>(pick(static_cast<int>(seqs_.size()))));
        }
    }

    void finish_all() {
        while (!seqs_.empty()) finish(seqs_.size() - 1);
    }

    BlockManager& mgr() { return mgr_; }
    model::KvPool& pool() { return *pool_; }
    const std::vector<SimSequence>& seqs() const { return seqs_; }
    int reserve_failures() const { return reserve_failures_; }

private:
    int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

    std::vector<int32_t> random_tokens(int n, int alphabet) {
        std::vector<int32_t> t(static_cast<size_t>(n));
        for (int32_t& x : t) x = pick(alphabet);
        return t;
    }

    void admit() {
        SimSequence s;
        s.tokens = bases_[static_cast<size_t>(pick(static_cast<int>(bases_.size())))];
        const auto suffix = random_tokens(1 + pick(8), 3);  // small alphabet: chance sharing
        s.tokens.insert(s.tokens.end(), suffix.begin(), suffix.end());
        const int64_t matched = mgr_.match_prefix(s.tokens, s.table);
        ASSERT_EQ(matched % kBlockSize, 0);
        ASSERT_LT(matched, static_cast<int64_t>(s.tokens.size()));
        ASSERT_EQ(s.table.capacity(kBlockSize), matched);
        for (int64_t p = 0; p < matched; ++p) {
            ASSERT_TRUE(slot_holds(*pool_, s.table.blocks[static_cast<size_t>(p / kBlockSize)], p,
                                   s.tokens[static_cast<size_t>(p)]))
                << "cache hit at position " << p << " holds another token's K/V";
        }
        const Status st = mgr_.reserve(s.table, static_cast<int64_t>(s.tokens.size()));
        if (!st.ok()) {
            ASSERT_EQ(st.code(), StatusCode::ResourceExhausted);
            ASSERT_EQ(s.table.capacity(kBlockSize), matched);  // unchanged
            ++reserve_failures_;
            mgr_.release(s.table);
            return;
        }
        s.n_computed = matched;
        s.n_committed = static_cast<int32_t>(matched / kBlockSize);
        seqs_.push_back(std::move(s));
    }

    // Computes the next prompt chunk, or one decoded token once the prompt is done.
    void advance(size_t i) {
        SimSequence& s = seqs_[i];
        if (s.n_computed == static_cast<int64_t>(s.tokens.size())) {
            s.tokens.push_back(pick(300));
            if (!mgr_.reserve(s.table, static_cast<int64_t>(s.tokens.size())).ok()) {
                ++reserve_failures_;
                finish(i);  // preempted
                return;
            }
        }
        const int64_t end =
            std::min<int64_t>(static_cast<int64_t>(s.tokens.size()), s.n_computed + 1 + pick(6));
        for (int64_t p = s.n_computed; p < end; ++p) {
            const int32_t b = s.table.blocks[static_cast<size_t>(p / kBlockSize)];
            // Only a block this sequence alone holds may be written.
            ASSERT_EQ(pool_->ref_count(b), 1) << "writing a shared or cached block";
            write_slot(*pool_, b, p, s.tokens[static_cast<size_t>(p)]);
        }
        s.n_computed = end;
        s.n_committed = mgr_.commit(s.tokens, s.n_computed, s.table, s.n_committed);
        ASSERT_EQ(s.n_committed, s.n_computed / kBlockSize);
    }

    void finish(size_t i) {
        mgr_.release(seqs_[i].table);
        ASSERT_TRUE(seqs_[i].table.blocks.empty());
        seqs_.erase(seqs_.begin() + static_cast<ptrdiff_t>(i));
    }

    std::unique_ptr<model::KvPool> pool_;
    BlockManager mgr_;
    std::mt19937 rng_;
    std::vector<std::vector<int32_t>> bases_;
    std::vector<SimSequence> seqs_;
    int reserve_failures_ = 0;
};

TEST(BlockManagerRandomized, InvariantsHoldAndHitsHoldThePromptsOwnKv) {
    RandomWorkload w;
    for (int i = 0; i < 5000; ++i) {
        ASSERT_NO_FATAL_FAILURE(w.step()) << "step " << i;
        ASSERT_TRUE(check_invariants(w.mgr(), w.pool(), w.seqs())) << "step " << i;
    }
    // The workload must actually exercise sharing, eviction and a full pool.
    EXPECT_GT(w.mgr().stats().hit_blocks, 200);
    EXPECT_GT(w.mgr().stats().miss_blocks, 200);
    EXPECT_GT(w.mgr().stats().evicted_blocks, 20);
    EXPECT_GT(w.reserve_failures(), 0);
    w.finish_all();
    ASSERT_TRUE(check_invariants(w.mgr(), w.pool(), w.seqs()));
    EXPECT_EQ(w.mgr().n_in_use(), 0);
    EXPECT_EQ(w.mgr().n_available(), w.mgr().n_blocks_total());
    w.mgr().clear_cache();
    EXPECT_EQ(w.mgr().n_cached(), 0);
    EXPECT_EQ(w.pool().n_free(), w.pool().n_blocks());
}

// --- The real decoder: K/V taken from the cache equals K/V computed afresh. ---

TEST(BlockManagerDecoder, CachedPrefixGivesBitIdenticalLogits) {
    const auto model = testing::make_tiny_model(testing::tiny_spec());
    const model::HParams& hp = model->hparams();
    kernels::ThreadPool threads(2);
    model::Decoder decoder(model, kernels::ref_kernels(), threads, {.max_batch_tokens = 32});
    const auto last_logits = [&](model::KvPool& kv, const model::BlockTable& table,
                                 std::span<const int32_t> tokens, int64_t pos0) {
        const model::SequenceChunk c{.tokens = tokens, .pos0 = pos0, .blocks = &table};
        std::vector<float> logits;
        const Status s = decoder.forward(std::span(&c, 1), kv, logits);
        EXPECT_TRUE(s.ok()) << s.to_string();
        return logits;
    };
    const int64_t pool_bytes = 16 * kBlockSize * model::kv_bytes_per_token(hp);
    auto kv = model::KvPool::create_for(hp, pool_bytes, kBlockSize).value();
    BlockManager mgr(*kv, true);

    // Prompt A, cold: 11 tokens, two full blocks committed.
    const std::vector<int32_t> a = {5, 9, 200, 31, 7, 150, 2, 99, 10, 11, 12};
    model::BlockTable ta;
    ASSERT_EQ(mgr.match_prefix(a, ta), 0);
    ASSERT_TRUE(mgr.reserve(ta, static_cast<int64_t>(a.size())).ok());
    const auto logits_a = last_logits(*kv, ta, a, 0);
    EXPECT_EQ(mgr.commit(a, static_cast<int64_t>(a.size()), ta, 0), 2);
    mgr.release(ta);

    // Prompt A' shares A's first two blocks: only its tail runs, from position 8.
    std::vector<int32_t> a2(a.begin(), a.begin() + 8);
    a2.insert(a2.end(), {42, 43, 250, 1, 17});
    model::BlockTable tw;
    ASSERT_EQ(mgr.match_prefix(a2, tw), 8);
    ASSERT_TRUE(mgr.reserve(tw, static_cast<int64_t>(a2.size())).ok());
    const auto warm = last_logits(*kv, tw, std::span(a2).subspan(8), 8);

    // A' cold, in a pool of its own.
    auto cold_kv = model::KvPool::create_for(hp, pool_bytes, kBlockSize).value();
    model::BlockTable tc;
    ASSERT_TRUE(model::reserve_positions(*cold_kv, tc, static_cast<int64_t>(a2.size())).ok());
    const auto cold = last_logits(*cold_kv, tc, a2, 0);

    ASSERT_EQ(cold.size(), static_cast<size_t>(hp.n_vocab));
    ASSERT_EQ(warm.size(), cold.size());
    const auto diff = std::mismatch(warm.begin(), warm.end(), cold.begin());
    EXPECT_EQ(std::memcmp(warm.data(), cold.data(), warm.size() * sizeof(float)), 0)
        << "first difference at logit " << (diff.first - warm.begin());
    EXPECT_NE(logits_a, cold);  // different prompts: the comparison can tell them apart
}

}  // namespace
}  // namespace glmserve::engine
