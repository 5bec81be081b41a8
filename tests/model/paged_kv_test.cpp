#include "model/paged_kv.h"

#include <gtest/gtest.h>

#include <set>

namespace glmserve::model {
namespace {

std::unique_ptr<KvPool> make_pool(int64_t n_blocks) {
    const KvPoolConfig c{
        .n_layer = 2, .n_embd_kv = 8, .block_size = 4, .pool_bytes = n_blocks * 2 * 2 * 4 * 8 * 2};
    auto pool = KvPool::create(c);
    EXPECT_TRUE(pool.ok());
    return std::move(pool).value();
}

TEST(KvPool, SizeIsTheByteBudgetInWholeBlocks) {
    auto pool = KvPool::create(
        {.n_layer = 2, .n_embd_kv = 8, .block_size = 4, .pool_bytes = 3 * 256 + 100});
    ASSERT_TRUE(pool.ok());
    EXPECT_EQ((*pool)->n_blocks(), 3);
    EXPECT_EQ((*pool)->block_bytes(), 256);  // 2 layers × (K, V) × 4 slots × 8 values × f16
    EXPECT_LE((*pool)->pool_bytes(), 3 * 256 + 100);
}

TEST(KvPool, BudgetBelowOneBlockIsRejected) {
    auto pool = KvPool::create({.n_layer = 2, .n_embd_kv = 8, .block_size = 4, .pool_bytes = 100});
    ASSERT_FALSE(pool.ok());
    EXPECT_EQ(pool.status().code(), StatusCode::InvalidArgument);
}

TEST(KvPool, AllocatesUntilEmptyThenRefuses) {
    auto pool = make_pool(3);
    std::set<int32_t> got;
    for (int i = 0; i < 3; ++i) {
        auto b = pool->allocate();
        ASSERT_TRUE(b.has_value());
        got.insert(*b);
    }
    EXPECT_EQ(got.size(), 3u);
    EXPECT_FALSE(pool->allocate().has_value());
    pool->release(*got.begin());
    EXPECT_EQ(pool->n_free(), 1);
}

TEST(KvPool, SharedBlockReturnsOnlyAfterLastRelease) {
    auto pool = make_pool(2);
    const int32_t b = *pool->allocate();
    pool->retain(b);
    EXPECT_EQ(pool->ref_count(b), 2);
    pool->release(b);
    EXPECT_EQ(pool->n_free(), 1);
    pool->release(b);
    EXPECT_EQ(pool->n_free(), 2);
}

TEST(KvPool, RowsOfDifferentBlocksLayersAndSlotsDoNotOverlap) {
    auto pool = make_pool(2);
    std::set<uint16_t*> rows;
    for (int32_t b = 0; b < 2; ++b) {
        for (int64_t il = 0; il < 2; ++il) {
            for (int32_t s = 0; s < 4; ++s) {
                rows.insert(pool->k_row(b, il, s));
                rows.insert(pool->v_row(b, il, s));
            }
        }
    }
    EXPECT_EQ(rows.size(), 2u * 2 * 4 * 2);
}

TEST(ReservePositions, GrowsTableAndFailsWithoutPartialAllocation) {
    auto pool = make_pool(3);
    BlockTable table;
    ASSERT_TRUE(reserve_positions(*pool, table, 5).ok());
    EXPECT_EQ(table.blocks.size(), 2u);
    ASSERT_TRUE(reserve_positions(*pool, table, 8).ok());
    EXPECT_EQ(table.blocks.size(), 2u);
    const Status s = reserve_positions(*pool, table, 20);
    EXPECT_EQ(s.code(), StatusCode::ResourceExhausted);
    EXPECT_EQ(table.blocks.size(), 2u);
    EXPECT_EQ(pool->n_free(), 1);
    release_all(*pool, table);
    EXPECT_TRUE(table.blocks.empty());
    EXPECT_EQ(pool->n_free(), 3);
}

}  // namespace
}  // namespace glmserve::model
