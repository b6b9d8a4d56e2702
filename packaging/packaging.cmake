# Install rules (cmake --install) and the Debian package (cpack -G DEB).
#
#   <prefix>/bin/shelfguard, shelfguardd
#   <prefix>/libexec/shelfguard-tool           what shelfguard execs for every
#                                              command but the daemon clients
#                                              (src/cli/main_client.cc)
#   <prefix>/share/shelfguard/signatures/      found at run time relative to the
#                                              programs (src/core/data_dir.h)
#   <prefix>/share/man/man1/*.1.gz              help2man from each --help
#   <prefix>/share/bash-completion/completions/shelfguard, shelfguardd
#   <prefix>/lib/systemd/system/shelfguardd.service, /etc/shelfguard/shelfguard.toml
#                                              (install-service.cmake)
include(GNUInstallDirs)
# `cmake --install` and cpack install what is built; they do not build `all`
# first (the tests and benches are not installed, and scripts/test-package.sh
# builds what the package needs).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)

set(SG_PACKAGING_DIR ${CMAKE_SOURCE_DIR}/packaging)
set(SG_PACKAGING_BINARY_DIR ${CMAKE_BINARY_DIR}/packaging)

install(TARGETS shelfguard shelfguardd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# In libexec, not bin: it is not a command of its own. Directly in libexec (not
# a shelfguard/ below it) so that its data is where DataDir() (src/core/data_dir.h)
# looks from any program: <its directory>/../share/shelfguard.
install(TARGETS shelfguard-tool RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR})
# Where shelfguard finds it, relative to its own directory.
file(RELATIVE_PATH SG_TOOL_FROM_BINDIR ${CMAKE_INSTALL_FULL_BINDIR} ${CMAKE_INSTALL_FULL_LIBEXECDIR})
target_compile_definitions(shelfguard PRIVATE SG_TOOL_FROM_BINDIR="${SG_TOOL_FROM_BINDIR}")
# The documentation, where kDocumentationUri (include/shelfguard/about.h),
# the SARIF informationUri and --version point: /usr/share/doc/shelfguard/.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} PATTERN "team" EXCLUDE)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/signatures/ DESTINATION ${CMAKE_INSTALL_DATADIR}/shelfguard/signatures)
foreach(prog shelfguard shelfguardd)
  install(FILES ${SG_PACKAGING_DIR}/shelfguard.bash-completion
          DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME ${prog})
endforeach()

# Man pages are generated from the built programs' --help (not in sanitizer or
# fuzzing builds, which install nothing).
find_program(SG_HELP2MAN help2man)
if(SG_HELP2MAN AND NOT SG_SANITIZE AND NOT SG_FUZZ)
  set(man_dir ${SG_PACKAGING_BINARY_DIR}/man)
  add_custom_command(
    OUTPUT ${man_dir}/stamp
    COMMAND bash ${SG_PACKAGING_DIR}/gen-man.sh $<TARGET_FILE_DIR:shelfguard> ${man_dir} ${PROJECT_VERSION}
    COMMAND ${CMAKE_COMMAND} -E touch ${man_dir}/stamp
    DEPENDS shelfguard shelfguardd ${SG_PACKAGING_DIR}/gen-man.sh
    COMMENT "Man pages from --help (help2man)"
    VERBATIM)
  add_custom_target(man ALL DEPENDS ${man_dir}/stamp)
  install(DIRECTORY ${man_dir}/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 FILES_MATCHING PATTERN "*.1.gz")
elseif(NOT SG_HELP2MAN)
  message(STATUS "help2man not found: no man pages will be built or installed")
endif()

install(CODE "set(SG_PACKAGING_DIR \"${SG_PACKAGING_DIR}\")
set(SG_PACKAGING_BINARY_DIR \"${SG_PACKAGING_BINARY_DIR}\")
set(SG_INSTALL_BINDIR \"${CMAKE_INSTALL_BINDIR}\")")
install(SCRIPT ${SG_PACKAGING_DIR}/install-service.cmake)

# The .deb: `cpack -G DEB` in the build directory (scripts/test-package.sh).
set(SG_DEB_MAINTAINER "shelfguard developers <shelfguard-dev@lists.example.org>"
    CACHE STRING "Maintainer field of the .deb")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME shelfguard)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "admission scanner for education mobile apps (APK, IPA)")
set(CPACK_PACKAGE_DESCRIPTION
    "shelfguard unpacks APK and IPA packages, analyses manifests, DEX, ELF and
Mach-O code, plists and resources, identifies ad, game, payment, face,
live-streaming and photo-search SDKs and packers, finds the filing numbers an
app displays, checks them against the filing registry and reports every rule
of the education app filing catalogue with evidence.
.
This package holds the command-line scanner (shelfguard), the scanning
daemon (shelfguardd) with a hardened systemd unit, and the SDK signatures.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SG_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends on the shared libraries the programs link, as dpkg-shlibdeps finds
# them (libzip, libzmq, libcurl, libplist, sqlite3, re2, capstone, ...).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libcurl is loaded with dlopen on first use (src/net/curl_lazy.h), so
# dpkg-shlibdeps cannot see it: named here, with the version the HTTP code
# needs (CURLOPT_PROTOCOLS_STR).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libcurl4 (>= 7.85.0)")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion, systemd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${SG_PACKAGING_DIR}/debian/conffiles ${SG_PACKAGING_DIR}/debian/postinst
    ${SG_PACKAGING_DIR}/debian/prerm ${SG_PACKAGING_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
