// OpenBLAS's CBLAS interface (which also declares openblas_get_corename and
// openblas_set_num_threads) and LAPACK's C interface, as Debian installs them.
#include <cblas.h>
#include <lapacke.h>
