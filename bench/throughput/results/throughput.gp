$etcd_off_100 << EOD
1357.4 1.421 1
3555.9 7.074 8
6797.2 11.390 32
8754.8 31.544 128
8183.9 109.807 512
EOD
$etcd_off_1024 << EOD
1158.5 1.838 1
3529.4 6.335 8
5594.5 13.100 32
6551.3 38.802 128
5518.8 152.254 512
EOD
$etcd_off_16 << EOD
1517.2 1.207 1
4133.0 5.982 8
7768.1 11.070 32
9217.6 29.694 128
8528.7 108.249 512
EOD
$etcd_off_4096 << EOD
860.9 3.178 1
2803.1 7.756 8
3416.1 21.988 32
3446.4 68.948 128
3715.5 238.540 512
EOD
$etcd_on_100 << EOD
1020.0 1.783 1
2950.6 6.373 8
5332.5 13.315 32
7486.8 34.504 128
7968.6 115.753 512
EOD
$etcd_on_1024 << EOD
761.2 2.770 1
1778.1 9.659 8
3350.0 21.475 32
4904.7 48.092 128
6424.2 139.311 512
EOD
$etcd_on_16 << EOD
864.8 2.170 1
2575.1 7.195 8
4275.1 16.870 32
6328.2 40.458 128
7115.8 122.266 512
EOD
$etcd_on_4096 << EOD
722.6 3.412 1
1714.5 10.976 8
2647.4 27.144 32
3746.2 65.310 128
3962.7 214.523 512
EOD
$raft_off_100 << EOD
4534.7 0.381 1
19838.7 0.815 8
36802.8 1.600 32
48801.7 5.090 128
49119.7 25.829 512
EOD
$raft_off_1024 << EOD
4096.1 0.389 1
14323.2 1.100 8
21273.8 2.577 32
23625.7 19.306 128
25537.3 38.937 512
EOD
$raft_off_16 << EOD
5880.3 0.249 1
20692.0 0.797 8
41204.5 1.414 32
53589.7 4.455 128
47063.8 22.008 512
EOD
$raft_off_4096 << EOD
3075.2 0.674 1
7191.4 2.427 8
8719.4 8.090 32
10377.0 32.834 128
10560.3 84.475 512
EOD
$raft_on_100 << EOD
1769.0 1.367 1
11437.3 1.219 8
22688.2 2.818 32
38123.2 6.674 128
39885.2 24.526 512
EOD
$raft_on_1024 << EOD
1830.1 0.877 1
7192.3 1.889 8
13731.2 4.333 32
21902.4 10.027 128
24463.1 34.605 512
EOD
$raft_on_16 << EOD
1944.2 0.805 1
9147.1 1.921 8
23103.1 2.555 32
33470.5 7.023 128
45703.3 22.377 512
EOD
$raft_on_4096 << EOD
1445.1 1.140 1
5706.0 2.505 8
7456.3 8.358 32
9806.5 25.245 128
11483.9 83.851 512
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
