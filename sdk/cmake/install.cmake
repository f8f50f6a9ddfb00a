# install.cmake - how libsathclient is installed: libraries, headers, pkg-config file
# and CMake package (find_package(sathclient) -> sathclient::sathclient).
#
# Layout under the prefix:
#   lib/libsathclient.so.0.1.0, .so.0, .so, libsathclient.a
#   include/sath/{sath,version,error,client,export}.h
#   include/sath/v1/*.pb-c.h, *.sath-client.h        (generated, sath.v1)
#   include/sath/deps/google/{api,protobuf}/*.pb-c.h  (message headers the above include)
#   lib/pkgconfig/sathclient.pc, lib/cmake/sathclient/
#   share/sathclient/sathclient.supp                   (valgrind suppressions)
#   share/doc/sathclient/ABI.md, reference.html, examples/ (sources + CMakeLists.txt)
#
# Everything here is in install component "sdk", so
#   cmake --install BUILD --component sdk --prefix PREFIX
# installs the SDK alone from any build that built sathclient and sathclient_static
# (scripts/run's build/run does).
include(CMakePackageConfigHelpers)

set(SATH_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/sathclient)

set(SATH_SDK_DOC_DIR ${CMAKE_INSTALL_DATADIR}/doc/sathclient)
set(SATH_SDK_SUPP_DIR ${CMAKE_INSTALL_DATADIR}/sathclient)

install(TARGETS sathclient sathclient_static
  EXPORT sathclient-targets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT sdk
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT sdk
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT sdk)

install(FILES
    include/sath/export.h
    include/sath/error.h
    include/sath/global.h
    include/sath/client.h
    include/sath/async.h
    include/sath/enum.h
    ${SATH_SDK_BIN_INCLUDE}/sath/version.h
    ${SATH_SDK_BIN_INCLUDE}/sath/sath.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sath COMPONENT sdk)

# Generated message headers of sath.v1 and the imported protos they #include.
set(_sath_v1_headers "")
foreach(p ${SATH_V1_PROTOS})
  string(REGEX REPLACE "\\.proto$" ".pb-c.h" h "${p}")
  list(APPEND _sath_v1_headers ${SATH_GEN_DIR}/${h})
endforeach()
install(FILES ${_sath_v1_headers} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sath/v1 COMPONENT sdk)
foreach(dep google/api/annotations google/api/http google/api/httpbody google/protobuf/any
            google/protobuf/descriptor google/protobuf/timestamp google/protobuf/duration
            google/protobuf/wrappers)
  get_filename_component(_dir ${dep} DIRECTORY)
  install(FILES ${SATH_GEN_DIR}/${dep}.pb-c.h DESTINATION ${SATH_INSTALL_DEPS_INCLUDEDIR}/${_dir}
    COMPONENT sdk)
endforeach()

# Generated client stubs: every *.sath-client.h under the stub target's include dirs.
if(TARGET sath_gen_client)
  get_target_property(_stub_dirs sath_gen_client INTERFACE_INCLUDE_DIRECTORIES)
  foreach(d ${_stub_dirs})
    string(REGEX REPLACE "^\\$<BUILD_INTERFACE:(.*)>$" "\\1" d "${d}")
    if(d MATCHES "^\\$<")
      continue()
    endif()
    install(DIRECTORY ${d}/sath/v1/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sath/v1 COMPONENT sdk
      FILES_MATCHING PATTERN "*.sath-client.h")
  endforeach()
endif()

# pkg-config: prefix relative to lib/pkgconfig, so the tree can be installed anywhere
file(RELATIVE_PATH SATH_PC_RELPREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" SATH_PC_RELPREFIX "${SATH_PC_RELPREFIX}")
set(SATH_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
set(SATH_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
set(SATH_PC_SUPP "\${prefix}/${SATH_SDK_SUPP_DIR}/sathclient.supp")
set(SATH_PC_EXAMPLES "\${prefix}/${SATH_SDK_DOC_DIR}/examples")
# Static linking needs gRPC's own static dependencies, but `pkg-config --cflags` would
# also hand users the cflags of every Requires.private module, gRPC's -DNOMINMAX among
# them.  So gRPC, libsodium and jansson are listed as plain libraries instead.
string(JOIN " " SATH_PC_LIBS_PRIVATE ${SATHCLIENT_GRPC_STATIC_LDFLAGS}
       ${SATHCLIENT_SODIUM_STATIC_LDFLAGS} ${SATHCLIENT_JANSSON_STATIC_LDFLAGS})
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/sathclient.pc.in ${CMAKE_CURRENT_BINARY_DIR}/sathclient.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/sathclient.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT sdk)

# CMake package
install(EXPORT sathclient-targets
  NAMESPACE sathclient::
  FILE sathclient-targets.cmake
  DESTINATION ${SATH_CMAKE_INSTALL_DIR}
  COMPONENT sdk)
configure_package_config_file(${CMAKE_CURRENT_SOURCE_DIR}/cmake/sathclientConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/sathclientConfig.cmake
  INSTALL_DESTINATION ${SATH_CMAKE_INSTALL_DIR})
# SONAME 0 keeps the ABI of every 0.y release (ABI.md), hence SameMajorVersion.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/sathclientConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES
    ${CMAKE_CURRENT_BINARY_DIR}/sathclientConfig.cmake
    ${CMAKE_CURRENT_BINARY_DIR}/sathclientConfigVersion.cmake
  DESTINATION ${SATH_CMAKE_INSTALL_DIR}
  COMPONENT sdk)

# What a developer reads and runs: the ABI promise, the reference, valgrind suppressions,
# and the examples with a CMakeLists.txt that builds them against this installation.
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/ABI.md DESTINATION ${SATH_SDK_DOC_DIR} COMPONENT sdk)
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/sathclient.supp DESTINATION ${SATH_SDK_SUPP_DIR} COMPONENT sdk)
install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/examples/ DESTINATION ${SATH_SDK_DOC_DIR}/examples
  COMPONENT sdk FILES_MATCHING PATTERN "*.c" PATTERN "CMakeLists.txt")
if(SATH_SDK_REFERENCE)
  install(FILES ${SATH_SDK_REFERENCE} DESTINATION ${SATH_SDK_DOC_DIR} COMPONENT sdk)
endif()
