# Sourced by the scripts that measure glmserve against llama.cpp. Sets llama_cpp_dir and builds
# the llama.cpp that the node-llama-cpp npm package carries (a git bundle of a tagged release;
# npm is the only registry here that has it), once, under $LLAMA_CPP_DIR (default
# ~/.cache/glmserve/llama.cpp-$NODE_LLAMA_CPP_VERSION), with llama.cpp's default CPU build: its
# native-ISA flags and its own matmul kernels. Needs npm, git, cmake and ninja
# (scripts/install-deps has them).
#   ensure_llama_cpp TARGET...   builds these ninja targets (llama-bench, llama) if missing

llama_cpp_version=${NODE_LLAMA_CPP_VERSION:-3.22.1}
llama_cpp_dir=${LLAMA_CPP_DIR:-$HOME/.cache/glmserve/llama.cpp-$llama_cpp_version}

ensure_llama_cpp() {
  local dir=$llama_cpp_dir
  if [ ! -f "$dir/src/include/llama.h" ]; then
    echo "fetching llama.cpp from node-llama-cpp@$llama_cpp_version into $dir" >&2
    mkdir -p "$dir"
    if [ ! -f "$dir/package/llama/gitRelease.bundle" ]; then
      (cd "$dir" && npm pack --silent "node-llama-cpp@$llama_cpp_version" >/dev/null)
      tar -xzf "$dir/node-llama-cpp-$llama_cpp_version.tgz" -C "$dir" package/llama/gitRelease.bundle
    fi
    rm -rf "$dir/src"
    git clone -q "$dir/package/llama/gitRelease.bundle" "$dir/src" 2>/dev/null
  fi
  if [ ! -f "$dir/build/build.ninja" ]; then
    cmake -S "$dir/src" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF \
      -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF >"$dir/cmake.log" 2>&1
  fi
  echo "building llama.cpp's $* (a few minutes the first time)" >&2
  ninja -C "$dir/build" "$@" >"$dir/build.log"
}
