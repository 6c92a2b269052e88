# cmake -DMODE=subdir|install -DPWS_SOURCE_DIR=... -DWORK_DIR=... -P run.cmake
# Configures, builds and runs the consumer; for MODE=install it first installs the library
# from a fresh configure of the source tree into WORK_DIR/prefix.
function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGV}")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(src ${CMAKE_CURRENT_LIST_DIR}/${MODE})
if(MODE STREQUAL "install")
  run(${CMAKE_COMMAND} -S ${PWS_SOURCE_DIR} -B ${WORK_DIR}/lib -DPWS_INSTALL=ON -DPWS_BUILD_TESTS=OFF
      -DPWS_BUILD_EXAMPLES=OFF -DPWS_BUILD_BENCHMARKS=OFF)
  run(${CMAKE_COMMAND} --install ${WORK_DIR}/lib --prefix ${WORK_DIR}/prefix)
  run(${CMAKE_COMMAND} -S ${src} -B ${WORK_DIR}/build -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
else()
  run(${CMAKE_COMMAND} -S ${src} -B ${WORK_DIR}/build -DPWS_SOURCE_DIR=${PWS_SOURCE_DIR})
endif()
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
