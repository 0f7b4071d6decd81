# ctest's bench_election_quick: runs election_latency --quick and checks
# that it succeeded and wrote its files. Times are never asserted.
# Needs -DBENCH, -DRAFT_NODE and -DOUT.
file(REMOVE_RECURSE "${OUT}")
execute_process(
  COMMAND "${BENCH}" --quick --etcd off --raft-node "${RAFT_NODE}"
          --out "${OUT}"
  RESULT_VARIABLE result
  TIMEOUT 100)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "election_latency --quick failed: ${result}")
endif()

set(expected election_latency.csv election_latency.md election_latency.txt
             election_latency.gp election_latency_cdf.dat)
find_program(GNUPLOT gnuplot)
if(GNUPLOT)
  list(APPEND expected election_latency.svg election_latency.png)
endif()
foreach(name IN LISTS expected)
  if(NOT EXISTS "${OUT}/${name}")
    message(FATAL_ERROR "election_latency --quick did not write ${name}")
  endif()
endforeach()

# A header and one row per trial: 3 trials of each of 2 ranges.
file(STRINGS "${OUT}/election_latency.csv" rows)
list(LENGTH rows count)
if(count LESS 7)
  message(FATAL_ERROR "election_latency.csv has ${count} lines, wants 7")
endif()
message(STATUS "election_latency --quick wrote: ${expected}")
