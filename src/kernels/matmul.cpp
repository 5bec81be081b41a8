// matmul, matmul_many and dequantize_row over a KernelTable (see matmul.h).
//
// Shapes: each W [n_out, n_in] in its own type (row stride w.row_bytes); x [n_tokens, n_in] f32;
// each y [n_tokens, n_out] f32; scratch holds x converted to each distinct vec_dot_type,
// [n_tokens, act_row_bytes] per type, 64-byte aligned regions.
// Steps:
//   1. Convert x to every vec_dot_type the jobs need (not F32, which is used as it is), one
//      (type, token) row per unit, units split across threads; a single unit runs inline.
//      A row ends with the packed kernel's activation suffix (TypeKernels::write_act_suffix)
//      when a packed job reads it, so the suffix is computed once per token, not per group.
//   2. Cut every job's output rows into chunks of kOutputsPerChunk rows (64 bytes of floats per
//      token), numbered across all jobs, split the numbers into one contiguous part per thread
//      and let each thread claim its own part's chunks in order, then the others' leftovers, in
//      one pool.run. Chunk boundaries sit on multiples of 16 outputs, so two threads never
//      write the same cache line of a 64-byte-aligned y row (when n_out is a multiple of 16).
//   3. Within a chunk, tokens go in tiles of kMaxActRows (vec_dot_tile: of the type's
//      tile_tokens, and rows in groups of its tile_rows; packed groups: of its
//      packed_tile_tokens). Rows of a packed weight (groups of kPackRows interleaved rows,
//      WeightMatrix::packed) go a group at a time through vec_dot_packed (the quantized
//      layouts keep one row per SIMD lane; the float ones interleave the rows' SIMD steps), two
//      groups at a time through vec_dot_packed_pair where the table has one. Otherwise, with
//      vec_dot_tile, the chunk's rows go in groups of tile_rows and each (row group, token
//      tile) is one call: a weight block is unpacked once for the whole token tile and an
//      activation block loaded once for the whole row group (a 1-token GEMV too gets several
//      rows per call, so their accumulation chains overlap). Without it, vec_dot_rows unpacks
//      each weight row once for the token tile (vec_dot per token when the table has neither,
//      or the tile has one token). The chunk's weight rows stay in cache across token tiles;
//      each tile's activations stay in L1 across rows.
// Which thread computes a chunk varies from run to run, but each y[t][o] is one vec_dot (or the
// bit-identical vec_dot_rows / vec_dot_tile / vec_dot_packed lane) of W[o] and x[t], so the
// result does not.
// Thread: one call at a time per scratch; the pool provides the parallelism.
#include "kernels/matmul.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>

#include "common/check.h"

namespace glmserve::kernels {

namespace {

constexpr int64_t kOutputsPerChunk = 16;  // 16 floats: one 64-byte cache line of a y row
constexpr uint64_t kScratchAlign = 64;

// Bytes of one row of n elements of `type` (GS_CHECK: callers pass validated shapes).
uint64_t checked_row_bytes(TensorType type, int64_t n) {
    const Result<uint64_t> bytes = gguf::row_bytes(type, n);
    GS_CHECK(bytes.ok());
    return bytes.value();
}

uint64_t align_up(uint64_t n, uint64_t alignment) {
    return (n + alignment - 1) / alignment * alignment;
}

// x converted to one vec_dot_type: dst [n_tokens, row_bytes], each row the type's
// type_row_bytes, then (when a packed job asks for one) its activation suffix.
struct Conversion {
    TensorType type = TensorType::F32;
    uint64_t type_row_bytes = 0;
    WriteActSuffixFn write_suffix = nullptr;
    uint64_t row_bytes = 0;
    uint64_t offset = 0;  // of dst within the aligned scratch
    uint8_t* dst = nullptr;
};

// Whether matmul computes w's packed rows with the table's packed kernel.
bool uses_packed(const TypeKernels& wk, const WeightMatrix& w) {
    return w.packed != nullptr && wk.vec_dot_packed != nullptr && w.packed_with == wk.pack_rows;
}

// Everything a thread needs to compute one job's chunks.
struct JobPlan {
    const uint8_t* weights = nullptr;  // [n_out, row_bytes]
    uint64_t row_bytes = 0;
    int64_t n_out = 0;
    float* y = nullptr;  // [n_tokens, n_out]
    VecDotFn vec_dot = nullptr;
    VecDotRowsFn vec_dot_rows = nullptr;  // may be null
    VecDotTileFn vec_dot_tile = nullptr;  // may be null; preferred when set
    int tile_tokens = kMaxActRows;        // tokens per vec_dot_tile call
    int tile_rows = kMaxWeightRows;       // weight rows per vec_dot_tile call
    // Rows [0, n_packed_rows) also as kPackRows-row groups of group_bytes (the table's
    // packed_group_bytes; when set, preferred).
    VecDotPackedFn vec_dot_packed = nullptr;
    VecDotPackedFn vec_dot_packed_pair = nullptr;  // optional, with vec_dot_packed
    int packed_tile_tokens = kMaxActRows;          // tokens per packed call
    const uint8_t* packed = nullptr;
    uint64_t group_bytes = 0;
    int64_t n_packed_rows = 0;
    const uint8_t* act = nullptr;  // [n_tokens, act_row_bytes] in the vec_dot_type
    uint64_t act_row_bytes = 0;
    int64_t chunk_end = 0;  // chunks of this and all earlier jobs (a prefix sum)
};

struct Plan {
    std::array<Conversion, kMaxMatmulJobs> conversions{};
    size_t n_conversions = 0;
    std::array<JobPlan, kMaxMatmulJobs> jobs{};
    size_t n_jobs = 0;
    int64_t n_chunks = 0;
    int64_t n_in = 0;
    int64_t n_tokens = 0;
};

// Step 1 setup: one Conversion per distinct non-F32 vec_dot_type, with its scratch region and
// the activation suffix of the packed jobs that read it.
void plan_conversions(const KernelTable& table, std::span<const MatmulJob> jobs, Plan& plan,
                      MatmulScratch& scratch) {
    for (const MatmulJob& job : jobs) {
        const TypeKernels& wk = table[job.w->type];
        const TensorType act_type = wk.vec_dot_type;
        if (act_type == TensorType::F32) continue;
        const auto end = plan.conversions.begin() + static_cast<ptrdiff_t>(plan.n_conversions);
        const auto same_type = [&](const Conversion& c) { return c.type == act_type; };
        auto it = std::find_if(plan.conversions.begin(), end, same_type);
        if (it == end) {
            it = end;
            ++plan.n_conversions;
            it->type = act_type;
            it->type_row_bytes = checked_row_bytes(act_type, plan.n_in);
            it->row_bytes = it->type_row_bytes;
        }
        if (wk.write_act_suffix != nullptr && uses_packed(wk, *job.w)) {
            // One suffix per activation type (Q4_0 and Q5_0 share theirs).
            GS_CHECK(it->write_suffix == nullptr || it->write_suffix == wk.write_act_suffix);
            it->write_suffix = wk.write_act_suffix;
            it->row_bytes = it->type_row_bytes + wk.act_suffix_bytes(plan.n_in);
        }
    }
    if (plan.n_conversions == 0) return;
    uint64_t total_bytes = 0;
    for (size_t i = 0; i < plan.n_conversions; ++i) {
        Conversion& c = plan.conversions[i];
        c.offset = total_bytes;
        total_bytes += align_up(c.row_bytes * static_cast<uint64_t>(plan.n_tokens), kScratchAlign);
    }
    uint8_t* base = scratch.reserve(total_bytes + kScratchAlign);
    const uintptr_t misalignment = reinterpret_cast<uintptr_t>(base) % kScratchAlign;
    if (misalignment != 0) base += kScratchAlign - misalignment;
    for (size_t i = 0; i < plan.n_conversions; ++i) {
        plan.conversions[i].dst = base + plan.conversions[i].offset;
    }
}

// Step 1: converts x into every Conversion, (type, token) units split across threads.
void convert_activations(const KernelTable& table, const Plan& plan, const float* x,
                         ThreadPool& pool) {
    const int64_t n_units = static_cast<int64_t>(plan.n_conversions) * plan.n_tokens;
    const auto convert = [&](int64_t begin, int64_t end) {
        for (int64_t u = begin; u < end; ++u) {
            const Conversion& c = plan.conversions[static_cast<size_t>(u / plan.n_tokens)];
            const int64_t t = u % plan.n_tokens;
            uint8_t* row = c.dst + static_cast<uint64_t>(t) * c.row_bytes;
            table[c.type].quantize_row(x + t * plan.n_in, row, plan.n_in);
            if (c.write_suffix != nullptr) {
                c.write_suffix(plan.n_in, row, row + c.type_row_bytes);
            }
        }
    };
    if (n_units <= 1) {  // a fork-join costs more than one row (1-token decode, one type)
        convert(0, n_units);
        return;
    }
    pool.run([&](int ith, int nth) {
        const auto [begin, end] = ThreadPool::split(n_units, ith, nth);
        convert(begin, end);
    });
}

// Step 2 setup: the per-job view of weights, activations and chunk numbering.
void plan_jobs(const KernelTable& table, std::span<const MatmulJob> jobs, const float* x,
               Plan& plan) {
    for (const MatmulJob& job : jobs) {
        const TypeKernels& wk = table[job.w->type];
        JobPlan& p = plan.jobs[plan.n_jobs++];
        p.weights = static_cast<const uint8_t*>(job.w->data);
        p.row_bytes = job.w->row_bytes;
        p.n_out = job.w->n_out;
        p.y = job.y;
        p.vec_dot = wk.vec_dot;
        p.vec_dot_rows = wk.vec_dot_rows;
        p.vec_dot_tile = wk.vec_dot_tile;
        p.tile_tokens = wk.tile_tokens;
        GS_CHECK(p.tile_tokens >= 1 && p.tile_tokens <= kMaxActRows);
        p.tile_rows = wk.tile_rows;
        GS_CHECK(p.tile_rows >= 1 && p.tile_rows <= kMaxTileRows);
        if (uses_packed(wk, *job.w)) {
            p.vec_dot_packed = wk.vec_dot_packed;
            p.vec_dot_packed_pair = wk.vec_dot_packed_pair;
            p.packed_tile_tokens = wk.packed_tile_tokens;
            GS_CHECK(p.packed_tile_tokens >= 1 && p.packed_tile_tokens <= kMaxActRows);
            p.packed = static_cast<const uint8_t*>(job.w->packed);
            p.group_bytes = wk.packed_group_bytes(plan.n_in);
            p.n_packed_rows = job.w->n_out / kPackRows * kPackRows;
        }
        if (wk.vec_dot_type == TensorType::F32) {
            p.act = reinterpret_cast<const uint8_t*>(x);
            p.act_row_bytes = static_cast<uint64_t>(plan.n_in) * sizeof(float);
        } else {
            for (size_t i = 0; i < plan.n_conversions; ++i) {
                if (plan.conversions[i].type != wk.vec_dot_type) continue;
                p.act = plan.conversions[i].dst;
                p.act_row_bytes = plan.conversions[i].row_bytes;
            }
        }
        plan.n_chunks += (p.n_out + kOutputsPerChunk - 1) / kOutputsPerChunk;
        p.chunk_end = plan.n_chunks;
    }
}

// Step 3 with vec_dot_tile: y[t][o] for every token t and o in [o_begin, o_end) of one job.
void compute_chunk_tiles(const JobPlan& p, int64_t n_in, int64_t n_tokens, int64_t o_begin,
                         int64_t o_end) {
    for (int64_t t0 = 0; t0 < n_tokens; t0 += p.tile_tokens) {
        const int n_act = static_cast<int>(std::min<int64_t>(p.tile_tokens, n_tokens - t0));
        const uint8_t* act = p.act + static_cast<uint64_t>(t0) * p.act_row_bytes;
        float* y_tile = p.y + t0 * p.n_out;  // y_tile[j * n_out + o] = y[t0 + j][o]
        for (int64_t o = o_begin; o < o_end; o += p.tile_rows) {
            const int n_w = static_cast<int>(std::min<int64_t>(p.tile_rows, o_end - o));
            float out[kMaxTileRows * kMaxActRows];  // out[r * kMaxActRows + j]
            p.vec_dot_tile(n_in, p.weights + static_cast<uint64_t>(o) * p.row_bytes, p.row_bytes,
                           n_w, act, p.act_row_bytes, n_act, out, kMaxActRows);
            for (int r = 0; r < n_w; ++r) {
                for (int j = 0; j < n_act; ++j)
                    y_tile[j * p.n_out + o + r] = out[r * kMaxActRows + j];
            }
        }
    }
}

// Step 3 on packed groups: y[t][o] for every token t and o in [o_begin, o_end), which lie in
// whole groups (o_begin is a multiple of kOutputsPerChunk, hence of kPackRows). Two groups per
// call where the table has a pair kernel and two remain. A group's weights stay in cache across
// the token tiles; outputs go straight into y's rows.
void compute_packed_groups(const JobPlan& p, int64_t n_in, int64_t n_tokens, int64_t o_begin,
                           int64_t o_end) {
    for (int64_t o = o_begin; o < o_end;) {
        const bool pair = p.vec_dot_packed_pair != nullptr && o + 2 * kPackRows <= o_end;
        const VecDotPackedFn kernel = pair ? p.vec_dot_packed_pair : p.vec_dot_packed;
        const uint8_t* group = p.packed + static_cast<uint64_t>(o / kPackRows) * p.group_bytes;
        for (int64_t t0 = 0; t0 < n_tokens; t0 += p.packed_tile_tokens) {
            const int n_act =
                static_cast<int>(std::min<int64_t>(p.packed_tile_tokens, n_tokens - t0));
            kernel(n_in, group, p.act + static_cast<uint64_t>(t0) * p.act_row_bytes,
                   p.act_row_bytes, n_act, p.y + t0 * p.n_out + o, static_cast<size_t>(p.n_out));
        }
        o += pair ? 2 * kPackRows : kPackRows;
    }
}

// Step 3: y[t][o] for every token t and o in [o_begin, o_end) of one job.
void compute_chunk(const JobPlan& p, int64_t n_in, int64_t n_tokens, int64_t o_begin,
                   int64_t o_end) {
    static_assert(kOutputsPerChunk % kPackRows == 0, "chunks start on group boundaries");
    if (p.vec_dot_packed != nullptr && o_begin < p.n_packed_rows) {
        const int64_t packed_end = std::min(o_end, p.n_packed_rows);
        compute_packed_groups(p, n_in, n_tokens, o_begin, packed_end);
        o_begin = packed_end;  // the last rows of a matrix whose n_out is not a multiple of 8
        if (o_begin == o_end) return;
    }
    if (p.vec_dot_tile != nullptr) {
        compute_chunk_tiles(p, n_in, n_tokens, o_begin, o_end);
        return;
    }
    for (int64_t t0 = 0; t0 < n_tokens; t0 += kMaxActRows) {
        const int n_act = static_cast<int>(std::min<int64_t>(kMaxActRows, n_tokens - t0));
        const uint8_t* act = p.act + static_cast<uint64_t>(t0) * p.act_row_bytes;
        float* y_tile = p.y + t0 * p.n_out;  // y_tile[j * n_out + o] = y[t0 + j][o]
        for (int64_t o = o_begin; o < o_end; ++o) {
            const uint8_t* w_row = p.weights + static_cast<uint64_t>(o) * p.row_bytes;
            if (n_act > 1 && p.vec_dot_rows != nullptr) {
                float out[kMaxActRows];
                p.vec_dot_rows(n_in, w_row, act, p.act_row_bytes, n_act, out);
                for (int j = 0; j < n_act; ++j) y_tile[j * p.n_out + o] = out[j];
            } else {
                for (int j = 0; j < n_act; ++j) {
                    y_tile[j * p.n_out + o] =
                        p.vec_dot(n_in, w_row, act + static_cast<uint64_t>(j) * p.act_row_bytes);
                }
            }
        }
    }
}

// Step 2: threads claim chunks until none are left. Thread i first claims, in order, the chunks
// of the i-th contiguous part of the list, so that its weights stream from one region and the
// hardware prefetcher follows it; a thread whose part is done helps with the others' parts
// (from the same counters, so no chunk runs twice). One shared counter handed out alternate
// chunks instead: each thread's stream then skipped a chunk every 2 groups and restarted cold.
// A/B on the 4-layer GLM-4-9B bench model, 2 threads, 3 interleaved rounds: decode went from
// 82% to 91% of the roofline for Q4_0 and from 76% to 85% for Q4_K (Q8_0 87% -> 89%; prompt
// processing unchanged).
void compute_all(const Plan& plan, ThreadPool& pool) {
    const auto run_chunk = [&plan](int64_t chunk, size_t& j) {
        while (chunk >= plan.jobs[j].chunk_end) ++j;
        const JobPlan& p = plan.jobs[j];
        const int64_t first_chunk = j == 0 ? 0 : plan.jobs[j - 1].chunk_end;
        const int64_t o_begin = (chunk - first_chunk) * kOutputsPerChunk;
        const int64_t o_end = std::min(o_begin + kOutputsPerChunk, p.n_out);
        compute_chunk(p, plan.n_in, plan.n_tokens, o_begin, o_end);
    };
    // A work counter per part, each on its own cache line. Relaxed: the pool's fork-join orders
    // the results.
    struct alignas(64) Part {
        std::atomic<int64_t> next{0};
        int64_t end = 0;
    };
    constexpr int kMaxParts = 64;
    std::array<Part, kMaxParts> parts;
    const int n_parts = std::min(pool.size(), kMaxParts);
    for (int i = 0; i < n_parts; ++i) {
        const auto [begin, end] = ThreadPool::split(plan.n_chunks, i, n_parts);
        parts[i].next.store(begin, std::memory_order_relaxed);
        parts[i].end = end;
    }
    pool.run([&](int ith, int) {
        for (int k = 0; k < n_parts; ++k) {
            Part& part = parts[(ith + k) % n_parts];
            size_t j = 0;  // within a part, chunks are claimed in increasing order
            for (;;) {
                const int64_t chunk = part.next.fetch_add(1, std::memory_order_relaxed);
                if (chunk >= part.end) break;
                run_chunk(chunk, j);
            }
        }
    });
}

}  // namespace

bool can_matmul(const KernelTable& table, TensorType type) {
    if (static_cast<uint32_t>(type) >= gguf::kTensorTypeIdLimit) return false;
    const TypeKernels& k = table[type];
    return k.supported && k.vec_dot != nullptr && table[k.vec_dot_type].quantize_row != nullptr;
}

void PackedWeights::FreeDeleter::operator()(uint8_t* p) const {
    std::free(p);
}

bool PackedWeights::pack(const KernelTable& table, WeightMatrix& w) {
    const TypeKernels& k = table[w.type];
    const int64_t n_groups = w.n_out / kPackRows;
    if (k.pack_rows == nullptr || k.vec_dot_packed == nullptr || n_groups == 0) return false;
    GS_CHECK(k.packed_group_bytes != nullptr);
    const uint64_t group_bytes = k.packed_group_bytes(w.n_in);
    const uint64_t n_bytes = group_bytes * static_cast<uint64_t>(n_groups);
    // 64-byte aligned (std::aligned_alloc wants a multiple of the alignment).
    auto* raw = static_cast<uint8_t*>(std::aligned_alloc(64, (n_bytes + 63) / 64 * 64));
    GS_CHECK(raw != nullptr);
    std::unique_ptr<uint8_t, FreeDeleter> buffer(raw);
    const auto* rows = static_cast<const uint8_t*>(w.data);
    const uint64_t rows_per_group_bytes = w.row_bytes * kPackRows;
    for (int64_t g = 0; g < n_groups; ++g) {
        k.pack_rows(w.n_in, rows + static_cast<uint64_t>(g) * rows_per_group_bytes, w.row_bytes,
                    raw + static_cast<uint64_t>(g) * group_bytes);
    }
    w.packed = raw;
    w.packed_with = k.pack_rows;
    buffers_.push_back(std::move(buffer));
    bytes_ += n_bytes;
    return true;
}

uint8_t* MatmulScratch::reserve(uint64_t n_bytes) {
    if (bytes_.size() < n_bytes) bytes_.resize(n_bytes);
    return bytes_.data();
}

void matmul(const KernelTable& table, const WeightMatrix& w, const float* x, int64_t n_tokens,
            float* y, MatmulScratch& scratch, ThreadPool& pool) {
    const MatmulJob job{.w = &w, .y = y};
    matmul_many(table, std::span<const MatmulJob>(&job, 1), x, n_tokens, scratch, pool);
}

void matmul_many(const KernelTable& table, std::span<const MatmulJob> jobs, const float* x,
                 int64_t n_tokens, MatmulScratch& scratch, ThreadPool& pool) {
    GS_CHECK(jobs.size() <= kMaxMatmulJobs);
    GS_CHECK(n_tokens >= 0);
    if (jobs.empty()) return;
    const int64_t n_in = jobs[0].w->n_in;
    for (const MatmulJob& job : jobs) {
        const WeightMatrix& w = *job.w;
        GS_CHECK(can_matmul(table, w.type));
        GS_CHECK(w.n_in == n_in && n_in > 0 && w.n_out >= 0);
        GS_DCHECK(w.row_bytes == checked_row_bytes(w.type, w.n_in));
    }
    if (n_tokens == 0) return;

    Plan plan;
    plan.n_in = n_in;
    plan.n_tokens = n_tokens;
    plan_conversions(table, jobs, plan, scratch);
    convert_activations(table, plan, x, pool);
    plan_jobs(table, jobs, x, plan);
    if (plan.n_chunks > 0) compute_all(plan, pool);
}

void dequantize_row(const KernelTable& table, const WeightMatrix& w, int64_t row, float* dst) {
    const TypeKernels& k = table[w.type];
    GS_CHECK(k.supported && k.dequantize_row != nullptr);
    GS_CHECK(row >= 0 && row < w.n_out);
    const auto* src =
        static_cast<const uint8_t*>(w.data) + static_cast<uint64_t>(row) * w.row_bytes;
    k.dequantize_row(src, dst, w.n_in);
}

}  // namespace glmserve::kernels
