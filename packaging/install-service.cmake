# Runs at install time (cmake --install, cpack), when the install prefix is
# known: writes the files whose location or content depends on it.
#   /usr prefix (the .deb):  /etc/shelfguard/shelfguard.toml
#   any other prefix P:      P/etc/shelfguard/shelfguard.toml
#   both:                    P/lib/systemd/system/shelfguardd.service, its
#                            ExecStart naming P/bin/shelfguardd
# Inputs (set by packaging.cmake): SG_PACKAGING_DIR, SG_PACKAGING_BINARY_DIR,
# SG_INSTALL_BINDIR.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(SG_CONFDIR "/etc/shelfguard")
else()
  set(SG_CONFDIR "${CMAKE_INSTALL_PREFIX}/etc/shelfguard")
endif()
set(SG_BINDIR "${CMAKE_INSTALL_PREFIX}/${SG_INSTALL_BINDIR}")

# An operator's edited config is never overwritten by a later install: the
# new sample goes next to it as shelfguard.toml.dist. (The .deb marks the
# file a conffile, and dpkg asks instead.)
# (file(INSTALL) adds $DESTDIR itself; the check must add it by hand.)
set(conf_dest "${SG_CONFDIR}")
set(conf_src "${SG_PACKAGING_DIR}/shelfguard.toml")
if(EXISTS "$ENV{DESTDIR}${conf_dest}/shelfguard.toml")
  file(SHA256 "$ENV{DESTDIR}${conf_dest}/shelfguard.toml" have)
  file(SHA256 "${conf_src}" want)
  if(NOT have STREQUAL want)
    message(STATUS "Keeping $ENV{DESTDIR}${conf_dest}/shelfguard.toml (changed); the new sample is shelfguard.toml.dist")
    file(INSTALL "${conf_src}" DESTINATION "${conf_dest}" RENAME shelfguard.toml.dist)
    set(conf_src "")
  endif()
endif()
if(conf_src)
  file(INSTALL "${conf_src}" DESTINATION "${conf_dest}")
endif()

configure_file("${SG_PACKAGING_DIR}/shelfguardd.service.in"
               "${SG_PACKAGING_BINARY_DIR}/shelfguardd.service" @ONLY)
file(INSTALL "${SG_PACKAGING_BINARY_DIR}/shelfguardd.service"
     DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
