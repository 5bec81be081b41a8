// Url: the parsed base address of an OpenAI-compatible server ("http://host:port/prefix").
//
// parse_url accepts only what the HTTP client can dial: scheme http or https, a host name, IPv4
// address or bracketed IPv6 address, an optional port (default 80, https 443) and an optional
// path prefix without query or fragment. A trailing
// '/' is stripped, so "http://h:8080/" and "http://h:8080" are the same endpoint and a request
// target "/v1/completions" is appended to path_prefix as is.
// Thread: values, no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace glmserve::http {

struct Url {
    std::string scheme;  // "http" or "https"
    std::string host;    // "127.0.0.1", "localhost", "::1" (IPv6 without brackets)
    uint16_t port = 80;
    std::string path_prefix;  // "" or "/api" (never ends with '/')

    // "host:port" for the Host header and messages ("[::1]:8080" for IPv6).
    std::string authority() const;
    // "http://host:port/prefix".
    std::string to_string() const;
    bool is_https() const { return scheme == "https"; }
};

Result<Url> parse_url(std::string_view text);

}  // namespace glmserve::http
