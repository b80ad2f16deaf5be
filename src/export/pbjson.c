/* src/export/pbjson.c: proto3 JSON -> protobuf-c message, by descriptor.
 *
 * One walker for every message type, so a GraphDef with any op, attr or
 * function library carries over without per-op code. The JSON is untrusted
 * (model.json): depth is bounded, every value is checked against its field
 * type, and a message is always left freeable by
 * protobuf_c_message_free_unpacked (fields are set only when whole). */
#include "export/pbjson.h"

#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct {
    const char *what;
    ckpt_err *err;
    char path[256];    /* field path, for messages */
} pbj;

static int pbj_fail(pbj *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int pbj_fail(pbj *c, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ckpt_err_set(c->err, CKPT_E_FORMAT, "%s: field '%s': %s", c->what, c->path, msg);
}

static int pbj_nomem(pbj *c) { return ckpt_err_set(c->err, CKPT_E_NOMEM, "out of memory"); }

ProtobufCMessage *ckpt__pb_new(const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *m = malloc(d->sizeof_message);
    if (m) protobuf_c_message_init(d, m);
    return m;
}

/* "tensorShape" names the field "tensor_shape": compare without '_', ignoring case. */
static int name_match(const char *field, const char *key)
{
    while (*field || *key) {
        if (*field == '_') { field++; continue; }
        if (*key == '_') { key++; continue; }
        char a = *field, b = *key;
        if (a >= 'A' && a <= 'Z') a += 32;
        if (b >= 'A' && b <= 'Z') b += 32;
        if (a != b) return 0;
        field++, key++;
    }
    return 1;
}

static const ProtobufCFieldDescriptor *find_field(const ProtobufCMessageDescriptor *d, const char *key)
{
    for (unsigned i = 0; i < d->n_fields; i++)
        if (name_match(d->fields[i].name, key)) return &d->fields[i];
    return NULL;
}

static size_t elem_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE: return sizeof(ProtobufCMessage *);
    default: return 4;
    }
}

/* Integers come as JSON numbers or (64-bit ones, by the JSON mapping) strings. */
static int json_int(pbj *c, const cJSON *v, int is_unsigned, int64_t lo, int64_t hi, int64_t *out)
{
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || floor(d) != d)
            return pbj_fail(c, "%g is not an integer", d);
        *out = (int64_t)d;
    } else if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        char *end;
        errno = 0;
        if (is_unsigned) {
            if (*s == '-') return pbj_fail(c, "'%.40s' is negative", s);
            unsigned long long u = strtoull(s, &end, 10);
            if (u > (unsigned long long)INT64_MAX && hi == INT64_MAX) { *out = (int64_t)u; if (!errno && end != s && !*end) return 0; }
            *out = (int64_t)u;
        } else {
            *out = strtoll(s, &end, 10);
        }
        if (errno || end == s || *end) return pbj_fail(c, "'%.40s' is not an integer", s);
    } else {
        return pbj_fail(c, "not an integer");
    }
    if (*out < lo || *out > hi) return pbj_fail(c, "%lld is out of range", (long long)*out);
    return 0;
}

static int json_float(pbj *c, const cJSON *v, double *out)
{
    if (cJSON_IsNumber(v)) { *out = v->valuedouble; return 0; }
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        if (!strcmp(s, "NaN")) { *out = NAN; return 0; }
        if (!strcmp(s, "Infinity")) { *out = INFINITY; return 0; }
        if (!strcmp(s, "-Infinity")) { *out = -INFINITY; return 0; }
        char *end;
        *out = strtod(s, &end);
        if (end != s && !*end) return 0;
    }
    return pbj_fail(c, "not a number");
}

/* Base64 (standard or URL-safe alphabet, padding optional) through
 * OpenSSL's decoder. */
static int json_bytes(pbj *c, const cJSON *v, ProtobufCBinaryData *out)
{
    if (!cJSON_IsString(v)) return pbj_fail(c, "bytes must be a base64 string");
    size_t n = strlen(v->valuestring);
    char *s = malloc(n + 4);
    if (!s) return pbj_nomem(c);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = v->valuestring[i];
        s[k++] = ch == '-' ? '+' : ch == '_' ? '/' : ch;
    }
    while (k % 4) s[k++] = '=';
    s[k] = 0;
    unsigned char *d = malloc(k / 4 * 3 + 1);
    int r = d ? EVP_DecodeBlock(d, (unsigned char *)s, (int)k) : -2;
    size_t pad = 0;
    while (pad < 2 && k > pad && s[k - 1 - pad] == '=') pad++;
    free(s);
    if (r == -2) return pbj_nomem(c);
    if (r < 0 || (size_t)r < pad) { free(d); return pbj_fail(c, "not valid base64"); }
    out->data = d;
    out->len = (size_t)r - pad;
    return 0;
}

static int fill(pbj *c, ProtobufCMessage *m, const cJSON *j, int depth);

/* One value of field f into the storage at p (a scalar, a pointer or a
 * binary). */
static int set_value(pbj *c, const ProtobufCFieldDescriptor *f, void *p, const cJSON *v, int depth)
{
    int64_t i;
    double d;
    int rc;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
        if ((rc = json_int(c, v, 0, INT32_MIN, INT32_MAX, &i))) return rc;
        *(int32_t *)p = (int32_t)i;
        return 0;
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
        if ((rc = json_int(c, v, 1, 0, UINT32_MAX, &i))) return rc;
        *(uint32_t *)p = (uint32_t)i;
        return 0;
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
        if ((rc = json_int(c, v, f->type == PROTOBUF_C_TYPE_UINT64 || f->type == PROTOBUF_C_TYPE_FIXED64,
                           INT64_MIN, INT64_MAX, &i))) return rc;
        *(int64_t *)p = i;
        return 0;
    case PROTOBUF_C_TYPE_FLOAT:
        if ((rc = json_float(c, v, &d))) return rc;
        *(float *)p = (float)d;
        return 0;
    case PROTOBUF_C_TYPE_DOUBLE:
        if ((rc = json_float(c, v, &d))) return rc;
        *(double *)p = d;
        return 0;
    case PROTOBUF_C_TYPE_BOOL:
        if (!cJSON_IsBool(v)) return pbj_fail(c, "not true or false");
        *(protobuf_c_boolean *)p = cJSON_IsTrue(v);
        return 0;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *ed = f->descriptor;
        if (cJSON_IsString(v)) {
            const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(ed, v->valuestring);
            if (!ev) return pbj_fail(c, "unknown %s '%.40s'", ed->short_name, v->valuestring);
            *(int *)p = ev->value;
            return 0;
        }
        if ((rc = json_int(c, v, 0, INT32_MIN, INT32_MAX, &i))) return rc;
        *(int *)p = (int)i;   /* open enum: unknown numbers kept */
        return 0;
    }
    case PROTOBUF_C_TYPE_STRING:
        if (!cJSON_IsString(v)) return pbj_fail(c, "not a string");
        {
            char *dup = ckpt__strdup(v->valuestring);
            if (!dup) return pbj_nomem(c);
            *(char **)p = dup;
        }
        return 0;
    case PROTOBUF_C_TYPE_BYTES:
        return json_bytes(c, v, p);
    case PROTOBUF_C_TYPE_MESSAGE: {
        if (!cJSON_IsObject(v)) return pbj_fail(c, "not an object");
        ProtobufCMessage *sub = ckpt__pb_new(f->descriptor);
        if (!sub) return pbj_nomem(c);
        if ((rc = fill(c, sub, v, depth + 1))) { protobuf_c_message_free_unpacked(sub, NULL); return rc; }
        *(ProtobufCMessage **)p = sub;
        return 0;
    }
    }
    return pbj_fail(c, "unsupported field type");
}

/* A map field is a repeated entry message {key = 1, value = 2}: one entry
 * per member of the JSON object. */
static int set_map_entry(pbj *c, const ProtobufCFieldDescriptor *f, void *slot, const cJSON *member, int depth)
{
    const ProtobufCMessageDescriptor *ed = f->descriptor;
    ProtobufCMessage *e = ckpt__pb_new(ed);
    if (!e) return pbj_nomem(c);
    const ProtobufCFieldDescriptor *kf = protobuf_c_message_descriptor_get_field(ed, 1);
    const ProtobufCFieldDescriptor *vf = protobuf_c_message_descriptor_get_field(ed, 2);
    cJSON *key = cJSON_CreateString(member->string ? member->string : "");
    int rc = !key || !kf || !vf ? pbj_nomem(c) : 0;
    if (!rc) rc = set_value(c, kf, (char *)e + kf->offset, key, depth);
    if (!rc) rc = set_value(c, vf, (char *)e + vf->offset, member, depth);
    cJSON_Delete(key);
    if (rc) { protobuf_c_message_free_unpacked(e, NULL); return rc; }
    *(ProtobufCMessage **)slot = e;
    return 0;
}

static int set_repeated(pbj *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, const cJSON *v, int depth)
{
    size_t *np = (size_t *)((char *)m + f->quantifier_offset);
    void **arr = (void **)((char *)m + f->offset);
    int is_map = f->type == PROTOBUF_C_TYPE_MESSAGE &&
                 (((const ProtobufCMessageDescriptor *)f->descriptor)->n_fields == 2) &&
                 ckpt__ends_with(((const ProtobufCMessageDescriptor *)f->descriptor)->name, "Entry");
    if (*np) return pbj_fail(c, "given twice");
    if (is_map ? !cJSON_IsObject(v) : !cJSON_IsArray(v)) return pbj_fail(c, is_map ? "not an object" : "not an array");
    int n = cJSON_GetArraySize(v);
    if (!n) return 0;
    size_t es = elem_size(f->type);
    char *a = calloc((size_t)n, es);
    if (!a) return pbj_nomem(c);
    *arr = a;
    const cJSON *it;
    cJSON_ArrayForEach(it, v) {
        int rc = is_map ? set_map_entry(c, f, a + *np * es, it, depth) : set_value(c, f, a + *np * es, it, depth);
        if (rc) return rc;   /* the *np elements set so far stay freeable */
        (*np)++;
    }
    return 0;
}

static int fill(pbj *c, ProtobufCMessage *m, const cJSON *j, int depth)
{
    if (depth > MAX_DEPTH) return pbj_fail(c, "nested deeper than %d", MAX_DEPTH);
    if (!j) return 0;
    if (!cJSON_IsObject(j)) return pbj_fail(c, "not an object");
    const ProtobufCMessageDescriptor *d = m->descriptor;
    size_t plen = strlen(c->path);
    const cJSON *v;
    int rc = 0;
    cJSON_ArrayForEach(v, j) {
        const ProtobufCFieldDescriptor *f = v->string ? find_field(d, v->string) : NULL;
        if (!f || cJSON_IsNull(v)) continue;
        snprintf(c->path + plen, sizeof c->path - plen, "%s%s", plen ? "." : "", v->string);
        void *p = (char *)m + f->offset;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            rc = set_repeated(c, m, f, v, depth);
        } else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t *cs = (uint32_t *)((char *)m + f->quantifier_offset);
            if (*cs) rc = pbj_fail(c, "a second member of a oneof");
            else if (!(rc = set_value(c, f, p, v, depth))) *cs = f->id;
        } else {
            int set_already = (f->type == PROTOBUF_C_TYPE_MESSAGE && *(void **)p) ||
                              (f->type == PROTOBUF_C_TYPE_STRING && *(char **)p &&
                               *(char **)p != f->default_value) ||
                              (f->type == PROTOBUF_C_TYPE_BYTES && ((ProtobufCBinaryData *)p)->data);
            if (set_already) rc = pbj_fail(c, "given twice");
            else {
                rc = set_value(c, f, p, v, depth);
                if (!rc && f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_MESSAGE &&
                    f->type != PROTOBUF_C_TYPE_STRING)
                    *(protobuf_c_boolean *)((char *)m + f->quantifier_offset) = 1;
            }
        }
        c->path[plen] = 0;
        if (rc) return rc;
    }
    return 0;
}

ProtobufCMessage *ckpt__pbjson_new(const ProtobufCMessageDescriptor *d, const cJSON *j, const char *what,
                                   ckpt_err *err)
{
    pbj c = {.what = what, .err = err};
    ProtobufCMessage *m = ckpt__pb_new(d);
    if (!m) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), NULL;
    if (fill(&c, m, j, 0)) {
        protobuf_c_message_free_unpacked(m, NULL);
        return NULL;
    }
    return m;
}
