# CheckServerLayout.cmake - ctest `server_layout` (cmake -DSERVER_DIR=... -P this file).
#
# The build already refuses a server library that includes another's private header:
# every library's sources and private headers are PRIVATE include directories.  This
# closes the two ways around that: an include by relative path ("../keys/util.h",
# "keys/util.h"), and a public header outside a library's include/sathd/ folder.
file(GLOB_RECURSE _files RELATIVE ${SERVER_DIR} ${SERVER_DIR}/*.c ${SERVER_DIR}/*.h)
set(_bad "")
foreach(f ${_files})
  file(STRINGS ${SERVER_DIR}/${f} _incs REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
  foreach(line ${_incs})
    string(REGEX REPLACE "^[^\"]*\"([^\"]*)\".*$" "\\1" inc "${line}")
    # Allowed with a folder: our public headers and generated/protobuf headers.
    if(inc MATCHES "/" AND NOT inc MATCHES "^(sathd|sath|google|grpc)/[A-Za-z0-9_./-]+$")
      list(APPEND _bad "${f}: #include \"${inc}\" (reach other folders through their public sathd/ headers)")
    elseif(inc MATCHES "\\.\\.")
      list(APPEND _bad "${f}: #include \"${inc}\"")
    endif()
  endforeach()
  if(f MATCHES "^[^/]+/include/" AND NOT f MATCHES "^[^/]+/include/sathd/[^/]+\\.h$")
    list(APPEND _bad "${f}: public headers live in LIB/include/sathd/")
  endif()
endforeach()
if(_bad)
  list(JOIN _bad "\n  " _msg)
  message(FATAL_ERROR "server layout:\n  ${_msg}")
endif()
list(LENGTH _files _n)
message(STATUS "server layout: ${_n} files checked")
