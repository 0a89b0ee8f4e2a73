# Test registration helpers. Every test has a timeout: distributed bugs hang.
#
#   tessera_add_test(NAME n SOURCES s... [LIBS l...] [LABELS unit|e2e|slurm|gpu] [TIMEOUT s])
#     A GoogleTest binary; each TEST becomes a ctest test.
#   tessera_add_mpi_test(NAME n SOURCES s... [LIBS l...] [NP 2 4] [TIMEOUT s])
#     A GoogleTest binary run under `mpiexec -n N` for each N, label "mpi".
#
# Open MPI refuses to run as root and to start more ranks than cores without
# being told; mpiexec tests get those switches in their environment (see
# ci/mpi-env.sh) and e2e tests through testing::mpirun(), so `ctest` works as
# root on a 2-core machine.

find_package(GTest REQUIRED)
include(GoogleTest)

set(TESSERA_MPI_TEST_ENV
  OMPI_ALLOW_RUN_AS_ROOT=1
  OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  OMPI_MCA_rmaps_base_oversubscribe=1
  OMPI_MCA_hwloc_base_binding_policy=none
  OMPI_MCA_mpi_yield_when_idle=1
  PRTE_MCA_rmaps_default_mapping_policy=:oversubscribe)

function(tessera_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} tessera_testing GTest::gtest_main GTest::gmock
                                          tessera::warnings)
  gtest_discover_tests(${T_NAME}
    DISCOVERY_MODE PRE_TEST
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT})
endfunction()

function(tessera_add_mpi_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;NP" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  if(NOT T_NP)
    set(T_NP 2 4)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} tessera_testing tessera_mpi_test_main GTest::gmock
                                          tessera::warnings)
  foreach(np IN LISTS T_NP)
    add_test(NAME ${T_NAME}.np${np}
      COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np} ${MPIEXEC_PREFLAGS}
              $<TARGET_FILE:${T_NAME}> ${MPIEXEC_POSTFLAGS}
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(${T_NAME}.np${np} PROPERTIES
      LABELS mpi TIMEOUT ${T_TIMEOUT} PROCESSORS ${np}
      ENVIRONMENT "${TESSERA_MPI_TEST_ENV}")
  endforeach()
endfunction()
