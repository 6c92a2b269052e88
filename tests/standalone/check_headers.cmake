# cmake -DCXX=... -DINCLUDE_DIR=... -DFLAGS="..." -P check_headers.cmake
# Compiles every public header alone (syntax only), header-only and in separate-compilation
# mode, so that each one includes what it uses.
file(GLOB_RECURSE headers RELATIVE ${INCLUDE_DIR} ${INCLUDE_DIR}/pws/*.hpp)
list(FILTER headers EXCLUDE REGEX "/(detail|impl)/|src\\.hpp$")
separate_arguments(flags UNIX_COMMAND "${FLAGS}")
set(failed 0)
list(LENGTH headers count)
foreach(h IN LISTS headers)
  foreach(mode "" "-DPWS_SEPARATE_COMPILATION")
    file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/standalone.cpp "#include <${h}>\n#include <${h}>\n")
    execute_process(COMMAND ${CXX} -std=c++20 -fsyntax-only -Wall -Wextra -Werror ${mode} ${flags}
                            -I${INCLUDE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/standalone.cpp
                    RESULT_VARIABLE rc ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message("FAIL ${h} ${mode}\n${err}")
      math(EXPR failed "${failed} + 1")
    endif()
  endforeach()
endforeach()
if(failed GREATER 0)
  message(FATAL_ERROR "${failed} of ${count} headers (x2 modes) do not compile alone")
endif()
message("${count} public headers compile alone in both modes")
