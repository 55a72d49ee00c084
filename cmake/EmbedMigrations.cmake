# Run as a script (cmake -P) at build time: turns schema/NNNN_name.sql files into a C++ source
# defining `std::vector<uwallet::pg::Migration> FUNCTION()`.
# Inputs: SCHEMA_DIR, OUTPUT, FUNCTION, NAMESPACE.
file(GLOB sql_files ${SCHEMA_DIR}/*.sql)
list(SORT sql_files)
set(body "")
foreach(file ${sql_files})
  get_filename_component(base ${file} NAME_WE)
  if(NOT base MATCHES "^([0-9]+)_(.+)$")
    message(FATAL_ERROR "migration ${file} must be named NNNN_name.sql")
  endif()
  math(EXPR version "${CMAKE_MATCH_1}")
  set(name ${CMAKE_MATCH_2})
  file(READ ${file} sql)
  string(APPEND body "      {${version}, \"${name}\", R\"uwsql(${sql})uwsql\"},\n")
endforeach()
file(WRITE ${OUTPUT}.tmp
  "// Generated from ${SCHEMA_DIR} by cmake/EmbedMigrations.cmake. Do not edit.\n"
  "#include <vector>\n#include \"uwallet/pg/migrate.h\"\n"
  "namespace ${NAMESPACE} {\n"
  "std::vector<uwallet::pg::Migration> ${FUNCTION}() {\n  return {\n${body}  };\n}\n"
  "}  // namespace ${NAMESPACE}\n")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUTPUT}.tmp ${OUTPUT})
