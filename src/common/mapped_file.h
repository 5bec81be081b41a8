// RAII owners of two OS handles: a file descriptor (UniqueFd) and a read-only memory mapping of
// a whole file (MappedFile), after STYLE.md §4 ("OS and C handles each get a small RAII type").
//
// MappedFile::open() maps a regular file PROT_READ/MAP_PRIVATE. An empty file is valid and maps
// to an empty span (mmap cannot map zero bytes). Failures come back as a Status that names the
// path, the syscall and the errno text; nothing throws and nothing aborts. The mapping's address
// never changes while the object lives, including across moves, so views into bytes() stay
// valid for as long as the MappedFile (wherever it has been moved to) is alive.
// Thread: immutable after open(); bytes() may be read from any thread. Move/destroy: one owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"

namespace glmserve {

// Owns one file descriptor; closes it on destruction (close errors are ignored: there is
// nothing useful to do with them for the read-only and already-fsynced files we hold).
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }
    // Gives up ownership without closing; returns the descriptor (-1 when empty).
    int release();
    // Closes the current descriptor (if any) and takes `fd`.
    void reset(int fd = -1);

private:
    int fd_ = -1;
};

class MappedFile {
public:
    // Maps `path` read-only. NotFound when it does not exist, FailedPrecondition when it is not a
    // regular file or may not be read, ResourceExhausted when the mapping fails for lack of
    // memory or address space, Internal for other syscall failures.
    static Result<MappedFile> open(const std::filesystem::path& path);

    MappedFile() = default;  // empty: size() == 0
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    ~MappedFile();

    std::span<const uint8_t> bytes() const { return {static_cast<const uint8_t*>(addr_), size_}; }
    uint64_t size() const { return size_; }
    const std::string& path() const { return path_; }

private:
    MappedFile(void* addr, size_t size, std::string path)
        : addr_(addr), size_(size), path_(std::move(path)) {}
    void unmap() noexcept;

    void* addr_ = nullptr;  // nullptr when empty (including zero-byte files)
    size_t size_ = 0;
    std::string path_;
};

// "open 'x': No such file or directory" style message for a failed syscall, with a code chosen
// from errno (see MappedFile::open). Exposed for the other RAII helpers that do I/O.
Status errno_status(int err, std::string_view what, const std::filesystem::path& path);

}  // namespace glmserve
