// libFuzzer target for the GGUF reader: any byte string must give either a GgufFile whose every
// metadata value and tensor view can be read safely, or an error Status; never a crash, a
// sanitizer report or a GS_CHECK.
//
// Property checked on accepted inputs: re-encoding the file with GgufWriter (metadata copied,
// tensors re-added with their bytes) yields a file the reader accepts again, with the same
// tensors and values. A violation traps, so libFuzzer saves the input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "gguf/reader.h"
#include "gguf/writer.h"

namespace {

using glmserve::gguf::GgufFile;
using glmserve::gguf::GgufWriter;
using glmserve::gguf::KeyValue;
using glmserve::gguf::Metadata;
using glmserve::gguf::TensorInfo;
using glmserve::gguf::ValueType;

void require(bool cond) {
    if (!cond) __builtin_trap();
}

// Calls every getter on every key; results are folded into a checksum so nothing is elided.
uint64_t touch_metadata(const Metadata& md) {
    uint64_t sum = 0;
    for (const KeyValue& kv : md.entries()) {
        sum += Metadata::describe(kv.value).size();
        sum += md.get_string(kv.key).ok() + md.get_uint(kv.key).ok() + md.get_int(kv.key).ok();
        sum += md.get_u32(kv.key).ok() + md.get_float(kv.key).ok() + md.get_bool(kv.key).ok();
        sum += md.get_u32_or(kv.key, 1).ok() + md.get_float_or(kv.key, 1.0).ok();
        if (const auto strings = md.get_string_array(kv.key); strings.ok()) {
            for (std::string_view s : *strings) sum += s.empty() ? 0 : uint8_t(s.back());
        }
        if (const auto ints = md.get_int_array(kv.key); ints.ok()) {
            for (int64_t x : *ints) sum += static_cast<uint64_t>(x);
        }
        if (const auto floats = md.get_float_array(kv.key); floats.ok()) sum += floats->size();
        if (const auto n = md.get_array_size(kv.key); n.ok()) sum += *n;
        require(md.find(kv.key) == &kv.value);
    }
    return sum;
}

uint64_t touch_tensors(const GgufFile& file) {
    uint64_t sum = 0;
    for (const TensorInfo& t : file.tensors()) {
        require(t.data.size() == t.n_bytes && t.n_bytes > 0);
        sum += t.data.front() + t.data.back() + t.shape_string().size();
        sum += static_cast<uint64_t>(t.n_elements()) + t.row_bytes();
        require(file.find_tensor(t.name) == &t);
    }
    return sum;
}

void check_rewrite(const GgufFile& file) {
    GgufWriter w;
    w.copy_metadata(file.metadata());
    for (const TensorInfo& t : file.tensors()) {
        const std::span<const int64_t> ne(t.ne, static_cast<size_t>(t.n_dims));
        require(w.add_tensor(t.name, t.type, ne, t.data).ok());
    }
    const std::vector<uint8_t> bytes = w.to_bytes();
    auto again = GgufFile::from_bytes(bytes);
    require(again.ok());
    require(again->tensors().size() == file.tensors().size());
    for (size_t i = 0; i < file.tensors().size(); ++i) {
        const TensorInfo& a = file.tensors()[i];
        const TensorInfo& b = again->tensors()[i];
        require(a.name == b.name && a.type == b.type && a.n_bytes == b.n_bytes);
        require(std::equal(a.data.begin(), a.data.end(), b.data.begin()));
    }
    for (const KeyValue& kv : again->metadata().entries()) {
        const auto* original = file.metadata().find(kv.key);
        require(original != nullptr);
        require(Metadata::describe(kv.value) == Metadata::describe(*original));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto file = GgufFile::from_bytes(std::span<const uint8_t>(data, size));
    if (!file.ok()) {
        require(!file.status().message().empty());
        return 0;
    }
    volatile uint64_t sink = touch_metadata(file->metadata()) + touch_tensors(*file);
    (void)sink;
    require(file->data_offset() <= file->file_bytes());
    check_rewrite(*file);
    return 0;
}
