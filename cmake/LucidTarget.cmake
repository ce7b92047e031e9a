# Project code is built with warnings as errors; third-party targets (blake3) are not.
function(lucid_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wimplicit-fallthrough -Werror)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # What each mutex guards (base/thread_annotations.h) is checked where clang builds (scripts/fuzz).
    target_compile_options(${target} PRIVATE -Wthread-safety -Werror=thread-safety)
  endif()
  if(LUCID_SANITIZE)
    # GCC 12's flow-based warnings give false positives inside libstdc++ (std::regex,
    # std::function, vector growth) when sanitizers instrument the code; the release build keeps them.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized -Wno-stringop-overflow -Wno-array-bounds
                                             -Wno-restrict)
  endif()
endfunction()

# lucid_library(NAME SOURCES... DEPS ...): a module library `lucid_<NAME>`, alias lucid::<NAME>.
function(lucid_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(lucid_${name} STATIC ${ARG_SOURCES})
  add_library(lucid::${name} ALIAS lucid_${name})
  target_include_directories(lucid_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src ${CMAKE_BINARY_DIR}/generated)
  target_link_libraries(lucid_${name} PUBLIC ${ARG_DEPS})
  lucid_warnings(lucid_${name})
endfunction()
