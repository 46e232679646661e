/*
 * clones.h - RS_CLONES: build a hot kernel twice, AVX2+FMA and baseline, and
 * pick one at load time (GCC's target_clones). x86-64 only: elsewhere it is
 * empty and the kernel is built once for the target. GCC exports the ifunc
 * of a cloned function that is not static whatever -fvisibility (or a
 * visibility attribute) says; the bindings link the core archive with
 * --exclude-libs,ALL, which makes it local like every other core symbol.
 */
#ifndef RS_CLONES_H
#define RS_CLONES_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define RS_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define RS_CLONES
#endif

#endif
