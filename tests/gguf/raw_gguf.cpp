// RawGguf: see raw_gguf.h.
#include "gguf/raw_gguf.h"

#include <cstring>

namespace glmserve::gguf::testing {
namespace {

template <typename T>
void put(Bytes& out, T v) {
    const size_t at = out.size();
    out.resize(at + sizeof(T));
    std::memcpy(out.data() + at, &v, sizeof(T));
}

void put_string(Bytes& out, std::string_view s, std::optional<uint64_t> len = std::nullopt) {
    put<uint64_t>(out, len.value_or(s.size()));
    for (char c : s) out.push_back(static_cast<uint8_t>(c));
}

}  // namespace

Bytes RawGguf::bytes() const {
    Bytes out;
    for (char c : magic) out.push_back(static_cast<uint8_t>(c));
    put<uint32_t>(out, version);
    put<uint64_t>(out, tensor_count.value_or(tensors.size()));
    put<uint64_t>(out, kv_count.value_or(kvs.size()));
    for (const RawKv& kv : kvs) {
        put_string(out, kv.key, kv.key_len);
        put<uint32_t>(out, kv.type);
        out.insert(out.end(), kv.value.begin(), kv.value.end());
    }
    for (const RawTensor& t : tensors) {
        put_string(out, t.name, t.name_len);
        put<uint32_t>(out, t.n_dims.value_or(static_cast<uint32_t>(t.ne.size())));
        for (int64_t n : t.ne) put<int64_t>(out, n);
        put<uint32_t>(out, t.type);
        put<uint64_t>(out, t.offset);
    }
    if (!tensors.empty()) {
        while (out.size() % alignment != 0) out.push_back(0);
    }
    for (uint64_t i = 0; i < data_bytes; ++i) out.push_back(static_cast<uint8_t>(i));
    return out;
}

Bytes enc_u32(uint32_t v) {
    Bytes out;
    put(out, v);
    return out;
}

Bytes enc_u64(uint64_t v) {
    Bytes out;
    put(out, v);
    return out;
}

Bytes enc_i32(int32_t v) {
    Bytes out;
    put(out, v);
    return out;
}

Bytes enc_string(std::string_view s) {
    Bytes out;
    put_string(out, s);
    return out;
}

Bytes enc_string_claiming(uint64_t claimed_len, std::string_view actual) {
    Bytes out;
    put<uint64_t>(out, claimed_len);
    for (char c : actual) out.push_back(static_cast<uint8_t>(c));
    return out;
}

Bytes enc_array(uint32_t element_type, uint64_t count, const Bytes& elements) {
    Bytes out;
    put<uint32_t>(out, element_type);
    put<uint64_t>(out, count);
    out.insert(out.end(), elements.begin(), elements.end());
    return out;
}

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

RawKv kv_raw(std::string key, uint32_t type, Bytes value) {
    RawKv kv;
    kv.key = std::move(key);
    kv.type = type;
    kv.value = std::move(value);
    return kv;
}

RawKv kv_u32(std::string key, uint32_t v) {
    return kv_raw(std::move(key), kTypeU32, enc_u32(v));
}

RawKv kv_string(std::string key, std::string_view v) {
    return kv_raw(std::move(key), kTypeString, enc_string(v));
}

}  // namespace glmserve::gguf::testing
