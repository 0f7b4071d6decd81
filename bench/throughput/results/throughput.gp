$etcd_off_100 << EOD
891.5 3.510 1
2977.6 8.805 8
4992.5 18.097 32
6265.1 54.562 128
6231.2 165.393 512
EOD
$etcd_off_1024 << EOD
953.2 2.585 1
2808.9 8.452 8
2953.6 29.596 32
5820.8 42.093 128
5777.5 155.834 512
EOD
$etcd_off_16 << EOD
925.6 3.098 1
3236.6 7.665 8
4388.1 20.151 32
5620.6 56.085 128
6885.3 146.257 512
EOD
$etcd_off_4096 << EOD
681.3 3.531 1
2103.4 9.002 8
2082.6 44.773 32
2997.3 100.976 128
2774.3 309.134 512
EOD
$etcd_on_100 << EOD
539.4 4.388 1
1436.2 13.191 8
2885.0 24.954 32
3501.7 74.125 128
5083.6 180.979 512
EOD
$etcd_on_1024 << EOD
445.9 6.626 1
1325.4 14.631 8
2648.3 25.416 32
3115.9 89.876 128
4823.6 188.713 512
EOD
$etcd_on_16 << EOD
570.8 4.475 1
1634.3 11.413 8
3000.3 22.925 32
3772.8 70.359 128
4599.6 194.021 512
EOD
$etcd_on_4096 << EOD
411.7 7.849 1
1045.5 21.982 8
1775.1 47.136 32
2707.9 109.162 128
3081.6 288.144 512
EOD
$raft_off_100 << EOD
3067.4 0.707 1
9874.8 2.095 8
16659.5 4.743 32
23440.0 13.631 128
22910.4 50.507 512
EOD
$raft_off_1024 << EOD
2665.5 0.756 1
8683.3 2.111 8
11044.4 8.674 32
13578.8 26.924 128
18163.6 43.126 512
EOD
$raft_off_16 << EOD
3019.3 0.699 1
10230.5 2.064 8
17064.6 5.115 32
19770.4 15.138 128
30694.2 34.128 512
EOD
$raft_off_4096 << EOD
2001.3 1.018 1
4572.4 3.243 8
5454.4 11.359 32
5771.5 47.900 128
6084.9 149.009 512
EOD
$raft_on_100 << EOD
1383.8 3.686 1
4027.3 6.141 8
10410.2 7.685 32
15351.1 19.972 128
19162.1 62.839 512
EOD
$raft_on_1024 << EOD
1106.1 4.696 1
3134.6 7.264 8
7334.2 9.401 32
10810.7 21.687 128
18264.4 42.474 512
EOD
$raft_on_16 << EOD
1301.7 4.132 1
5158.7 5.582 8
11262.9 7.456 32
20390.8 15.406 128
17662.8 56.623 512
EOD
$raft_on_4096 << EOD
1050.1 2.030 1
2735.9 7.988 8
5523.7 13.555 32
6266.7 43.464 128
6918.6 130.173 512
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
