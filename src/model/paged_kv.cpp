#include "model/paged_kv.h"

#include <fmt/format.h>

#include <limits>

namespace glmserve::model {

KvPool::KvPool(const KvPoolConfig& config) : config_(config) {
    block_values_ = config.n_layer * 2 * config.block_size * config.n_embd_kv;
    n_blocks_ = static_cast<int32_t>(config.pool_bytes / block_bytes());
    storage_ = std::make_unique_for_overwrite<uint16_t[]>(static_cast<size_t>(block_values_) *
                                                          static_cast<size_t>(n_blocks_));
    ref_counts_.assign(static_cast<size_t>(n_blocks_), 0);
    free_list_.reserve(static_cast<size_t>(n_blocks_));
    for (int32_t b = n_blocks_ - 1; b >= 0; --b) free_list_.push_back(b);
}

Result<std::unique_ptr<KvPool>> KvPool::create(const KvPoolConfig& config) {
    if (config.n_layer <= 0 || config.n_embd_kv <= 0 || config.block_size <= 0) {
        return invalid_argument("KV pool needs positive layer count, KV width and block size");
    }
    const int64_t block_bytes =
        config.n_layer * 2 * config.block_size * config.n_embd_kv * int64_t{sizeof(uint16_t)};
    if (config.pool_bytes < block_bytes) {
        return invalid_argument(fmt::format("KV memory {} bytes is less than one block ({} bytes)",
                                            config.pool_bytes, block_bytes));
    }
    if (config.pool_bytes / block_bytes > std::numeric_limits<int32_t>::max()) {
        return invalid_argument("KV memory too large for 32-bit block ids");
    }
    return std::unique_ptr<KvPool>(new KvPool(config));
}

Result<std::unique_ptr<KvPool>> KvPool::create_for(const HParams& hp, int64_t pool_bytes,
                                                   int32_t block_size) {
    return create(KvPoolConfig{.n_layer = hp.n_layer,
                               .n_embd_kv = hp.n_embd_kv(),
                               .block_size = block_size,
                               .pool_bytes = pool_bytes});
}

std::optional<int32_t> KvPool::allocate() {
    if (free_list_.empty()) return std::nullopt;
    const int32_t b = free_list_.back();
    free_list_.pop_back();
    ref_counts_[static_cast<size_t>(b)] = 1;
    return b;
}

void KvPool::retain(int32_t block) {
    GS_CHECK(block >= 0 && block < n_blocks_ && ref_counts_[static_cast<size_t>(block)] > 0);
    ++ref_counts_[static_cast<size_t>(block)];
}

void KvPool::release(int32_t block) {
    GS_CHECK(block >= 0 && block < n_blocks_ && ref_counts_[static_cast<size_t>(block)] > 0);
    if (--ref_counts_[static_cast<size_t>(block)] == 0) free_list_.push_back(block);
}

uint16_t* KvPool::row(int32_t block, int64_t il, int kv, int32_t slot) {
    GS_DCHECK(block >= 0 && block < n_blocks_ && slot >= 0 && slot < config_.block_size);
    const int64_t index =
        ((static_cast<int64_t>(block) * config_.n_layer + il) * 2 + kv) * config_.block_size + slot;
    return storage_.get() + index * config_.n_embd_kv;
}

Status reserve_positions(KvPool& pool, BlockTable& table, int64_t n_positions) {
    const int64_t have = table.capacity(pool.block_size());
    if (n_positions <= have) return ok_status();
    const int64_t need = (n_positions - have + pool.block_size() - 1) / pool.block_size();
    if (need > pool.n_free()) {
        return resource_exhausted(
            fmt::format("KV cache full: {} more blocks needed for {} positions, {} of {} free",
                        need, n_positions, pool.n_free(), pool.n_blocks()));
    }
    for (int64_t i = 0; i < need; ++i) table.blocks.push_back(*pool.allocate());
    return ok_status();
}

void release_all(KvPool& pool, BlockTable& table) {
    for (int32_t b : table.blocks) pool.release(b);
    table.blocks.clear();
}

}  // namespace glmserve::model
