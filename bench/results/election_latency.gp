# Figure 16 of the Raft paper, from election_latency_cdf.dat: cumulative
# share of trials against the time without a leader.
# Run in this directory: gnuplot election_latency.gp
set logscale x 10
set grid xtics mxtics ytics
set yrange [0:100]
set xlabel 'time without leader (ms)'
set ylabel 'cumulative percent of trials'
set key left top
set terminal svg size 1000,1000 dynamic font 'sans,12' background rgb 'white'
set output 'election_latency.svg'
set multiplot layout 2,1
set title 'Randomness: minimum timeout 150 ms'
plot 'election_latency_cdf.dat' index 0 using 1:2 with steps lw 2 lc rgb '#9400d3' title '150-151 ms', \
     'election_latency_cdf.dat' index 1 using 1:2 with steps lw 2 lc rgb '#009e73' title '150-150 ms', \
     'election_latency_cdf.dat' index 2 using 1:2 with steps lw 2 lc rgb '#56b4e9' title '150-155 ms', \
     'election_latency_cdf.dat' index 3 using 1:2 with steps lw 2 lc rgb '#e69f00' title '150-175 ms', \
     'election_latency_cdf.dat' index 4 using 1:2 with steps lw 2 lc rgb '#f0e442' title '150-200 ms', \
     'election_latency_cdf.dat' index 5 using 1:2 with steps lw 2 lc rgb '#0072b2' title '150-300 ms', \
     'election_latency_cdf.dat' index 10 using 1:2 with steps lw 2 lc rgb 'black' dt 2 title 'etcd 150-300 ms'
set title 'Scale: timeout ranges T to 2T'
plot 'election_latency_cdf.dat' index 5 using 1:2 with steps lw 2 lc rgb '#0072b2' title '150-300 ms', \
     'election_latency_cdf.dat' index 6 using 1:2 with steps lw 2 lc rgb '#e51e10' title '12-24 ms', \
     'election_latency_cdf.dat' index 7 using 1:2 with steps lw 2 lc rgb '#8b4513' title '25-50 ms', \
     'election_latency_cdf.dat' index 8 using 1:2 with steps lw 2 lc rgb '#808080' title '50-100 ms', \
     'election_latency_cdf.dat' index 9 using 1:2 with steps lw 2 lc rgb '#ff69b4' title '100-200 ms'
unset multiplot
set terminal pngcairo size 1000,1000 font 'sans,11' background rgb 'white'
set output 'election_latency.png'
set multiplot layout 2,1
set title 'Randomness: minimum timeout 150 ms'
plot 'election_latency_cdf.dat' index 0 using 1:2 with steps lw 2 lc rgb '#9400d3' title '150-151 ms', \
     'election_latency_cdf.dat' index 1 using 1:2 with steps lw 2 lc rgb '#009e73' title '150-150 ms', \
     'election_latency_cdf.dat' index 2 using 1:2 with steps lw 2 lc rgb '#56b4e9' title '150-155 ms', \
     'election_latency_cdf.dat' index 3 using 1:2 with steps lw 2 lc rgb '#e69f00' title '150-175 ms', \
     'election_latency_cdf.dat' index 4 using 1:2 with steps lw 2 lc rgb '#f0e442' title '150-200 ms', \
     'election_latency_cdf.dat' index 5 using 1:2 with steps lw 2 lc rgb '#0072b2' title '150-300 ms', \
     'election_latency_cdf.dat' index 10 using 1:2 with steps lw 2 lc rgb 'black' dt 2 title 'etcd 150-300 ms'
set title 'Scale: timeout ranges T to 2T'
plot 'election_latency_cdf.dat' index 5 using 1:2 with steps lw 2 lc rgb '#0072b2' title '150-300 ms', \
     'election_latency_cdf.dat' index 6 using 1:2 with steps lw 2 lc rgb '#e51e10' title '12-24 ms', \
     'election_latency_cdf.dat' index 7 using 1:2 with steps lw 2 lc rgb '#8b4513' title '25-50 ms', \
     'election_latency_cdf.dat' index 8 using 1:2 with steps lw 2 lc rgb '#808080' title '50-100 ms', \
     'election_latency_cdf.dat' index 9 using 1:2 with steps lw 2 lc rgb '#ff69b4' title '100-200 ms'
unset multiplot
set output
