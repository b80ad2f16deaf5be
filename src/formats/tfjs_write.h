/* src/formats/tfjs_write.h: writing TF.js layers models (--to tfjs).
 *
 * tfjs_topology.c turns a Keras model config (Keras 2 / tf.keras, Keras 3,
 * or a TF.js layers model's own) into the tf.keras JSON form that
 * tf.loadLayersModel of @tensorflow/tfjs 4.x deserializes; tfjs_write.c
 * streams the weights into group1-shardKofN.bin files (quantized on the
 * way when asked) and writes model.json. */
#ifndef CKPT_TFJS_WRITE_H
#define CKPT_TFJS_WRITE_H

#include <cjson/cJSON.h>

#include "internal.h"

/* The tf.keras form of a Keras model config (JSON text): a new cJSON
 * object for modelTopology's "model_config", or NULL with err set
 * (CKPT_E_UNSUPPORTED naming the layer that has no TF.js form). */
cJSON *ckpt__tfjs_translate_config(const char *json, size_t len, ckpt_err *err);

/* The format's writer slots (fmt_tfjs.c holds the vtable). */
int ckpt__tfjs_can_write(const ckpt_model *m, char *why, size_t n);
int ckpt__tfjs_write_begin(ckpt_writer *w, ckpt_err *err);
int ckpt__tfjs_write(ckpt_writer *w, int i, uint64_t off, const void *buf, size_t n, ckpt_err *err);
int ckpt__tfjs_write_end(ckpt_writer *w, ckpt_err *err);
void ckpt__tfjs_write_abort(ckpt_writer *w);

#endif
