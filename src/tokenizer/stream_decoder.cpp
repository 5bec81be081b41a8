// StreamDecoder (see stream_decoder.h): the UTF-8 completeness rules live in
// detail::take_complete_utf8.
#include "tokenizer/stream_decoder.h"

#include "tokenizer/utf8.h"

namespace glmserve::tokenizer {

std::string StreamDecoder::push(int32_t id) {
    pending_ += tokenizer_.token_bytes(id, render_special_);
    return detail::take_complete_utf8(pending_, /*final=*/false);
}

std::string StreamDecoder::flush() {
    return detail::take_complete_utf8(pending_, /*final=*/true);
}

}  // namespace glmserve::tokenizer
