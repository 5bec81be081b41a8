# Warnings and sanitizers as one interface target every glmserve target links (STYLE.md §11:
# no edits of CMAKE_CXX_FLAGS, no global include_directories).
add_library(glmserve_compile_options INTERFACE)
target_compile_options(glmserve_compile_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow
  # Designated initialisers that leave defaulted members out are the house style for params
  # structs (STYLE.md §1); g++ 12 warns about every omitted member.
  -Wno-missing-field-initializers
  $<$<BOOL:${GLMSERVE_WERROR}>:-Werror>)
target_include_directories(glmserve_compile_options INTERFACE ${PROJECT_SOURCE_DIR}/src)

if(GLMSERVE_SANITIZE)
  target_compile_options(glmserve_compile_options INTERFACE
    -fsanitize=${GLMSERVE_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(glmserve_compile_options INTERFACE -fsanitize=${GLMSERVE_SANITIZE})
  # g++ warns that TSan does not model Asio's atomic_thread_fence; not our code, and -Werror
  # would stop the thread-sanitizer build on it.
  if(GLMSERVE_SANITIZE MATCHES "thread" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(glmserve_compile_options INTERFACE -Wno-tsan)
  endif()
endif()

# glmserve_add_library(NAME SOURCES... DEPS ...): one library per src/ folder.
function(glmserve_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_link_libraries(${name} PUBLIC glmserve_compile_options ${ARG_DEPS})
endfunction()
