# Included by tests/sdk/CMakeLists.txt: the install + consume test of the SDK.
# It installs the whole build tree, so it runs after everything is built.
if(SATH_SANITIZE)
  set(_consumer_cflags "-fsanitize=address,undefined")
else()
  set(_consumer_cflags "")
endif()
add_test(NAME sdk_consumer
  COMMAND ${CMAKE_COMMAND} -E env "CFLAGS=${_consumer_cflags}"
          sh ${CMAKE_CURRENT_SOURCE_DIR}/consumer/run.sh ${PROJECT_BINARY_DIR}
             ${CMAKE_CURRENT_SOURCE_DIR}/consumer ${CMAKE_C_COMPILER})
set_tests_properties(sdk_consumer PROPERTIES LABELS sdk TIMEOUT 300)
