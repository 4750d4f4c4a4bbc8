# SPDX-License-Identifier: AGPL-3.0-or-later
# Helpers shared by every directory.

# intelflow_unit_tests(NAME <target> DIR <dir> LIBS <libs...>)
# Builds every *_test.cpp below DIR into one Catch2 binary and registers each
# TEST_CASE with CTest under the label `unit`.
function(intelflow_unit_tests)
  cmake_parse_arguments(U "" "NAME;DIR" "LIBS;LABELS" ${ARGN})
  if(NOT INTELFLOW_BUILD_TESTS)
    return()
  endif()
  file(GLOB_RECURSE _tests CONFIGURE_DEPENDS ${U_DIR}/*_test.cpp)
  if(NOT _tests)
    return()
  endif()
  if(NOT U_LABELS)
    set(U_LABELS unit)
  endif()
  add_executable(${U_NAME} ${PROJECT_SOURCE_DIR}/tests/catch_main.cpp ${_tests})
  target_link_libraries(${U_NAME} PRIVATE ${U_LIBS} Catch2::Catch2)
  target_compile_definitions(${U_NAME} PRIVATE
    INTELFLOW_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  # Tags choose the CTest label: [engine] -> engine, [redis] (a real server) ->
  # integration, everything else -> unit (or LABELS if given). [geolite2] needs
  # fetched data and is registered by its own wrapper (bots/CMakeLists.txt).
  set(_env "INTELFLOW_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  catch_discover_tests(${U_NAME} TEST_SPEC "~[engine]~[redis]~[geolite2]" TEST_LIST ${U_NAME}_unit
    PROPERTIES LABELS "${U_LABELS}" ENVIRONMENT "${_env}")
  catch_discover_tests(${U_NAME} TEST_SPEC "[engine]" TEST_LIST ${U_NAME}_engine
    PROPERTIES LABELS engine ENVIRONMENT "${_env}")
  catch_discover_tests(${U_NAME} TEST_SPEC "[redis]~[engine]" TEST_LIST ${U_NAME}_redis
    PROPERTIES LABELS integration ENVIRONMENT "${_env}")
endfunction()

# Sources of a directory: every .cpp below it except tests and benchmarks.
function(intelflow_sources out dir)
  file(GLOB_RECURSE _src CONFIGURE_DEPENDS ${dir}/*.cpp)
  list(FILTER _src EXCLUDE REGEX "_test\\.cpp$")
  list(FILTER _src EXCLUDE REGEX "_bench\\.cpp$")
  set(${out} ${_src} PARENT_SCOPE)
endfunction()
