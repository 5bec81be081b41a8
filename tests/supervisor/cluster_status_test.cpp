#include "supervisor/cluster_status.h"

#include <gtest/gtest.h>

namespace glmserve::supervisor {
namespace {

TEST(ClusterStatus, CountsReadyReplicas) {
    ClusterStatus status;
    status.replicas = {{.name = "replica-0", .state = ChildState::Ready},
                       {.name = "replica-1", .state = ChildState::Unhealthy},
                       {.name = "replica-2", .state = ChildState::Ready}};
    EXPECT_EQ(status.n_replicas_ready(), 2);
}

TEST(ClusterStatus, StateNames) {
    EXPECT_EQ(child_state_name(ChildState::Waiting), "waiting");
    EXPECT_EQ(child_state_name(ChildState::Starting), "starting");
    EXPECT_EQ(child_state_name(ChildState::Backoff), "backoff");
    EXPECT_EQ(child_state_name(ChildState::Failed), "failed");
    EXPECT_EQ(child_state_name(ChildState::Stopped), "stopped");
}

TEST(ClusterStatus, JsonEscapesAndListsEveryChild) {
    ClusterStatus status;
    status.replicas = {{.name = "replica-0",
                        .port = 8081,
                        .pid = 42,
                        .state = ChildState::Ready,
                        .restarts = 2,
                        .last_exit = "spawn: cannot execute '/a \"b\"\\c'\n"}};
    status.rolling_restart_in_progress = true;
    EXPECT_EQ(cluster_status_json(status),
              R"({"stopping":false,"rolling_restart":true,"replicas_ready":1,"replicas":[)"
              R"({"name":"replica-0","port":8081,"pid":42,"state":"ready","restarts":2,)"
              R"("last_exit":"spawn: cannot execute '/a \"b\"\\c'\u000a"}],"gateway":null})");
    status.gateway = ChildStatus{.name = "gateway", .port = 8080, .state = ChildState::Failed};
    EXPECT_NE(cluster_status_json(status).find(
                  R"("gateway":{"name":"gateway","port":8080,"pid":0,"state":"failed")"),
              std::string::npos);
}

}  // namespace
}  // namespace glmserve::supervisor
