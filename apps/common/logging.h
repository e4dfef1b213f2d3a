// Server logging: to stderr and to DATA_DIR/NAME.log. Logs name connections, sizes and errors;
// never keys, passwords or payloads.
#pragma once

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <string>

#include "core/result.h"

namespace twofold::apps {

// Creates the data directory (owner-only) if needed, then installs the default logger.
inline Status set_up_logging(const std::filesystem::path& data_dir, const std::string& name, const std::string& level) {
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    if (ec) return make_error(Errc::unavailable, "cannot create " + data_dir.string() + ": " + ec.message());
    std::filesystem::permissions(data_dir, std::filesystem::perms::owner_all, ec);
    auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>((data_dir / (name + ".log")).string());
    auto logger = std::make_shared<spdlog::logger>(name, spdlog::sinks_init_list{console, file});
    logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
    return {};
}

}  // namespace twofold::apps
