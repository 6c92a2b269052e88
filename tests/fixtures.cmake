# CTest fixtures that run a real, local DynamoDB (dynalite, in memory) for the integration tests.
#
#   include(fixtures.cmake)
#   pws_add_dynalite_fixture(NAME [ITEMS file] [TABLE name] [WRONG_SCHEMA])
#
# registers two tests:
#   NAME.start  FIXTURES_SETUP NAME: starts dynalite on 127.0.0.1 on a free port with its state in
#               ${CMAKE_BINARY_DIR}/fixtures/NAME, then creates TABLE (default `apps`: hash key
#               AppId, GSI AppKeyIndex on AppKey), puts soketi's example app (AppId `app-id`,
#               AppKey `app-key`) and the items of ITEMS (DynamoDB wire JSON, see tools/node/README.md).
#               WRONG_SCHEMA creates instead a table keyed on `Id` with no index, and no seed item.
#   NAME.stop   FIXTURES_CLEANUP NAME: stops it. CTest runs it even when tests fail.
# and sets PWS_DYNALITE_<NAME>_STATE_DIR (alias PWS_FIXTURE_STATE_<NAME>) in the caller's scope.
# A test finds the endpoint at run time in the file <state dir>/endpoint (`http://127.0.0.1:PORT`,
# no trailing newline).
#
# Example:
#   pws_add_dynalite_fixture(dynalite_apps ITEMS data/apps.json)
#   add_test(NAME integration.lookup COMMAND pws_integration_tests)
#   pws_require_dynalite_fixture(dynalite_apps integration.lookup)
#   # ...which is the same as:
#   # set_tests_properties(integration.lookup PROPERTIES FIXTURES_REQUIRED dynalite_apps
#   #   ENVIRONMENT "PWS_DYNALITE_STATE=${PWS_DYNALITE_dynalite_apps_STATE_DIR};PWS_DYNALITE_TABLE=apps")
#   # and in the test: read "$PWS_DYNALITE_STATE/endpoint".
#
# The node packages live in tools/node/node_modules, installed by scripts/install-deps.sh, not at
# configure time (configuring must not need the network); NAME.start fails saying so when missing.

include_guard(GLOBAL)

find_program(NODE node REQUIRED)
get_filename_component(_PWS_FIXTURE_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/fixture.sh" ABSOLUTE)

# Registers NAME.start / NAME.stop; see the top of this file.
function(pws_add_dynalite_fixture NAME)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "WRONG_SCHEMA" "ITEMS;TABLE" "")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "pws_add_dynalite_fixture(${NAME}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_TABLE)
    set(ARG_TABLE apps)
  endif()
  set(state_dir "${CMAKE_BINARY_DIR}/fixtures/${NAME}")
  set(seed_args --table "${ARG_TABLE}")
  if(ARG_ITEMS)
    get_filename_component(items "${ARG_ITEMS}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND seed_args --items "${items}")
  endif()
  if(ARG_WRONG_SCHEMA)
    list(APPEND seed_args --wrong-schema)
  endif()

  add_test(NAME ${NAME}.start
           COMMAND bash "${_PWS_FIXTURE_SCRIPT}" start "${state_dir}" ${seed_args})
  add_test(NAME ${NAME}.stop
           COMMAND bash "${_PWS_FIXTURE_SCRIPT}" stop "${state_dir}")
  set_tests_properties(${NAME}.start PROPERTIES
    FIXTURES_SETUP ${NAME} TIMEOUT 60 LABELS fixture ENVIRONMENT "PWS_NODE=${NODE}")
  set_tests_properties(${NAME}.stop PROPERTIES
    FIXTURES_CLEANUP ${NAME} TIMEOUT 30 LABELS fixture ENVIRONMENT "PWS_NODE=${NODE}")

  set(PWS_DYNALITE_${NAME}_STATE_DIR "${state_dir}" PARENT_SCOPE)
  set(PWS_FIXTURE_STATE_${NAME} "${state_dir}" PARENT_SCOPE)
  # Global too, so pws_require_dynalite_fixture works from any directory.
  set_property(GLOBAL PROPERTY PWS_DYNALITE_${NAME}_STATE_DIR "${state_dir}")
  set_property(GLOBAL PROPERTY PWS_DYNALITE_${NAME}_TABLE "${ARG_TABLE}")
endfunction()

# Makes TESTS... require fixture NAME and see PWS_DYNALITE_STATE (its state dir) and
# PWS_DYNALITE_TABLE in their environment; appends, so other properties set on them stay.
function(pws_require_dynalite_fixture NAME)
  get_property(state_dir GLOBAL PROPERTY PWS_DYNALITE_${NAME}_STATE_DIR)
  get_property(table GLOBAL PROPERTY PWS_DYNALITE_${NAME}_TABLE)
  if(NOT state_dir)
    message(FATAL_ERROR "pws_require_dynalite_fixture: no fixture ${NAME}; call pws_add_dynalite_fixture first")
  endif()
  foreach(test IN LISTS ARGN)
    set_property(TEST ${test} APPEND PROPERTY FIXTURES_REQUIRED ${NAME})
    set_property(TEST ${test} APPEND PROPERTY ENVIRONMENT
      "PWS_DYNALITE_STATE=${state_dir}" "PWS_DYNALITE_TABLE=${table}")
  endforeach()
endfunction()
