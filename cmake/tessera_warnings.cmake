# tessera::warnings: the warning set every tessera target compiles with.
# Third-party headers come in as SYSTEM includes, so they stay quiet.
add_library(tessera_warnings INTERFACE)
add_library(tessera::warnings ALIAS tessera_warnings)
target_compile_options(tessera_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wundef -Wimplicit-fallthrough
  # Options aggregates are built with designated initializers that leave
  # defaulted members out on purpose; GCC 12 warns about that.
  -Wno-missing-field-initializers)

if(TESSERA_SANITIZE)
  list(JOIN TESSERA_SANITIZE "," _tessera_sanitizers)
  target_compile_options(tessera_warnings INTERFACE
    -fsanitize=${_tessera_sanitizers} -fno-omit-frame-pointer)
  target_link_options(tessera_warnings INTERFACE -fsanitize=${_tessera_sanitizers})
endif()
