# The member library as an installed package: static archives, the public headers, a CMake
# package (find_package(twofold) -> twofold::member) and a pkg-config file (twofold.pc).
#
# Static, not shared: the library is fifteen small archives with no stable ABI yet, and a
# static link gives a program exactly the code it was tested with (docs/install.md).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# twofold_member_client and everything it links, top first (the order the linker needs, and the
# order twofold.pc lists them in).
set(twofold_member_libraries
  twofold_member_client twofold_ice twofold_member twofold_member_store twofold_gms_client twofold_relay_client
  twofold_mqtt_client twofold_mqtt_auth twofold_relay twofold_lan twofold_net twofold_lkh twofold_handshake twofold_store twofold_wire twofold_proto
  twofold_crypto twofold_core)

set_target_properties(twofold_member_client PROPERTIES EXPORT_NAME member)
target_compile_features(twofold_member_client PUBLIC cxx_std_20)  # member.h uses std::span
# Consumers include <twofold/member.h>; member.h and its companions name each other as
# "core/result.h" and "crypto/password.h", so include/twofold is on the path too.
target_include_directories(twofold_member_client PUBLIC
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/twofold>)
foreach(option IN LISTS TWOFOLD_SANITIZER_LINK_OPTIONS)
  target_link_options(twofold_member_client INTERFACE $<INSTALL_INTERFACE:${option}>)
endforeach()

install(TARGETS ${twofold_member_libraries} EXPORT twofoldTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

# Exactly the headers member.h reaches; none of them includes libsodium, OpenSSL or protobuf
# (tests/install checks that).
install(FILES ${PROJECT_SOURCE_DIR}/include/twofold/member.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/twofold)
install(FILES ${PROJECT_SOURCE_DIR}/src/core/result.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/twofold/core)
install(FILES ${PROJECT_SOURCE_DIR}/src/crypto/bytes.h ${PROJECT_SOURCE_DIR}/src/crypto/password.h
              ${PROJECT_SOURCE_DIR}/src/crypto/secret.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/twofold/crypto)

# The CMake package.
set(twofold_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/twofold)
install(EXPORT twofoldTargets NAMESPACE twofold:: DESTINATION ${twofold_cmake_dir})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/twofoldConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/twofoldConfig.cmake INSTALL_DESTINATION ${twofold_cmake_dir})
# 0.x: a minor version may change the API, so only the same minor version is compatible.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/twofoldConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/twofoldConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/twofoldConfigVersion.cmake
        DESTINATION ${twofold_cmake_dir})

# The pkg-config file: relocatable (its prefix is found from where the file lies).
set(twofold_pc_dir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH twofold_pc_to_prefix /${twofold_pc_dir} /)
string(REGEX REPLACE "/$" "" twofold_pc_to_prefix ${twofold_pc_to_prefix})
list(TRANSFORM twofold_member_libraries PREPEND -l OUTPUT_VARIABLE twofold_pc_libs)
list(JOIN twofold_pc_libs " " twofold_pc_libs)
list(JOIN TWOFOLD_SANITIZER_LINK_OPTIONS " " twofold_pc_sanitizer)
configure_file(${CMAKE_CURRENT_LIST_DIR}/twofold.pc.in ${CMAKE_CURRENT_BINARY_DIR}/twofold.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/twofold.pc DESTINATION ${twofold_pc_dir})
