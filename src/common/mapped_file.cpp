// UniqueFd and MappedFile: see mapped_file.h.
#include "common/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace glmserve {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
}

int UniqueFd::release() {
    return std::exchange(fd_, -1);
}

void UniqueFd::reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

Status errno_status(int err, std::string_view what, const std::filesystem::path& path) {
    // std::generic_category().message() is the thread-safe form of strerror().
    std::string msg =
        std::string(what) + " '" + path.string() + "': " + std::generic_category().message(err);
    switch (err) {
        case ENOENT:
        case ENOTDIR: return not_found(std::move(msg));
        case EACCES:
        case EPERM:
        case EISDIR:
        case ENODEV: return failed_precondition(std::move(msg));
        case ENOMEM:
        case EMFILE:
        case ENFILE:
        case ENOSPC: return resource_exhausted(std::move(msg));
        default: return internal_error(std::move(msg));
    }
}

Result<MappedFile> MappedFile::open(const std::filesystem::path& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return errno_status(errno, "open", path);

    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return errno_status(errno, "fstat", path);
    if (!S_ISREG(st.st_mode)) {
        return failed_precondition("open '" + path.string() + "': not a regular file");
    }
    if (st.st_size == 0) return MappedFile(nullptr, 0, path.string());

    const auto size = static_cast<size_t>(st.st_size);
    void* addr = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (addr == MAP_FAILED) return errno_status(errno, "mmap", path);
    // The mapping keeps the file alive; the descriptor closes here.
    return MappedFile(addr, size, path.string());
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : addr_(std::exchange(other.addr_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      path_(std::move(other.path_)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
    if (this != &other) {
        unmap();
        addr_ = std::exchange(other.addr_, nullptr);
        size_ = std::exchange(other.size_, 0);
        path_ = std::move(other.path_);
    }
    return *this;
}

MappedFile::~MappedFile() {
    unmap();
}

void MappedFile::unmap() noexcept {
    // munmap only fails for arguments we never pass; there is nothing to report.
    if (addr_ != nullptr) ::munmap(addr_, size_);
    addr_ = nullptr;
    size_ = 0;
}

}  // namespace glmserve
