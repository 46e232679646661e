/*
 * internal.h - structures and helpers shared between core files, by concern:
 *   util.h     errors, allocation, id maps, sparse rows, random numbers, text, time
 *   config.h   algorithm ids, training configuration, side tables, the builder
 *   model.h    the trained model in memory
 *   algo.h     training: algorithm context and registry, kernels, neighbours, threads
 *   serving.h  the serving pipeline: re-ranking, filters, top-k, scoring, explanations
 * Nothing here is part of the public API (recsys.h); unit tests may use it.
 */
#ifndef RS_INTERNAL_H
#define RS_INTERNAL_H

#include "serving.h"

#endif /* RS_INTERNAL_H */
