// Renders the HTML report in headless Chromium (Debian's `chromium`) and checks that the
// screenshot is non-empty and that the charts are what fills it: the full report's PNG must be
// much larger than the same page with its <svg> elements removed (a blank or chart-less page
// compresses to a few kilobytes). Skips with a message when no chromium is installed;
// GLMSERVE_CHROMIUM names another binary; GLMSERVE_RENDER_DIR keeps the files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "bench/html_report.h"

namespace glmserve::bench {
namespace {

namespace fs = std::filesystem;

std::string find_chromium() {
    if (const char* env = std::getenv("GLMSERVE_CHROMIUM"); env && *env) return env;
    for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
        if (fs::exists(p)) return p;
    }
    return "";
}

std::vector<RequestRecord> sample_records() {
    std::vector<RequestRecord> out;
    for (int i = 0; i < 400; ++i) {
        RequestRecord r;
        r.index = static_cast<uint64_t>(i);
        r.start_s = 0.01 * i;
        r.ttft_s = 0.05 + 0.0002 * (i % 50);
        for (int k = 0; k < 15; ++k) r.add_gap(0.01 + 0.0005 * ((i + k) % 9));
        r.e2e_s = *r.ttft_s + 0.2;
        r.n_tokens_generated = 16;
        r.http_status = i % 20 == 0 ? 503 : 200;
        if (r.http_status != 200) r.outcome = Outcome::HttpError;
        out.push_back(r);
    }
    return out;
}

std::string without_svg(std::string html) {
    for (size_t start; (start = html.find("<svg")) != std::string::npos;) {
        const size_t end = html.find("</svg>", start);
        html.erase(start, end + 6 - start);
    }
    return html;
}

// Screenshots `html` and returns the PNG's size in bytes (0 when chromium failed).
uintmax_t screenshot_bytes(const std::string& chromium, const fs::path& dir,
                           const std::string& name, const std::string& html) {
    const fs::path page = dir / (name + ".html");
    const fs::path png = dir / (name + ".png");
    std::ofstream(page) << html;
    const std::string cmd = "'" + chromium +
                            "' --headless --no-sandbox --disable-gpu --hide-scrollbars "
                            // No network: this machine's is closed, and a report needs none.
                            "--no-first-run --disable-background-networking --disable-sync "
                            "--disable-component-update --disable-quic --user-data-dir='" +
                            (dir / (name + "-profile")).string() +
                            "' --window-size=1200,2600 --screenshot='" + png.string() +
                            "' 'file://" + page.string() + "' >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0 || !fs::exists(png)) return 0;
    return fs::file_size(png);
}

TEST(HtmlRender, ChromiumShowsTheCharts) {
    const std::string chromium = find_chromium();
    if (chromium.empty()) GTEST_SKIP() << "no chromium installed (apt-get install chromium)";
    // GLMSERVE_RENDER_DIR keeps the pages and screenshots there for a look.
    const char* keep = std::getenv("GLMSERVE_RENDER_DIR");
    const fs::path dir = keep && *keep ? fs::path(keep)
                                       : fs::temp_directory_path() /
                                             ("glmserve_html_render_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const auto records = sample_records();
    const std::string html = render_html_report(summarize(records, {}, 4.0), records, "render");
    const uintmax_t full = screenshot_bytes(chromium, dir, "full", html);
    const uintmax_t bare = screenshot_bytes(chromium, dir, "bare", without_svg(html));
    if (!(keep && *keep)) fs::remove_all(dir);
    ASSERT_GT(full, 0u) << "chromium produced no screenshot";
    ASSERT_GT(bare, 0u);
    EXPECT_GT(full, bare * 3 / 2) << "full " << full << " bytes, without charts " << bare;
}

}  // namespace
}  // namespace glmserve::bench
