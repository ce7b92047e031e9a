# LUCID_FUZZ=ON: libFuzzer builds (clang only). Every target is instrumented for coverage with
# AddressSanitizer and UBSan; tests/fuzz adds the fuzz_* executables. Run them with scripts/fuzz.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "LUCID_FUZZ needs clang: CC=clang CXX=clang++ cmake -DLUCID_FUZZ=ON … (or scripts/fuzz)")
endif()
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -g)
add_link_options(-fsanitize=address,undefined)
# libstdc++ 12's <expected> needs P0848 (conditionally trivial special members), which clang < 16
# lacks; cmake/fuzz-compat/expected stands in for it in fuzz builds only.
if(CMAKE_CXX_COMPILER_VERSION VERSION_LESS 16)
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-isystem${PROJECT_SOURCE_DIR}/cmake/fuzz-compat>)
endif()
add_subdirectory(tests/fuzz)
