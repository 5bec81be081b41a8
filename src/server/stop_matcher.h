// StopMatcher: cuts generated text at the first stop string, streaming.
//
// push() appends generated text and returns what is safe to send now. Text that might still
// become the start of a stop string (a suffix that is a proper prefix of some stop) is held
// back until later text decides it. When a stop string completes, push() returns everything
// before it with stopped = true; the stop string and anything after it are dropped (OpenAI:
// the stop sequence is not included in the output). flush() hands back what is held when
// generation ends for another reason.
//
// Which stop wins: the one that completes first in the byte stream; among stops completing at
// the same byte, the longest (it starts earliest). So stops "bc" and "abcd" on "abcd" cut
// before "bc" and emit "a": a streaming server cannot wait for "abcd" once "bc" is complete.
// This makes the result independent of how the text is split into pushes: the concatenation of
// everything emitted (plus flush()) is a function of the concatenated input alone.
//
// UTF-8: the matcher works on bytes. The engine feeds whole characters (tokenizer::StreamDecoder
// never splits one), and stop strings are valid UTF-8 (the request parser checks), so every cut
// falls on a character boundary: a held-back suffix and a match both start where a stop string
// starts, which is a lead byte, and in valid UTF-8 a lead byte starts a character. Given invalid
// input the bytes still come out unchanged and in order, only possibly split.
//
// Cost: one KMP automaton per stop string, advanced byte by byte, so a push costs
// O(text bytes × number of stops) amortised; at most (longest stop - 1) bytes are held back.
// Thread: single owner (one per generated choice).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glmserve::server {

class StopMatcher {
public:
    // Empty strings are ignored (the request parser refuses them). No stops: push() passes
    // everything through at once.
    explicit StopMatcher(std::vector<std::string> stops);

    struct Step {
        std::string emit;      // safe to send now
        bool stopped = false;  // a stop string completed; later pushes return nothing
    };

    Step push(std::string_view text);

    // What is held back (nothing after a stop). The matcher is spent afterwards only if it
    // stopped; otherwise it may keep going, with its automata reset.
    std::string flush();

    bool stopped() const { return matched_.has_value(); }
    // Index (in the constructor's list, counting empty strings) of the stop that matched.
    std::optional<size_t> matched_stop() const { return matched_; }
    // Bytes currently held back.
    size_t n_held_bytes() const { return held_.size(); }

private:
    struct Automaton {
        std::string stop;
        size_t list_index = 0;       // position in the constructor's list
        std::vector<uint32_t> fail;  // KMP failure function: fail[i] for prefix length i + 1
        uint32_t state = 0;          // bytes of `stop` matched at the end of the stream
    };
    // Advances `a` by byte `c`; true when the whole stop string has been matched.
    static bool advance(Automaton& a, char c);

    std::vector<Automaton> automata_;
    std::string held_;  // text received but not yet emitted; ends with every automaton's match
    std::optional<size_t> matched_;
};

}  // namespace glmserve::server
