$etcd_off_100 << EOD
1257.2 2.192 1
4713.3 5.973 8
5813.1 14.667 32
7230.5 38.153 128
7632.7 126.086 512
EOD
$etcd_off_1024 << EOD
1059.8 3.040 1
2820.6 8.671 8
4312.7 21.680 32
5530.9 51.916 128
6672.3 165.109 512
EOD
$etcd_off_16 << EOD
1641.5 2.036 1
3911.6 6.994 8
5127.0 18.441 32
7151.9 43.497 128
7361.7 133.637 512
EOD
$etcd_off_4096 << EOD
1114.9 3.371 1
1987.0 12.230 8
3412.9 25.718 32
3770.5 70.265 128
4429.0 184.169 512
EOD
$etcd_on_100 << EOD
1024.8 1.938 1
2422.4 7.705 8
4212.8 16.726 32
6505.2 38.158 128
7508.0 130.361 512
EOD
$etcd_on_1024 << EOD
940.2 2.202 1
1833.4 10.215 8
3509.8 21.593 32
4582.0 61.824 128
5285.1 165.832 512
EOD
$etcd_on_16 << EOD
863.2 2.261 1
2755.2 6.436 8
4912.2 13.778 32
8901.2 29.086 128
9448.4 92.192 512
EOD
$etcd_on_4096 << EOD
506.6 6.861 1
1197.4 18.931 8
2257.4 30.788 32
2877.0 86.028 128
2667.5 348.121 512
EOD
$raft_off_100 << EOD
4547.4 0.427 1
15279.8 0.967 8
25769.6 4.386 32
31659.9 8.665 128
29664.9 30.002 512
EOD
$raft_off_1024 << EOD
3958.9 0.462 1
11223.7 3.520 8
14548.4 6.057 32
16156.2 17.211 128
20989.5 41.583 512
EOD
$raft_off_16 << EOD
4644.8 0.357 1
17351.1 1.433 8
21459.4 5.316 32
28871.4 9.299 128
31693.1 26.081 512
EOD
$raft_off_4096 << EOD
3078.5 1.265 1
6504.7 4.544 8
7560.5 10.663 32
6958.3 37.957 128
7533.1 105.491 512
EOD
$raft_on_100 << EOD
2010.9 0.914 1
9655.5 1.573 8
18312.8 3.483 32
24123.8 9.354 128
31429.6 29.455 512
EOD
$raft_on_1024 << EOD
1831.4 0.983 1
7045.8 2.219 8
10777.4 5.456 32
17906.7 12.968 128
18501.5 49.750 512
EOD
$raft_on_16 << EOD
1854.7 1.077 1
6290.4 4.418 8
21318.7 3.569 32
28948.3 9.035 128
35344.3 23.472 512
EOD
$raft_on_4096 << EOD
691.2 12.697 1
3014.9 9.858 8
4980.8 16.497 32
5790.3 44.226 128
5731.9 139.793 512
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
