# SPDX-License-Identifier: AGPL-3.0-or-later
# Runs intelflow-conformance on the hand-written fixtures and checks its exit
# status, its summary line, --filter and the JSON report.
# Usage: cmake -DRUNNER=<exe> -DFIXTURES=<dir> -DWORK=<scratch dir> -P check_fixtures.cmake

cmake_minimum_required(VERSION 3.25)

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

# run(<name> <expected exit> <expected summary line> args...)
function(run name want_rc want_summary)
  execute_process(COMMAND ${RUNNER} ${ARGN}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(STRIP "${out}" out)
  string(REGEX MATCHALL "[^\n]+" lines "${out}")
  list(GET lines -1 last)
  string(REGEX MATCHALL "conformance: [0-9]+ passed" summaries "${out}")
  list(LENGTH summaries n_summaries)
  if(NOT rc EQUAL want_rc OR NOT last STREQUAL want_summary OR NOT n_summaries EQUAL 1)
    message(FATAL_ERROR "${name}: expected exit ${want_rc} and last line '${want_summary}', "
      "got exit ${rc}, ${n_summaries} summary line(s), last line '${last}'\n"
      "stdout:\n${out}\nstderr:\n${err}")
  endif()
  set(run_out "${out}" PARENT_SCOPE)
endfunction()

# The fixtures' vector files have their own names (not the corpus's
# harmonization_vectors.json / message_vectors.json): the runner is told them.
set(PASS_VECTORS --harmonization-vectors ${FIXTURES}/pass/harmonization.fixture.json
  --message-vectors ${FIXTURES}/pass/messages.fixture.json)
set(FAIL_VECTORS --harmonization-vectors ${FIXTURES}/fail/harmonization.fixture.json
  --message-vectors ${FIXTURES}/fail/messages.fixture.json)

# A folder that passes: one scenario and one taxonomy bot case (two runs, run through the
# engine) pass; a bytes-input entry, a tagged scenario and a bot case of an unimplemented
# module are skipped.
run(pass 0 "conformance: 2 passed, 0 failed, 3 skipped of 5"
  --dir ${FIXTURES}/pass ${PASS_VECTORS} --json ${WORK}/pass.json)
file(READ ${WORK}/pass.json report)
string(JSON n_mods LENGTH "${report}" skipped_modules)
string(JSON mod GET "${report}" skipped_modules 0 module)
string(JSON mod_cases GET "${report}" skipped_modules 0 cases)
string(JSON total GET "${report}" counts total)
string(JSON n_results LENGTH "${report}" results)
if(NOT n_mods EQUAL 1 OR NOT mod STREQUAL "intelmq.bots.experts.dummy.expert"
   OR NOT mod_cases EQUAL 1 OR NOT total EQUAL 5 OR NOT n_results EQUAL 5)
  message(FATAL_ERROR "pass: unexpected JSON report:\n${report}")
endif()

# Without the vector options the fixture folder holds no vector file of the standard
# names: bot cases only.
run(pass_cases 0 "conformance: 1 passed, 0 failed, 1 skipped of 2" --dir ${FIXTURES}/pass)

# A named vector file that does not exist is a usage error (exit 2, no summary).
execute_process(COMMAND ${RUNNER} --dir ${FIXTURES}/pass --message-vectors ${WORK}/missing.json
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(FIND "${err}" "no such vector file" pos)
if(NOT rc EQUAL 2 OR pos EQUAL -1)
  message(FATAL_ERROR "missing vector file: expected exit 2 and a message, got ${rc}: ${err}")
endif()

# Only the cases/ part of a folder (no vector files): bot cases only.
file(COPY ${FIXTURES}/pass/cases DESTINATION ${WORK}/cases_only)
run(cases_only 0 "conformance: 1 passed, 0 failed, 1 skipped of 2" --dir ${WORK}/cases_only)

# A folder that fails: a wrong expectation in each vector file and in a taxonomy bot case,
# one bigint entry skipped.
run(fail 1 "conformance: 0 passed, 3 failed, 1 skipped of 4"
  --dir ${FIXTURES}/fail ${FAIL_VECTORS} --json ${WORK}/fail.json)
foreach(needle "FAIL Integer/900 (input \"12\"): valid: expected \"not a bool\""
               "sanitized: expected \"twelve\""
               "FAIL scenario/910 (fixture/contains_wrong): op#0 contains{key=\"comment\"}: expected true, got false"
               "FAIL experts/taxonomy/test_fixture__test_wrong_expectation (intelmq.bots.experts.taxonomy.expert): path _default msg#1 key \"classification.taxonomy\": expected \"intrusions\", got \"information-gathering\"")
  string(FIND "${run_out}" "${needle}" pos)
  if(pos EQUAL -1)
    message(FATAL_ERROR "fail: output lacks '${needle}':\n${run_out}")
  endif()
endforeach()
file(READ ${WORK}/fail.json report)
string(JSON status GET "${report}" results 0 status)
string(JSON n_failed GET "${report}" counts failed)
if(NOT status STREQUAL "failed" OR NOT n_failed EQUAL 3)
  message(FATAL_ERROR "fail: unexpected JSON report:\n${report}")
endif()

# --filter selects by id (several allowed); bot cases also by module.
run(filter 1 "conformance: 0 passed, 1 failed, 0 skipped of 1"
  --dir ${FIXTURES}/fail ${FAIL_VECTORS} --filter "scenario/9*")
run(filter_two 1 "conformance: 0 passed, 2 failed, 0 skipped of 2"
  --dir ${FIXTURES}/fail ${FAIL_VECTORS} --filter "scenario/910" --filter "Integer/900")
run(filter_module 0 "conformance: 1 passed, 0 failed, 1 skipped of 2"
  --dir ${FIXTURES}/pass ${PASS_VECTORS} --filter "intelmq.bots.experts.*")
run(filter_bot_case 1 "conformance: 0 passed, 1 failed, 0 skipped of 1"
  --dir ${FIXTURES}/fail ${FAIL_VECTORS} --filter "intelmq.bots.experts.taxonomy.expert")
