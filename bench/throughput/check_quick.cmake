# bench_throughput_quick: C=4, S=100, two runs of 1 s against raft only;
# passes if the benchmark exits 0 and its CSV holds one raft row that says
# it is the median of two runs.
file(REMOVE_RECURSE ${OUT})
execute_process(
  COMMAND ${BENCH} --raft-node ${RAFT_NODE} --systems raft --clients 4
          --sizes 100 --fsync on --duration 1 --warmup 0.5 --repeat 2
          --gnuplot ""
          --out ${OUT} --name quick
  RESULT_VARIABLE result
  TIMEOUT 50)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "throughput exited with '${result}'")
endif()

if(NOT EXISTS ${OUT}/quick.csv)
  message(FATAL_ERROR "no ${OUT}/quick.csv")
endif()
file(STRINGS ${OUT}/quick.csv lines)
list(LENGTH lines count)
list(GET lines -1 last)
if(NOT count EQUAL 2 OR NOT last MATCHES "^raft,on,4,100,.*,2,[0-9.]+,[0-9.]+$")
  message(FATAL_ERROR "unexpected CSV:\n${lines}")
endif()
message(STATUS "ok: ${last}")
