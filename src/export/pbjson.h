/* src/export/pbjson.h: protobuf messages from their proto3 JSON form, driven
 * by protobuf-c's descriptors (TF.js keeps a GraphDef as the JSON that
 * protobuf's MessageToJson writes: camelCase names, int64 as strings, bytes
 * as base64, enums by name, maps as objects). */
#ifndef CKPT_PBJSON_H
#define CKPT_PBJSON_H

#include <cjson/cJSON.h>
#include <protobuf-c/protobuf-c.h>

#include "internal.h"

/* A new message of type `d` filled from the JSON object `j` (NULL: an empty
 * message). Unknown keys are skipped, as proto3 JSON parsers may; a value of
 * the wrong kind is CKPT_E_FORMAT naming `what` and the field path. Free
 * with protobuf_c_message_free_unpacked(msg, NULL). */
ProtobufCMessage *ckpt__pbjson_new(const ProtobufCMessageDescriptor *d, const cJSON *j, const char *what,
                                   ckpt_err *err);

/* A fresh empty message of type `d` (malloc'd), or NULL. */
ProtobufCMessage *ckpt__pb_new(const ProtobufCMessageDescriptor *d);

#endif
