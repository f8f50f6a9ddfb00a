# Included by tests/sdk/CMakeLists.txt: the install + consume test of the SDK.
# torture_examples.c starts a sathd with an account, and a sath-orchestrator (process
# backend) running sath-bot for bot_logs (botenv and agentenv from tests/bots and
# tests/botagent, added before this folder), and runs consumer/run.sh, which
# installs the SDK component from this build (so it runs after everything is built),
# builds consumer.c and every example with pkg-config and with CMake and runs them
# against that sathd; in the plain build also under valgrind with the shipped
# suppressions (valgrind and ASan do not mix).
if(NOT TARGET sdk_fixture OR NOT TARGET agentenv)
  return()
endif()
if(SATH_SANITIZE)
  set(_consumer_cflags "-fsanitize=address,undefined")
  set(_consumer_valgrind 0)
else()
  set(_consumer_cflags "")
  set(_consumer_valgrind 1)
endif()
sath_add_test(sdk_torture_examples SOURCES torture_examples.c LIBS sdk_fixture agentenv
  LABELS sdk integration)
add_dependencies(sdk_torture_examples sath-orchestrator sath-bot-supervisor sath-bot-standin sath-bot)
target_compile_definitions(sdk_torture_examples PRIVATE
  SATH_CONSUMER_RUN="${CMAKE_CURRENT_SOURCE_DIR}/consumer/run.sh"
  SATH_CONSUMER_SRC="${CMAKE_CURRENT_SOURCE_DIR}/consumer"
  SATH_CONSUMER_BUILD="${PROJECT_BINARY_DIR}"
  SATH_CONSUMER_CC="${CMAKE_C_COMPILER}"
  SATH_CONSUMER_CFLAGS="${_consumer_cflags}"
  SATH_CONSUMER_VALGRIND="${_consumer_valgrind}")
set_tests_properties(sdk_torture_examples PROPERTIES TIMEOUT 600 ENVIRONMENT
  "SATHD_BIN=$<TARGET_FILE:sathd>;SATH_ORCH_BIN=$<TARGET_FILE:sath-orchestrator>;SATH_BOT_STANDIN=$<TARGET_FILE:sath-bot-standin>;SATH_BOT_BIN=$<TARGET_FILE:sath-bot>")
