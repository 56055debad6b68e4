set terminal pngcairo size 1400,520 noenhanced
set output 'bench/results/variants/schedule_table.png'
set datafile separator ','
set key bottom right
set grid
set multiplot layout 1,2
set title 'Fashion-MNIST mlp, sgd: held-out test accuracy (median of 3 seeds)'
set xlabel 'optimizer steps, search included'
set ylabel 'test accuracy (subset)'
set yrange [0.78:*]
set arrow from graph 0, first 0.86 to graph 1, first 0.86 nohead dt 2 lc rgb 'gray'
plot for [i=2:*] 'bench/results/variants/curves_sgd.csv' using 1:i with lines lw 2 title columnheader(i)
unset arrow
set title 'Fashion-MNIST mlp, adam: held-out test accuracy (median of 3 seeds)'
set xlabel 'optimizer steps, search included'
set ylabel 'test accuracy (subset)'
set yrange [0.78:*]
set arrow from graph 0, first 0.86 to graph 1, first 0.86 nohead dt 2 lc rgb 'gray'
plot for [i=2:*] 'bench/results/variants/curves_adam.csv' using 1:i with lines lw 2 title columnheader(i)
unset arrow
unset multiplot
