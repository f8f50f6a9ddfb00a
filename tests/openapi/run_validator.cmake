# run_validator.cmake - ctest driver of openapi_validate: installs the pinned
# validator from the npm registry into the build tree once (a stamp keeps later runs
# offline), then runs validate.js on the generated openapi.json.
#
# -DNPM= -DNODE= -DDIR=<install prefix> -DPACKAGES=<pinned specs> -DSCRIPT=validate.js -DSPECS=<openapi.json files>
# A missing npm/node is a FAILURE with instructions, never a skip.

if(NOT NPM OR NOT NODE)
  message(FATAL_ERROR "openapi_validate needs npm and node to install and run the OpenAPI "
                      "validator (${PACKAGES}). Install them (Debian: apt-get install -y npm) "
                      "and re-run cmake.")
endif()
string(REPLACE ";" " " specs "${PACKAGES}")
set(stamp ${DIR}/installed.stamp)
set(have "")
if(EXISTS ${stamp})
  file(READ ${stamp} have)
endif()
if(NOT have STREQUAL "${specs}")
  file(MAKE_DIRECTORY ${DIR})
  execute_process(
    COMMAND ${NPM} install --prefix ${DIR} --no-audit --no-fund --loglevel=error ${PACKAGES}
    RESULT_VARIABLE rc ERROR_VARIABLE err TIMEOUT 600)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "npm install ${specs} failed (${rc}); the registry must be reachable "
                        "once to install the validator:\n${err}")
  endif()
  file(WRITE ${stamp} "${specs}")
endif()
foreach(spec ${SPECS})
  execute_process(COMMAND ${NODE} ${SCRIPT} ${DIR}/node_modules ${spec} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${spec} did not validate (see above)")
  endif()
endforeach()
