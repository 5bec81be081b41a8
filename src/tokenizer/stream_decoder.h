// StreamDecoder: turns generated token ids, one at a time, into text that is always valid
// UTF-8. A byte-level token may end inside a multi-byte character (an emoji is often split over
// two or three tokens); those bytes are held back until the character is complete.
//
// push() returns only whole characters. Bytes that can never become valid UTF-8 are emitted at
// once as U+FFFD (one per byte), so a stray byte does not stall the stream. flush() returns what
// is held back, with an incomplete trailing character as one U+FFFD. Each token contributes
// Tokenizer::token_bytes(id, render_special); SentencePiece's leading space is not stripped
// here (a continuation's first "▁word" really starts with a space).
// Thread: single owner (one per generation stream); the Tokenizer must outlive it.
#pragma once

#include <cstdint>
#include <string>

#include "tokenizer/tokenizer.h"

namespace glmserve::tokenizer {

class StreamDecoder {
public:
    explicit StreamDecoder(const Tokenizer& tokenizer, bool render_special = false)
        : tokenizer_(tokenizer), render_special_(render_special) {}

    // The text that token `id` completes (possibly empty).
    std::string push(int32_t id);
    // Everything still held back; the decoder is empty afterwards and may be reused.
    std::string flush();

    // Bytes held back, waiting for the rest of a character (at most 3).
    size_t n_pending_bytes() const { return pending_.size(); }

private:
    const Tokenizer& tokenizer_;  // owner: whoever made this decoder; must outlive it
    bool render_special_ = false;
    std::string pending_;
};

}  // namespace glmserve::tokenizer
