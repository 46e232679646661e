#!/usr/bin/env bash
# bench/implicit_build.sh [DIR] - builds implicit 0.7.3's CPU extensions in
# place from its source, for bench/implicit_scale.py (make bench-scale runs
# it when the build is there). Nothing of implicit is committed here.
#
# Debian packages only (no PyPI): cython3 python3-numpy python3-scipy python3-tqdm
# python3-threadpoolctl
# python3-dev g++. Upstream builds with scikit-build/cmake; this is the same
# thing by hand: cython3 --cplus on each .pyx, g++ -O3 -fopenmp into a module
# next to it. The source comes from github:benfred/implicit at tag v0.7.3
# (IMPLICIT_SRC: a git repository or URL to clone; default the mirror the
# session's fetch tool leaves under /work/.mirror).
# Result: DIR/src with `import implicit` working from PYTHONPATH=DIR/src.
set -euo pipefail
dir=${1:-/work/implicit-build}
src=${IMPLICIT_SRC:-/work/.mirror/benfred+implicit/repo}
py=/usr/bin/python3
if ! command -v cython3 >/dev/null || ! $py -c 'import numpy, scipy, tqdm, threadpoolctl' 2>/dev/null; then
  apt-get install -y cython3 python3-numpy python3-scipy python3-tqdm python3-threadpoolctl python3-dev g++ >/dev/null
fi
mkdir -p "$dir"
if [ ! -d "$dir/src/.git" ]; then
  git clone -q "$src" "$dir/src"
fi
cd "$dir/src"
git checkout -q v0.7.3
inc="$($py -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
npinc="$($py -c 'import numpy; print(numpy.get_include())')"
suffix="$($py -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')"
for pyx in implicit/cpu/_als.pyx implicit/cpu/topk.pyx implicit/cpu/bpr.pyx implicit/cpu/lmf.pyx \
           implicit/_nearest_neighbours.pyx implicit/evaluation.pyx; do
  base=${pyx%.pyx}
  [ -f "$base$suffix" ] && [ "$base$suffix" -nt "$pyx" ] && continue
  echo "implicit_build: $pyx" >&2
  cython3 -3 --cplus -o "$base.cxx" "$pyx"
  g++ -O3 -march=native -fopenmp -shared -fPIC -std=c++14 -w -I"$inc" -I"$npinc" \
    -I. -Iimplicit -Iimplicit/cpu -o "$base$suffix" "$base.cxx"
done
# implicit/gpu is optional upstream: without its module implicit.gpu.HAS_CUDA is False
PYTHONPATH="$dir/src" $py -c 'import implicit, implicit.cpu._als, implicit.cpu.topk; print("implicit_build: ok", implicit.__version__)'
