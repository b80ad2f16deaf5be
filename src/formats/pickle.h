/* src/pickle.h: a pickle reader that never executes anything.
 *
 * ckpt__pk_parse() interprets the opcodes of one pickle (protocols 0-5, binary
 * opcodes plus GLOBAL/GET/PUT) into a small object tree. Calls are never
 * made: REDUCE/NEWOBJ become PK_CALL nodes (callable + arguments) that the
 * caller interprets, and a GLOBAL is only accepted when it is on the
 * allow-list below (torch tensor rebuilders, storage classes, dtypes,
 * OrderedDict, ...). Anything else fails with CKPT_E_UNSAFE:
 *   "refused unsafe pickle global 'posix.system' at byte N".
 * Everything is bounded (stack, marks, memo, objects, string lengths against
 * the bytes left); a malformed stream fails with CKPT_E_FORMAT and the byte
 * offset. Objects live in the VM's arena and are freed with it; the memo
 * makes the tree a graph (shared nodes, even cycles), so walkers must bound
 * their depth and visits.
 */
#ifndef CKPT_PICKLE_H
#define CKPT_PICKLE_H

#include <stddef.h>
#include <stdint.h>

#include "ckpt/err.h"

typedef enum pk_kind {
    PK_NONE, PK_BOOL, PK_INT, PK_BIGINT, PK_FLOAT, PK_STR, PK_BYTES,
    PK_TUPLE, PK_LIST, PK_DICT, PK_SET,
    PK_GLOBAL,   /* an allowed global: `g` says which */
    PK_CALL,     /* REDUCE / NEWOBJ of an allowed global: fn, args (a tuple) */
    PK_PERSID,   /* persistent id: args = the pid object */
} pk_kind;

/* The allow-list, as resolved ids. */
typedef enum pk_global {
    PKG_NONE = 0,
    PKG_ORDERED_DICT,        /* collections.OrderedDict */
    PKG_REBUILD_TENSOR,      /* torch._utils._rebuild_tensor (storage, offset, size, stride) */
    PKG_REBUILD_TENSOR_V2,   /* torch._utils._rebuild_tensor_v2 */
    PKG_REBUILD_TENSOR_V3,   /* torch._utils._rebuild_tensor_v3 (..., dtype, metadata) */
    PKG_REBUILD_PARAMETER,   /* torch._utils._rebuild_parameter(data, requires_grad, hooks) */
    PKG_REBUILD_PARAMETER_STATE, /* torch._utils._rebuild_parameter_with_state */
    PKG_REBUILD_FROM_TYPE_V2,/* torch._tensor._rebuild_from_type_v2(func, type, args, state) */
    PKG_PARAMETER,           /* torch.nn.parameter.Parameter */
    PKG_TENSOR,              /* torch.Tensor */
    PKG_SIZE,                /* torch.Size */
    PKG_DEVICE,              /* torch.device */
    PKG_STORAGE,             /* torch.FloatStorage, ..., torch.UntypedStorage: `sub` = dtype id */
    PKG_DTYPE,               /* torch.float32, ...: `sub` = dtype id */
    PKG_CODECS_ENCODE,       /* _codecs.encode (bytes in protocol 2) */
} pk_global;

/* Torch element types (sub-ids of PKG_STORAGE / PKG_DTYPE). */
typedef enum pk_tdtype {
    PKT_UNTYPED = 0,         /* torch.UntypedStorage: the dtype comes from elsewhere */
    PKT_F32, PKT_F64, PKT_F16, PKT_BF16, PKT_I64, PKT_I32, PKT_I16, PKT_I8, PKT_U8, PKT_BOOL,
    PKT_U16, PKT_U32, PKT_U64, PKT_F8_E4M3, PKT_F8_E5M2,
    PKT_UNSUPPORTED,         /* complex, quantized, float8 *fnuz: known but not holdable */
} pk_tdtype;

typedef struct pk_obj pk_obj;
struct pk_obj {
    pk_kind kind;
    int64_t i;               /* BOOL, INT */
    double f;                /* FLOAT */
    char *s;                 /* STR (UTF-8, NUL-terminated), BYTES, GLOBAL ("module.name") */
    size_t slen;
    pk_obj **items;          /* TUPLE, LIST, SET; DICT: key, value, key, value ... */
    int n, cap;
    pk_obj *fn, *args;       /* CALL: the global and the argument tuple; PERSID: args */
    pk_obj *state;           /* BUILD state, if any */
    pk_global g;             /* GLOBAL, and CALL (copied from fn) */
    int sub;                 /* GLOBAL/CALL: pk_tdtype for storages and dtypes */
    int newobj;              /* CALL made by NEWOBJ */
    uint64_t at;             /* byte offset of the opcode that made it */
};

typedef struct pk_vm pk_vm;

typedef struct pk_limits {
    size_t max_objects;      /* 0 = default (16M) */
    size_t max_stack;        /* 0 = default (1M) */
} pk_limits;

/* Parse one pickle from buf[0..n) (stops at STOP). `base` is added to byte
 * offsets in messages (the pickle's position in its file). On success
 * *root is the result and *used the bytes consumed (through STOP).
 * The objects stay valid until ckpt__pk_free(vm). */
pk_vm *ckpt__pk_new(const pk_limits *lim);
int ckpt__pk_parse(pk_vm *vm, const unsigned char *buf, size_t n, uint64_t base, pk_obj **root,
             size_t *used, ckpt_err *err);
void ckpt__pk_free(pk_vm *vm);
/* 1 when the last ckpt__pk_parse failed only because the bytes ran out. */
int ckpt__pk_truncated(const pk_vm *vm);

/* Helpers for walkers */
const char *ckpt__pk_kind_name(pk_kind k);
const char *ckpt__pk_tdtype_name(int t);        /* "float32" */
/* Dict lookup by string key, or NULL. */
pk_obj *ckpt__pk_dict_get(const pk_obj *d, const char *key);

#endif
