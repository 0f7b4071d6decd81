$etcd_off_100 << EOD
1405.8 1.379 1
4810.3 4.417 8
6458.7 11.727 32
9152.5 30.079 128
8070.0 108.369 512
EOD
$etcd_off_1024 << EOD
1481.4 1.555 1
3269.7 6.720 8
5764.1 14.365 32
5728.5 47.244 128
6751.7 129.053 512
EOD
$etcd_off_16 << EOD
1381.3 1.755 1
3546.0 6.266 8
6667.8 11.831 32
9406.2 29.699 128
8487.1 103.343 512
EOD
$etcd_off_4096 << EOD
1001.1 2.528 1
1961.5 10.594 8
2905.8 24.946 32
3878.1 64.745 128
4081.5 212.685 512
EOD
$etcd_on_100 << EOD
1025.9 1.742 1
2753.7 6.169 8
4000.4 17.254 32
6530.8 40.751 128
7996.8 119.499 512
EOD
$etcd_on_1024 << EOD
882.3 2.282 1
2084.5 8.376 8
2526.3 30.154 32
4423.4 58.726 128
5451.5 169.126 512
EOD
$etcd_on_16 << EOD
795.1 2.515 1
2214.0 8.479 8
3454.2 19.602 32
7543.3 34.359 128
8725.9 106.155 512
EOD
$etcd_on_4096 << EOD
577.9 4.681 1
1424.5 13.233 8
2187.0 28.974 32
2955.6 79.949 128
3359.0 250.508 512
EOD
$raft_off_100 << EOD
4828.3 0.371 1
20084.9 0.769 8
45794.4 1.172 32
56211.1 4.254 128
45092.4 29.460 512
EOD
$raft_off_1024 << EOD
4874.1 0.363 1
15386.4 0.980 8
27204.8 2.144 32
30459.0 9.702 128
30691.3 44.969 512
EOD
$raft_off_16 << EOD
4754.2 0.359 1
20847.2 0.775 8
40493.9 1.526 32
54573.6 4.310 128
59928.1 17.289 512
EOD
$raft_off_4096 << EOD
3825.0 0.397 1
8751.4 1.756 8
11318.5 6.532 32
14547.3 34.067 128
13458.5 66.617 512
EOD
$raft_on_100 << EOD
2223.7 0.693 1
10561.4 1.586 8
20997.1 2.952 32
33560.5 7.536 128
43775.9 22.396 512
EOD
$raft_on_1024 << EOD
2052.6 0.752 1
7722.9 1.897 8
15742.0 3.975 32
20467.0 12.238 128
25744.0 31.697 512
EOD
$raft_on_16 << EOD
1951.8 0.930 1
9166.5 1.729 8
22059.9 2.551 32
43848.1 5.302 128
46161.6 21.410 512
EOD
$raft_on_4096 << EOD
1337.2 1.183 1
6013.1 2.331 8
8892.3 6.955 32
11431.3 21.794 128
14030.3 65.609 512
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
