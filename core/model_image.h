/*
 * model_image.h - the serving image of a model (model_image.c): every array
 * of an rs_model, derived ones included, 64-byte aligned in one file that
 * many processes map read-only. Part of internal.h; the bindings use the
 * declarations in recsys.h.
 */
#ifndef RS_MODEL_IMAGE_H
#define RS_MODEL_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Format of the image file; bump on any change of its layout. */
#define RS_IMAGE_FORMAT 1
#define RS_IMAGE_ALIGN 64

/* Frees a mapped model's small malloc'd parts (struct, part arrays) and
 * unmaps the image at the root (rs_model_destroy calls it). */
void rs_model_image_release(rs_model *m);

#endif
