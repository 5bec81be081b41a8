// GS_CHECK / GS_DCHECK: programmer-error assertions (STYLE.md §3).
//
// GS_CHECK is always on and aborts with file:line and the condition. Never use it on a value
// that came from a file, a request or a peer: those get a Status.
#pragma once

namespace glmserve::detail {
[[noreturn]] void check_failed(const char* file, int line, const char* condition);
}  // namespace glmserve::detail

#define GS_CHECK(cond)                                                            \
    do {                                                                          \
        if (!(cond)) ::glmserve::detail::check_failed(__FILE__, __LINE__, #cond); \
    } while (false)

#ifdef NDEBUG
#define GS_DCHECK(cond) \
    do {                \
    } while (false && (cond))
#else
#define GS_DCHECK(cond) GS_CHECK(cond)
#endif
