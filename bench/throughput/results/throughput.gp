$etcd_off_100 << EOD
1472.4 1.325 1
4953.3 5.185 8
6492.1 12.085 32
8232.8 32.488 128
7930.2 105.945 512
EOD
$etcd_off_1024 << EOD
1379.9 1.507 1
3725.8 6.016 8
4136.1 18.082 32
5315.0 49.551 128
5115.7 168.837 512
EOD
$etcd_off_16 << EOD
1373.5 1.444 1
3996.3 5.976 8
6357.7 12.436 32
10176.7 27.643 128
8900.2 102.068 512
EOD
$etcd_off_4096 << EOD
735.1 5.029 1
2300.5 9.740 8
2735.3 25.888 32
3369.3 71.628 128
3774.5 236.383 512
EOD
$etcd_on_100 << EOD
881.3 2.138 1
2453.5 7.853 8
4528.8 16.579 32
8290.5 31.335 128
6798.7 123.333 512
EOD
$etcd_on_1024 << EOD
858.4 2.259 1
2085.7 8.867 8
4335.0 15.771 32
6083.8 42.027 128
6594.9 135.371 512
EOD
$etcd_on_16 << EOD
871.9 2.751 1
2265.0 8.984 8
4401.6 16.287 32
6736.9 38.729 128
7455.1 125.265 512
EOD
$etcd_on_4096 << EOD
606.5 4.781 1
1621.6 11.021 8
2815.0 24.971 32
3381.6 72.837 128
3844.5 210.966 512
EOD
$raft_off_100 << EOD
4940.5 0.349 1
22295.6 0.706 8
37154.4 1.773 32
48936.3 5.370 128
50008.1 18.442 512
EOD
$raft_off_1024 << EOD
4612.1 0.394 1
17356.0 1.102 8
24808.0 2.588 32
26999.6 18.137 128
28301.1 42.751 512
EOD
$raft_off_16 << EOD
4503.2 0.823 1
21532.5 0.746 8
34552.9 1.908 32
53897.7 4.864 128
65283.1 14.459 512
EOD
$raft_off_4096 << EOD
2157.7 2.225 1
7854.8 4.071 8
10993.3 12.469 32
11865.9 42.152 128
14575.1 66.608 512
EOD
$raft_on_100 << EOD
1399.8 3.078 1
10970.6 1.483 8
25657.2 2.709 32
44580.1 5.447 128
47378.5 18.840 512
EOD
$raft_on_1024 << EOD
2149.5 0.805 1
9685.7 2.530 8
20531.1 4.108 32
31284.7 7.924 128
30844.3 25.818 512
EOD
$raft_on_16 << EOD
2616.7 0.615 1
11723.0 1.485 8
26198.4 2.713 32
43626.4 5.154 128
40226.2 23.325 512
EOD
$raft_on_4096 << EOD
2121.3 0.784 1
6191.7 4.182 8
10750.1 7.397 32
14680.2 20.048 128
15160.9 52.943 512
EOD
set terminal svg size 1400,560 dynamic font 'sans,11'
set output 'bench/throughput/results/throughput.svg'
set multiplot layout 1,2
set logscale xy
set grid
set key top left font ',9'
set xlabel 'writes/s (3 nodes, 127.0.0.1)'
set ylabel 'p99 latency (ms)'
set title 'fsync on: p99 latency vs throughput (points: 1, 8, 32, 128, 512 clients)'
plot $raft_on_16 using 1:2 with linespoints lc 1 dt 1 pt 7 ps 0.8 lw 1.5 title 'ours 16 B', \
  $etcd_on_16 using 1:2 with linespoints lc 1 dt 2 pt 6 ps 0.8 lw 1.5 title 'etcd 16 B', \
  $raft_on_100 using 1:2 with linespoints lc 2 dt 1 pt 7 ps 0.8 lw 1.5 title 'ours 100 B', \
  $etcd_on_100 using 1:2 with linespoints lc 2 dt 2 pt 6 ps 0.8 lw 1.5 title 'etcd 100 B', \
  $raft_on_1024 using 1:2 with linespoints lc 3 dt 1 pt 7 ps 0.8 lw 1.5 title 'ours 1024 B', \
  $etcd_on_1024 using 1:2 with linespoints lc 3 dt 2 pt 6 ps 0.8 lw 1.5 title 'etcd 1024 B', \
  $raft_on_4096 using 1:2 with linespoints lc 4 dt 1 pt 7 ps 0.8 lw 1.5 title 'ours 4096 B', \
  $etcd_on_4096 using 1:2 with linespoints lc 4 dt 2 pt 6 ps 0.8 lw 1.5 title 'etcd 4096 B'
set title 'fsync off: p99 latency vs throughput (points: 1, 8, 32, 128, 512 clients)'
plot $raft_off_16 using 1:2 with linespoints lc 1 dt 1 pt 7 ps 0.8 lw 1.5 title 'ours 16 B', \
  $etcd_off_16 using 1:2 with linespoints lc 1 dt 2 pt 6 ps 0.8 lw 1.5 title 'etcd 16 B', \
  $raft_off_100 using 1:2 with linespoints lc 2 dt 1 pt 7 ps 0.8 lw 1.5 title 'ours 100 B', \
  $etcd_off_100 using 1:2 with linespoints lc 2 dt 2 pt 6 ps 0.8 lw 1.5 title 'etcd 100 B', \
  $raft_off_1024 using 1:2 with linespoints lc 3 dt 1 pt 7 ps 0.8 lw 1.5 title 'ours 1024 B', \
  $etcd_off_1024 using 1:2 with linespoints lc 3 dt 2 pt 6 ps 0.8 lw 1.5 title 'etcd 1024 B', \
  $raft_off_4096 using 1:2 with linespoints lc 4 dt 1 pt 7 ps 0.8 lw 1.5 title 'ours 4096 B', \
  $etcd_off_4096 using 1:2 with linespoints lc 4 dt 2 pt 6 ps 0.8 lw 1.5 title 'etcd 4096 B'
unset multiplot
set terminal pngcairo size 1400,560 font 'sans,10'
set output 'bench/throughput/results/throughput.png'
set multiplot layout 1,2
set logscale xy
set grid
set key top left font ',9'
set xlabel 'writes/s (3 nodes, 127.0.0.1)'
set ylabel 'p99 latency (ms)'
set title 'fsync on: p99 latency vs throughput (points: 1, 8, 32, 128, 512 clients)'
plot $raft_on_16 using 1:2 with linespoints lc 1 dt 1 pt 7 ps 0.8 lw 1.5 title 'ours 16 B', \
  $etcd_on_16 using 1:2 with linespoints lc 1 dt 2 pt 6 ps 0.8 lw 1.5 title 'etcd 16 B', \
  $raft_on_100 using 1:2 with linespoints lc 2 dt 1 pt 7 ps 0.8 lw 1.5 title 'ours 100 B', \
  $etcd_on_100 using 1:2 with linespoints lc 2 dt 2 pt 6 ps 0.8 lw 1.5 title 'etcd 100 B', \
  $raft_on_1024 using 1:2 with linespoints lc 3 dt 1 pt 7 ps 0.8 lw 1.5 title 'ours 1024 B', \
  $etcd_on_1024 using 1:2 with linespoints lc 3 dt 2 pt 6 ps 0.8 lw 1.5 title 'etcd 1024 B', \
  $raft_on_4096 using 1:2 with linespoints lc 4 dt 1 pt 7 ps 0.8 lw 1.5 title 'ours 4096 B', \
  $etcd_on_4096 using 1:2 with linespoints lc 4 dt 2 pt 6 ps 0.8 lw 1.5 title 'etcd 4096 B'
set title 'fsync off: p99 latency vs throughput (points: 1, 8, 32, 128, 512 clients)'
plot $raft_off_16 using 1:2 with linespoints lc 1 dt 1 pt 7 ps 0.8 lw 1.5 title 'ours 16 B', \
  $etcd_off_16 using 1:2 with linespoints lc 1 dt 2 pt 6 ps 0.8 lw 1.5 title 'etcd 16 B', \
  $raft_off_100 using 1:2 with linespoints lc 2 dt 1 pt 7 ps 0.8 lw 1.5 title 'ours 100 B', \
  $etcd_off_100 using 1:2 with linespoints lc 2 dt 2 pt 6 ps 0.8 lw 1.5 title 'etcd 100 B', \
  $raft_off_1024 using 1:2 with linespoints lc 3 dt 1 pt 7 ps 0.8 lw 1.5 title 'ours 1024 B', \
  $etcd_off_1024 using 1:2 with linespoints lc 3 dt 2 pt 6 ps 0.8 lw 1.5 title 'etcd 1024 B', \
  $raft_off_4096 using 1:2 with linespoints lc 4 dt 1 pt 7 ps 0.8 lw 1.5 title 'ours 4096 B', \
  $etcd_off_4096 using 1:2 with linespoints lc 4 dt 2 pt 6 ps 0.8 lw 1.5 title 'etcd 4096 B'
unset multiplot
