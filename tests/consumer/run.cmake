# cmake -DMODE=subdir|install -DPWS_SOURCE_DIR=... -DPWS_BUILD_DIR=... -DWORK_DIR=... -P run.cmake
# Configures, builds and runs the consumer project of MODE, which builds main.cpp twice: against
# pws::app_manager (header-only) and against pws::app_manager_compiled.
#   subdir   the source tree added with add_subdirectory(), as a git submodule would be
#   install  `cmake --install` of the suite's own build tree into WORK_DIR/prefix, then
#            find_package() from that prefix alone: its CMake files must not name the source or
#            build tree, and the installed pws-apps must run
function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGV}")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(src ${CMAKE_CURRENT_LIST_DIR}/${MODE})
if(MODE STREQUAL "install")
  set(prefix ${WORK_DIR}/prefix)
  run(${CMAKE_COMMAND} --install ${PWS_BUILD_DIR} --prefix ${prefix})
  foreach(f IN ITEMS include/pws/app_manager.hpp include/pws/src.hpp lib/libpws_app_manager.a bin/pws-apps
                     lib/cmake/pws_app_manager/pws_app_managerConfig.cmake
                     lib/cmake/pws_app_manager/pws_app_managerConfigVersion.cmake
                     lib/cmake/pws_app_manager/pws_app_managerTargets.cmake)
    if(NOT EXISTS ${prefix}/${f})
      message(FATAL_ERROR "the install tree has no ${f}")
    endif()
  endforeach()
  file(GLOB_RECURSE cmake_files ${prefix}/lib/cmake/*.cmake)
  foreach(f IN LISTS cmake_files)
    file(READ ${f} text)
    foreach(tree IN ITEMS ${PWS_SOURCE_DIR} ${PWS_BUILD_DIR})
      string(FIND "${text}" "${tree}" at)
      if(NOT at EQUAL -1)
        message(FATAL_ERROR "${f} names ${tree}: the install tree does not stand alone")
      endif()
    endforeach()
  endforeach()
  # pws-apps with no command prints its usage and exits 2.
  execute_process(COMMAND ${prefix}/bin/pws-apps RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE out)
  if(NOT rc EQUAL 2 OR NOT "${err}${out}" MATCHES "usage")
    message(FATAL_ERROR "installed pws-apps: exit ${rc}, output: ${out}${err}")
  endif()
  run(${CMAKE_COMMAND} -S ${src} -B ${WORK_DIR}/build -DCMAKE_PREFIX_PATH=${prefix})
else()
  run(${CMAKE_COMMAND} -S ${src} -B ${WORK_DIR}/build -DPWS_SOURCE_DIR=${PWS_SOURCE_DIR})
endif()
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
run(${WORK_DIR}/build/consumer_compiled)
message("consumer ${MODE}: both programs built and ran")
