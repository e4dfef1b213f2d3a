#include "store/key_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace twofold::store {
namespace {

std::filesystem::path fresh_dir() {
    auto dir = std::filesystem::temp_directory_path() / ("twofold-keyfile-" + std::to_string(::getpid()) + "-" +
                                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

TEST(KeyFile, CreatedOnceWithOwnerOnlyModeAndReadBackIdentically) {
    const auto dir = fresh_dir();
    auto first = load_or_create_key_file(dir / "k", 32);
    ASSERT_TRUE(first.ok()) << first.error().message;
    struct stat st {};
    ASSERT_EQ(::stat((dir / "k").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(st.st_size, 32);
    auto second = load_or_create_key_file(dir / "k", 32);
    ASSERT_TRUE(second.ok());
    EXPECT_TRUE(std::equal(first->span().begin(), first->span().end(), second->span().begin()));
    EXPECT_FALSE(std::filesystem::exists(dir / "k.tmp"));
    std::filesystem::remove_all(dir);
}

TEST(KeyFile, AShortFileIsRefusedNotReplaced) {
    const auto dir = fresh_dir();
    { std::ofstream(dir / "k") << "short"; }
    auto key = load_or_create_key_file(dir / "k", 32);
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.error().code, Errc::malformed);
    EXPECT_NE(key.error().message.find("exactly 32"), std::string::npos);
    EXPECT_EQ(std::filesystem::file_size(dir / "k"), 5u);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace twofold::store
