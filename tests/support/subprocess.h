// Running a command line from a test: exit code and the combined stdout + stderr.
#pragma once

#include <string>

namespace glmserve::testing {

struct CommandResult {
    int exit_code = -1;  // -1 when it could not start or did not exit normally
    std::string output;  // stdout and stderr together
};

// Runs `command` through /bin/sh with stderr merged into stdout.
CommandResult run_command(const std::string& command);

}  // namespace glmserve::testing
