// Tests for src/common/mapped_file.cpp (kept in the gguf test binary, its only user so far).
#include "common/mapped_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "gguf/temp_dir.h"

namespace glmserve {
namespace {

using gguf::testing::TempDir;

void write_file(const std::filesystem::path& path, std::string_view content) {
    std::ofstream out(path, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

TEST(MappedFileTest, MapsContents) {
    TempDir dir;
    const auto path = dir.path() / "hello.bin";
    write_file(path, "hello");
    auto file = MappedFile::open(path);
    ASSERT_TRUE(file.ok()) << file.status().to_string();
    ASSERT_EQ(file->size(), 5u);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(file->bytes().data()), 5), "hello");
    EXPECT_EQ(file->path(), path.string());
}

TEST(MappedFileTest, MissingFileIsNotFoundWithErrnoText) {
    TempDir dir;
    const auto path = dir.path() / "absent.gguf";
    const auto file = MappedFile::open(path);
    ASSERT_FALSE(file.ok());
    EXPECT_EQ(file.status().code(), StatusCode::NotFound);
    EXPECT_NE(file.status().message().find("open '" + path.string() + "'"), std::string::npos)
        << file.status().message();
    EXPECT_NE(file.status().message().find("No such file or directory"), std::string::npos)
        << file.status().message();
}

TEST(MappedFileTest, EmptyFileMapsToEmptySpan) {
    TempDir dir;
    const auto path = dir.path() / "empty.bin";
    write_file(path, "");
    auto file = MappedFile::open(path);
    ASSERT_TRUE(file.ok()) << file.status().to_string();
    EXPECT_EQ(file->size(), 0u);
    EXPECT_TRUE(file->bytes().empty());
}

TEST(MappedFileTest, DirectoryIsRejected) {
    TempDir dir;
    const auto file = MappedFile::open(dir.path());
    ASSERT_FALSE(file.ok());
    EXPECT_EQ(file.status().code(), StatusCode::FailedPrecondition);
    EXPECT_NE(file.status().message().find("not a regular file"), std::string::npos);
}

TEST(MappedFileTest, MoveKeepsTheMappingAddress) {
    TempDir dir;
    const auto path = dir.path() / "data.bin";
    write_file(path, "abcdef");
    auto file = MappedFile::open(path);
    ASSERT_TRUE(file.ok());
    const uint8_t* addr = file->bytes().data();
    MappedFile moved = std::move(file).value();
    EXPECT_EQ(moved.bytes().data(), addr);
    MappedFile assigned;
    assigned = std::move(moved);
    EXPECT_EQ(assigned.bytes().data(), addr);
    EXPECT_EQ(assigned.size(), 6u);
    EXPECT_EQ(moved.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
}

TEST(UniqueFdTest, ClosesOnDestructionAndRelease) {
    TempDir dir;
    const auto path = dir.path() / "fd.bin";
    write_file(path, "x");
    int raw = -1;
    {
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        ASSERT_TRUE(fd.valid());
        raw = fd.get();
        UniqueFd other = std::move(fd);
        EXPECT_FALSE(fd.valid());  // NOLINT(bugprone-use-after-move)
        EXPECT_EQ(other.get(), raw);
    }
    EXPECT_EQ(::fcntl(raw, F_GETFD), -1);  // closed

    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    const int released = fd.release();
    EXPECT_FALSE(fd.valid());
    EXPECT_NE(::fcntl(released, F_GETFD), -1);
    ::close(released);
}

}  // namespace
}  // namespace glmserve
