// `glmserve cluster -c cluster.yaml`: the supervisor. Starts N replicas (`glmserve serve`) and a
// gateway in front of them on this host, restarts what exits or stops answering, rolls the
// replicas one at a time on SIGHUP and drains everything on SIGTERM (src/supervisor/). The file
// carries the whole layout; a few flags cover the quick case of N demo replicas.
#include <memory>
#include <string>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "supervisor/cluster_config.h"
#include "supervisor/supervisor.h"

namespace glmserve::cli {
namespace {

struct ClusterCliOptions {
    std::string config_file;
    int replicas = 0;  // 0: the file's count
    std::string log_level = "info";
    std::string log_format = "text";
};

int run_cluster_command(const ClusterCliOptions& o) {
    if (const Status logging = setup_logging_from_flags(o.log_level, o.log_format); !logging.ok()) {
        return fail(logging);
    }
    supervisor::ClusterConfig config;
    if (!o.config_file.empty()) {
        auto loaded = supervisor::load_cluster_config(o.config_file);
        if (!loaded.ok()) return fail(loaded.status());
        config = std::move(*loaded);
    } else {
        auto self = supervisor::current_executable_path();
        if (!self.ok()) return fail(self.status());
        config.glmserve_path = *self;
    }
    if (o.replicas > 0) config.replicas.count = o.replicas;
    const Status valid = supervisor::validate_cluster_config(config);
    if (!valid.ok()) return fail(valid);
    return supervisor::run_cluster(config);
}

}  // namespace

void add_cluster_command(CLI::App& app, CommandRunner& run) {
    auto o = std::make_shared<ClusterCliOptions>();
    CLI::App* sub = app.add_subcommand(
        "cluster", "Supervisor: a gateway plus N replicas on this host, kept alive");
    sub->add_option("-c,--config", o->config_file,
                    "cluster.yaml (without it: replicas of the demo model behind a gateway on "
                    "127.0.0.1:8080)")
        ->envname("GLMSERVE_CLUSTER_CONFIG");
    sub->add_option("--replicas", o->replicas, "Number of replicas (overrides the file)")
        ->check(CLI::Range(1, 64))
        ->envname("GLMSERVE_CLUSTER_REPLICAS");
    sub->add_option("--log-level", o->log_level, "trace, debug, info, warn, error")
        ->capture_default_str()
        ->envname("GLMSERVE_CLUSTER_LOG_LEVEL");
    sub->add_option("--log-format", o->log_format, "text or json (one object per line)")
        ->capture_default_str()
        ->envname("GLMSERVE_CLUSTER_LOG_FORMAT");
    sub->callback([o, &run] { run = [o] { return run_cluster_command(*o); }; });
}

}  // namespace glmserve::cli
