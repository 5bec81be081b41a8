// parse_url: see url.h. Every error names the URL and what is wrong with it.
// Thread: pure functions.
#include "http/url.h"

#include <fmt/format.h>

#include <charconv>

namespace glmserve::http {
namespace {

Status bad_url(std::string_view text, std::string_view why) {
    return invalid_argument(fmt::format("URL '{}': {}", text, why));
}

bool is_host_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
}

Result<uint16_t> parse_port(std::string_view text, std::string_view port) {
    if (port.empty()) return bad_url(text, "empty port after ':'");
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
        return bad_url(text, fmt::format("port '{}' is not a number in 1..65535", port));
    }
    return static_cast<uint16_t>(value);
}

// Splits "host[:port]" or "[v6]:port" into url.host and url.port.
Status parse_authority(std::string_view text, std::string_view authority, Url& url) {
    if (authority.empty()) return bad_url(text, "no host");
    if (authority.find('@') != std::string_view::npos) {
        return bad_url(text, "user info ('user@host') is not supported");
    }
    std::string_view host = authority;
    std::string_view port;
    bool has_port = false;
    if (authority.front() == '[') {
        size_t close = authority.find(']');
        if (close == std::string_view::npos) return bad_url(text, "unclosed '[' in IPv6 host");
        host = authority.substr(1, close - 1);
        std::string_view rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return bad_url(text, "unexpected text after ']'");
            port = rest.substr(1);
            has_port = true;
        }
        if (host.empty()) return bad_url(text, "empty IPv6 host");
    } else {
        size_t colon = authority.rfind(':');
        if (colon != std::string_view::npos) {
            host = authority.substr(0, colon);
            port = authority.substr(colon + 1);
            has_port = true;
        }
        if (host.empty()) return bad_url(text, "no host");
        for (char c : host) {
            if (!is_host_char(c)) {
                return bad_url(text, fmt::format("invalid character '{}' in host", c));
            }
        }
    }
    url.host = std::string(host);
    url.port = url.scheme == "https" ? 443 : 80;
    if (has_port) {
        GS_ASSIGN_OR_RETURN(url.port, parse_port(text, port));
    }
    return ok_status();
}

}  // namespace

std::string Url::authority() const {
    if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
    return fmt::format("{}:{}", host, port);
}

std::string Url::to_string() const {
    return fmt::format("{}://{}{}", scheme, authority(), path_prefix);
}

Result<Url> parse_url(std::string_view text) {
    if (text.empty()) return bad_url(text, "empty");
    size_t sep = text.find("://");
    if (sep == std::string_view::npos) {
        return bad_url(text, "no scheme (expected 'http://host[:port][/prefix]')");
    }
    std::string_view scheme = text.substr(0, sep);
    if (scheme != "http" && scheme != "https") {
        return bad_url(text, fmt::format("unsupported scheme '{}' (http or https)", scheme));
    }
    std::string_view rest = text.substr(sep + 3);
    if (rest.find_first_of("?#") != std::string_view::npos) {
        return bad_url(text, "query strings and fragments are not allowed in a base URL");
    }
    for (char c : rest) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
            return bad_url(text, "contains whitespace or control characters");
        }
    }
    size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
    Url url;
    url.scheme = std::string(scheme);
    GS_RETURN_IF_ERROR(parse_authority(text, authority, url));
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    url.path_prefix = std::string(path);
    return url;
}

}  // namespace glmserve::http
