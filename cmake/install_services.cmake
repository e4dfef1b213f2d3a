# The two daemons under systemd: units in lib/systemd/system, example configs in
# share/doc/twofold/examples (the units read /etc/twofold/NAME.conf; docs/install.md).
include(GNUInstallDirs)

# The units start the programs by absolute path, so they are written when installing: the path
# follows `cmake --install --prefix DIR` as well as the prefix chosen when configuring.
set(twofold_units twofold-gms twofold-relay)
install(CODE "set(twofold_unit_templates \"${PROJECT_SOURCE_DIR}/contrib/systemd\")
set(twofold_unit_output \"${CMAKE_CURRENT_BINARY_DIR}/contrib/systemd\")
set(twofold_units \"${twofold_units}\")
set(twofold_bindir \"${CMAKE_INSTALL_BINDIR}\")")
install(CODE [[
  if(IS_ABSOLUTE "${twofold_bindir}")
    set(TWOFOLD_BINDIR "${twofold_bindir}")
  else()
    set(TWOFOLD_BINDIR "${CMAKE_INSTALL_PREFIX}/${twofold_bindir}")
  endif()
  foreach(unit IN LISTS twofold_units)
    configure_file("${twofold_unit_templates}/${unit}.service.in" "${twofold_unit_output}/${unit}.service" @ONLY)
  endforeach()
]])
list(TRANSFORM twofold_units PREPEND ${CMAKE_CURRENT_BINARY_DIR}/contrib/systemd/ OUTPUT_VARIABLE twofold_unit_files)
list(TRANSFORM twofold_unit_files APPEND .service)
install(FILES ${twofold_unit_files} DESTINATION lib/systemd/system)

install(FILES ${PROJECT_SOURCE_DIR}/contrib/config/twofold-gms.conf ${PROJECT_SOURCE_DIR}/contrib/config/twofold-relay.conf
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
