// cluster_runner: `glmserve cluster -c FILE` without the CLI, for the process tests of
// run_cluster (signals, exit code, no orphans). Usage: cluster_runner cluster.yaml
#include <cstdio>

#include "supervisor/cluster_config.h"
#include "supervisor/supervisor.h"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s cluster.yaml\n", argv[0]);
        return 2;
    }
    const auto config = glmserve::supervisor::load_cluster_config(argv[1]);
    if (!config.ok()) {
        std::fprintf(stderr, "%s\n", config.status().to_string().c_str());
        return 1;
    }
    return glmserve::supervisor::run_cluster(*config);
}
