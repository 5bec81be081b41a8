#include "model/quantize.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "gguf/writer.h"
#include "model/random_model.h"

namespace glmserve::model {
namespace {

using gguf::TensorType;

bool should_convert(const gguf::TensorInfo& t) {
    const std::string_view name = t.name;
    const bool is_weight = name.size() > 7 && name.substr(name.size() - 7) == ".weight";
    const bool is_norm = name.find("norm") != std::string_view::npos;
    return t.n_dims >= 2 && is_weight && !is_norm;
}

// Dequantizes every row of `t` and re-encodes it as `to`; rows are split across threads.
Result<std::vector<uint8_t>> convert_tensor(const gguf::TensorInfo& t, TensorType to,
                                            const kernels::KernelTable& table,
                                            kernels::ThreadPool& pool) {
    const auto& from_k = table[t.type];
    const auto& to_k = table[to];
    if (from_k.dequantize_row == nullptr) {
        return unimplemented(fmt::format("tensor '{}': cannot read type {}", t.name,
                                         gguf::tensor_type_name(t.type)));
    }
    if (to_k.quantize_row == nullptr) {
        return unimplemented(fmt::format("cannot write type {}", gguf::tensor_type_name(to)));
    }
    const int64_t n_in = t.ne[0];
    const int64_t n_rows = t.n_rows();
    GS_ASSIGN_OR_RETURN(const uint64_t out_row_bytes, gguf::row_bytes(to, n_in));
    const uint64_t in_row_bytes = t.row_bytes();
    std::vector<uint8_t> out(static_cast<size_t>(out_row_bytes * static_cast<uint64_t>(n_rows)));
    pool.run([&](int ith, int nth) {
        std::vector<float> row(static_cast<size_t>(n_in));
        const auto [begin, end] = kernels::ThreadPool::split(n_rows, ith, nth);
        for (int64_t r = begin; r < end; ++r) {
            const auto ur = static_cast<uint64_t>(r);
            from_k.dequantize_row(t.data.data() + ur * in_row_bytes, row.data(), n_in);
            to_k.quantize_row(row.data(), out.data() + ur * out_row_bytes, n_in);
        }
    });
    return out;
}

}  // namespace

Result<QuantizeReport> quantize_model(const gguf::GgufFile& input,
                                      const std::filesystem::path& output, TensorType type,
                                      const kernels::KernelTable& table,
                                      kernels::ThreadPool& pool) {
    if (table[type].quantize_row == nullptr) {
        return invalid_argument(fmt::format("cannot quantize to {}", gguf::tensor_type_name(type)));
    }
    gguf::GgufWriter writer;
    writer.copy_metadata(input.metadata());
    writer.set_u32("general.file_type", file_type_for(type));
    writer.set_u32("general.quantization_version", 2);

    QuantizeReport report;
    for (const gguf::TensorInfo& t : input.tensors()) {
        report.bytes_in += t.n_bytes;
        const std::vector<int64_t> ne(t.ne, t.ne + t.n_dims);
        if (!should_convert(t)) {
            GS_RETURN_IF_ERROR(writer.add_tensor(t.name, t.type, ne, t.data));
            ++report.n_tensors_kept;
            report.bytes_out += t.n_bytes;
            continue;
        }
        const TensorType to = storage_type_for(type, t.ne[0]);
        if (to != type) ++report.n_tensors_fallback;
        GS_ASSIGN_OR_RETURN(std::vector<uint8_t> data, convert_tensor(t, to, table, pool));
        report.bytes_out += data.size();
        GS_RETURN_IF_ERROR(writer.add_tensor(t.name, to, ne, data));
        ++report.n_tensors_converted;
    }
    GS_RETURN_IF_ERROR(writer.write(output));
    return report;
}

}  // namespace glmserve::model
