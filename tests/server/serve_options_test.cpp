// `glmserve serve` flags → ServeConfig: defaults derived from the model, and every bad value
// refused with its flag named.
#include "server/serve_options.h"

#include <gtest/gtest.h>

#include "model/hparams.h"
#include "support/tiny_model.h"

namespace glmserve::server {
namespace {

class ServeOptionsTest : public ::testing::Test {
protected:
    ServeOptionsTest() : model_(testing::make_tiny_model(testing::tiny_spec())) {
        options_.model = "/models/tiny-q8.gguf";
        options_.threads = 2;
    }
    std::shared_ptr<const model::Model> model_;
    ServeOptions options_;
};

TEST_F(ServeOptionsTest, DefaultsComeFromTheModelAndTheFlags) {
    auto c = validate(options_, *model_);
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    EXPECT_EQ(c->model_name, "tiny-q8");  // the file name without .gguf
    EXPECT_EQ(c->engine.n_ctx, 512);      // the tiny model's training context (under 8192)
    EXPECT_EQ(c->engine.max_queued_tokens, 4 * 512);
    const int64_t one_context = model::kv_bytes_per_token(model_->hparams()) * 512;
    EXPECT_GE(c->engine.kv_bytes, one_context);
    EXPECT_LE(c->engine.kv_bytes, one_context * options_.max_running);
    EXPECT_EQ(c->http.limits.max_body_bytes, 4u << 20);
    EXPECT_EQ(c->http.limits.header_timeout, std::chrono::milliseconds(10'000));
    EXPECT_EQ(c->engine.prefill_step_target, std::chrono::milliseconds(0));  // "off"
    EXPECT_EQ(c->engine.prefill_solo_tokens, 64);
    EXPECT_TRUE(c->engine.prefix_cache);
}

TEST_F(ServeOptionsTest, ExplicitValuesAreParsedWithUnits) {
    options_.kv_memory = "4MiB";
    options_.max_body = "1MB";
    options_.drain_timeout = "2m";
    options_.prefill_step_target = "250ms";
    options_.prefill_solo_tokens = 0;
    options_.n_ctx = 256;
    options_.no_prefix_cache = true;
    options_.model_name = "glm";
    auto c = validate(options_, *model_);
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    EXPECT_EQ(c->engine.kv_bytes, 4 << 20);
    EXPECT_EQ(c->http.limits.max_body_bytes, 1'000'000u);
    EXPECT_EQ(c->drain_timeout, std::chrono::milliseconds(120'000));
    EXPECT_EQ(c->engine.prefill_step_target, std::chrono::milliseconds(250));
    EXPECT_EQ(c->engine.prefill_solo_tokens, 0);
    EXPECT_EQ(c->engine.n_ctx, 256);
    EXPECT_FALSE(c->engine.prefix_cache);
    EXPECT_EQ(c->model_name, "glm");
}

TEST_F(ServeOptionsTest, BadValuesNameTheirFlag) {
    const auto refused = [&](auto edit, std::string_view flag) {
        ServeOptions o = options_;
        edit(o);
        auto c = validate(o, *model_);
        ASSERT_FALSE(c.ok()) << flag;
        EXPECT_NE(c.status().message().find(flag), std::string::npos) << c.status().message();
    };
    refused([](ServeOptions& o) { o.port = 70000; }, "--port");
    refused([](ServeOptions& o) { o.max_running = 0; }, "--max-running");
    refused([](ServeOptions& o) { o.max_queue = -1; }, "--max-queue");
    refused([](ServeOptions& o) { o.n_ctx = 100000; }, "--ctx");
    refused([](ServeOptions& o) { o.kv_memory = "lots"; }, "--kv-memory");
    refused([](ServeOptions& o) { o.kv_memory = "1KiB"; }, "--kv-memory");
    refused([](ServeOptions& o) { o.max_body = "-5"; }, "--max-body");
    refused([](ServeOptions& o) { o.header_timeout = "0s"; }, "--header-timeout");
    refused([](ServeOptions& o) { o.default_timeout = "2h"; }, "--timeout-default");
    refused([](ServeOptions& o) { o.prefill_step_target = "soon"; }, "--prefill-step-target");
    refused([](ServeOptions& o) { o.prefill_solo_tokens = -1; }, "--prefill-solo-tokens");
    refused([](ServeOptions& o) { o.chat_template = "jinja"; }, "jinja");
    refused([](ServeOptions& o) { o.tls_cert = "server.crt"; }, "--tls-key");
    refused([](ServeOptions& o) { o.tls_client_ca = "ca.pem"; }, "--tls-client-ca");
}

TEST_F(ServeOptionsTest, TlsFlagsReachTheListener) {
    ServeOptions o = options_;
    o.tls_cert = "/etc/glm/server.crt";
    o.tls_key = "/etc/glm/server.key";
    o.tls_client_ca = "/etc/glm/clients.pem";
    auto c = validate(o, *model_);
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    EXPECT_EQ(c->http.tls.cert_file, "/etc/glm/server.crt");
    EXPECT_EQ(c->http.tls.key_file, "/etc/glm/server.key");
    EXPECT_EQ(c->http.tls.client_ca_file, "/etc/glm/clients.pem");

    auto plain = validate(options_, *model_);
    ASSERT_TRUE(plain.ok());
    EXPECT_FALSE(plain->http.tls.enabled());
}

}  // namespace
}  // namespace glmserve::server
