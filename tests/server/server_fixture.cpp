#include "server/server_fixture.h"

#include <fmt/format.h>

#include <charconv>
#include <thread>

#include "gguf/writer.h"
#include "kernels/kernel_table.h"
#include "model/random_model.h"
#include "obs/logging.h"
#include "support/tiny_model.h"
#include "tokenizer/builtin_vocab.h"

namespace glmserve::testing {

using nlohmann::json;

std::shared_ptr<const model::Model> tiny_chat_model() {
    static const std::shared_ptr<const model::Model> model = [] {
        const tokenizer::VocabSpec vocab = tokenizer::make_builtin_vocab();
        model::RandomModelSpec spec = tiny_spec();
        spec.n_vocab = static_cast<int64_t>(vocab.tokens.size());
        gguf::GgufWriter writer;
        GS_CHECK(model::add_random_model(spec, kernels::ref_kernels(), writer).ok());
        tokenizer::write_vocab_metadata(vocab, writer);
        auto file = gguf::GgufFile::from_bytes(writer.to_bytes());
        GS_CHECK(file.ok());
        auto m = model::Model::from_file(std::move(file).value(), kernels::active_kernels());
        GS_CHECK(m.ok());
        return std::move(m).value();
    }();
    return model;
}

server::ServeConfig test_serve_config() {
    server::ServeConfig c;
    c.model_name = "tiny";
    c.threads = 2;
    c.engine.n_ctx = 256;
    c.engine.max_batch_tokens = 64;
    c.engine.max_running = 16;
    c.engine.max_waiting = 32;
    c.engine.max_queued_tokens = 4096;
    c.engine.kv_bytes = 16 * 256 * model::kv_bytes_per_token(tiny_chat_model()->hparams());
    c.http.host = "127.0.0.1";
    c.http.port = 0;
    c.http.io_threads = 2;
    c.http.limits.max_header_bytes = 8 * 1024;
    c.http.limits.max_body_bytes = 256 * 1024;
    c.http.limits.header_timeout = std::chrono::milliseconds(2000);
    c.http.limits.body_timeout = std::chrono::milliseconds(2000);
    c.slow_threshold = std::chrono::milliseconds(60'000);
    return c;
}

std::unique_ptr<server::OpenAiServer> start_test_server(server::ServeConfig config) {
    // One line per request would bury the test output; warnings and errors still show.
    obs::setup_logging({.level = spdlog::level::warn});
    auto model = tiny_chat_model();
    auto tok = tokenizer::Tokenizer::from_metadata(model->file().metadata());
    GS_CHECK(tok.ok());
    auto server = server::OpenAiServer::start(std::move(config), model, std::move(tok).value());
    if (!server.ok()) fmt::print(stderr, "{}\n", server.status().to_string());
    GS_CHECK(server.ok());
    return std::move(server).value();
}

std::optional<Reply> call(uint16_t port, std::string_view method, std::string_view target,
                          std::string_view body,
                          const std::vector<std::pair<std::string, std::string>>& headers) {
    RawClient client(port);
    if (!client.connected()) return std::nullopt;
    std::string request = fmt::format("{} {} HTTP/1.1\r\nHost: test\r\n", method, target);
    for (const auto& [k, v] : headers) request += fmt::format("{}: {}\r\n", k, v);
    if (method == "POST") {
        request +=
            fmt::format("Content-Type: application/json\r\nContent-Length: {}\r\n", body.size());
    }
    request += "\r\n";
    request += body;
    if (client.send(request)) return std::nullopt;
    return client.read_reply(false, std::chrono::seconds(60));  // generations may be long
}

json body_json(const Reply& reply) {
    return json::parse(reply.body, nullptr, false);
}

std::vector<std::string> sse_data(std::string_view body) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < body.size()) {
        size_t end = body.find('\n', pos);
        if (end == std::string_view::npos) end = body.size();
        const std::string_view line = body.substr(pos, end - pos);
        if (line.starts_with("data: ")) out.emplace_back(line.substr(6));
        pos = end + 1;
    }
    return out;
}

std::string streamed_text(std::string_view body) {
    std::string text;
    for (const std::string& data : sse_data(body)) {
        const json chunk = json::parse(data, nullptr, false);
        if (!chunk.is_object() || !chunk.contains("choices")) continue;
        for (const json& choice : chunk["choices"]) {
            if (choice.contains("text")) text += choice["text"].get<std::string>();
            if (choice.contains("delta") && choice["delta"].contains("content")) {
                text += choice["delta"]["content"].get<std::string>();
            }
        }
    }
    return text;
}

bool eventually(const std::function<bool()>& condition, double seconds) {
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                           std::chrono::duration<double>(seconds));
    while (std::chrono::steady_clock::now() < until) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling an outside view
    }
    return condition();
}

std::optional<double> metric_value(std::string_view text, std::string_view series) {
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view line = text.substr(pos, end - pos);
        if (line.starts_with(series) && line.size() > series.size() && line[series.size()] == ' ') {
            double v = 0;
            const std::string_view num = line.substr(series.size() + 1);
            if (std::from_chars(num.data(), num.data() + num.size(), v).ec == std::errc()) return v;
        }
        pos = end + 1;
    }
    return std::nullopt;
}

}  // namespace glmserve::testing
