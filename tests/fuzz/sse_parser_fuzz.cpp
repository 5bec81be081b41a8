// libFuzzer target for the SSE parser the load generator (and later the gateway) runs on bytes
// from untrusted servers: any input must parse or fail with a Status, never crash, and the
// events must not depend on how the bytes were split into reads. The first input byte picks
// the split point; a violation traps, so libFuzzer keeps the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/sse_parser.h"

namespace {

struct Parsed {
    std::vector<std::string> events;  // "event\x1fdata"
    bool ok = true;
};

Parsed parse(std::string_view bytes, size_t split) {
    glmserve::http::SseParser parser(4096);
    Parsed out;
    const auto on_event = [&](const glmserve::http::SseEvent& e) {
        out.events.push_back(e.event + '\x1f' + e.data);
    };
    out.ok = parser.feed(bytes.substr(0, split), on_event).ok() &&
             parser.feed(bytes.substr(split), on_event).ok();
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    const size_t split = bytes.empty() ? 0 : data[0] % (bytes.size() + 1);
    const Parsed whole = parse(bytes, bytes.size());
    const Parsed split_run = parse(bytes, split);
    if (whole.ok != split_run.ok) __builtin_trap();
    // Events delivered before an error may differ only in how far parsing got; on success
    // they must be identical.
    if (whole.ok && whole.events != split_run.events) __builtin_trap();
    return 0;
}
