# raft_ctl: put/get/delete/cas against a cluster, and status of every node.
# Included from src/apps/CMakeLists.txt.
add_executable(raft_ctl ${CMAKE_CURRENT_LIST_DIR}/raft_ctl.cpp)
target_link_libraries(raft_ctl PRIVATE raft_client Boost::program_options
                      fmt::fmt raft_options)
