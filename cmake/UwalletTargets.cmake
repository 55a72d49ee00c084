# Helpers so that every library, binary and test is declared the same way.

# Designated initialisers that leave fields at their defaults are the style (options structs).
set(UWALLET_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wno-missing-field-initializers)
if(UWALLET_WERROR)
  list(APPEND UWALLET_WARNINGS -Werror)
endif()
if(UWALLET_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# uw_library(NAME name SOURCES ... DEPS ...): libs/<name> -> target uwallet_<name>, alias uwallet::<name>.
function(uw_library)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_library(uwallet_${ARG_NAME} STATIC ${ARG_SOURCES})
  add_library(uwallet::${ARG_NAME} ALIAS uwallet_${ARG_NAME})
  target_include_directories(uwallet_${ARG_NAME} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_compile_options(uwallet_${ARG_NAME} PRIVATE ${UWALLET_WARNINGS})
  target_link_libraries(uwallet_${ARG_NAME} PUBLIC ${ARG_DEPS})
endfunction()

# The Catch2 main is compiled once and shared by every test binary.
add_library(uwallet_catch_main STATIC ${CMAKE_SOURCE_DIR}/cmake/catch_main.cc)
target_link_libraries(uwallet_catch_main PUBLIC Catch2::Catch2)

# uw_test(NAME name SOURCES ... DEPS ... [LABELS ...]): one Catch2 binary, one CTest test.
# Tests that need a real server carry the label "pg" or "redis" and read their address from
# UWALLET_TEST_PG_DSN / UWALLET_TEST_REDIS_ADDR (set by tools/test). Without it they exit 77,
# which CTest reports as skipped, never as passed.
function(uw_test)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_compile_options(${ARG_NAME} PRIVATE ${UWALLET_WARNINGS})
  target_link_libraries(${ARG_NAME} PRIVATE uwallet_catch_main ${ARG_DEPS})
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME})
  set_tests_properties(${ARG_NAME} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
  if(ARG_LABELS)
    set_tests_properties(${ARG_NAME} PROPERTIES LABELS "${ARG_LABELS}")
  endif()
endfunction()

# uw_service(NAME name SOURCES ... DEPS ...): services/<name>/ -> object library uwallet_<name>_lib
# (shared by the binary and its tests) and the binary uwallet-<name>.
function(uw_service)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS" ${ARGN})
  if(ARG_SOURCES)
    add_library(uwallet_${ARG_NAME}_lib STATIC ${ARG_SOURCES})
    target_include_directories(uwallet_${ARG_NAME}_lib PUBLIC ${CMAKE_SOURCE_DIR})
    target_compile_options(uwallet_${ARG_NAME}_lib PRIVATE ${UWALLET_WARNINGS})
    target_link_libraries(uwallet_${ARG_NAME}_lib PUBLIC ${ARG_DEPS})
  else()
    add_library(uwallet_${ARG_NAME}_lib INTERFACE)
    target_include_directories(uwallet_${ARG_NAME}_lib INTERFACE ${CMAKE_SOURCE_DIR})
    target_link_libraries(uwallet_${ARG_NAME}_lib INTERFACE ${ARG_DEPS})
  endif()
  add_executable(uwallet-${ARG_NAME} ${CMAKE_CURRENT_SOURCE_DIR}/main.cc)
  target_compile_options(uwallet-${ARG_NAME} PRIVATE ${UWALLET_WARNINGS})
  target_link_libraries(uwallet-${ARG_NAME} PRIVATE uwallet_${ARG_NAME}_lib)
endfunction()

# uw_embed_migrations(OUT_VAR NAMESPACE ns FUNCTION fn DIR schema): compiles schema/NNNN_*.sql into
# the binary; declare `std::vector<uwallet::pg::Migration> fn();` in a header of the service.
function(uw_embed_migrations out_var)
  cmake_parse_arguments(ARG "" "NAMESPACE;FUNCTION;DIR" "" ${ARGN})
  file(GLOB sql_files CONFIGURE_DEPENDS ${ARG_DIR}/*.sql)
  string(REPLACE "::" "_" stem ${ARG_NAMESPACE})
  set(output ${CMAKE_CURRENT_BINARY_DIR}/${stem}_migrations.cc)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DSCHEMA_DIR=${ARG_DIR} -DOUTPUT=${output}
            -DFUNCTION=${ARG_FUNCTION} -DNAMESPACE=${ARG_NAMESPACE}
            -P ${CMAKE_SOURCE_DIR}/cmake/EmbedMigrations.cmake
    DEPENDS ${sql_files} ${CMAKE_SOURCE_DIR}/cmake/EmbedMigrations.cmake
    COMMENT "embedding migrations of ${ARG_DIR}")
  set(${out_var} ${output} PARENT_SCOPE)
endfunction()
