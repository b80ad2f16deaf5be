/* src/pickle.c: a pickle interpreter that builds objects and calls nothing.
 *
 * Safety rests on an allow-list (formats-and-anchors.md 1.13: torch's
 * weights-only unpickler and fickling's ML allow-list): GLOBAL and
 * STACK_GLOBAL resolve only the names below; every other name is refused
 * where it appears, before anything else happens. Deny-lists are bypassed
 * again and again (importlib, marshal, memo tricks), so there is none here.
 * Even an allowed name is never called: REDUCE/NEWOBJ only record
 * (callable, args) for the caller to interpret as data.
 */
#include "pickle.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define DEF_MAX_OBJECTS (16u << 20)
#define DEF_MAX_STACK (1u << 20)
#define MAX_MARKS (1u << 16)
#define ARENA_BLOCK 256

typedef struct arena_blk {
    struct arena_blk *next;
    int used;
    pk_obj o[ARENA_BLOCK];
} arena_blk;

struct pk_vm {
    pk_limits lim;
    arena_blk *blocks;
    size_t nobjects;
    pk_obj **stack; size_t sp, scap;
    size_t *marks; size_t nmarks, mcap;
    pk_obj **memo; size_t memocap, memolen;
    pk_obj none_obj;
    int truncated;           /* the last parse ran out of bytes */
};

/* ---- the allow-list ---- */

typedef struct allowed {
    const char *module, *name;
    pk_global g;
    int sub;
} allowed;

static const allowed allow[] = {
    {"collections", "OrderedDict", PKG_ORDERED_DICT, 0},
    {"torch._utils", "_rebuild_tensor", PKG_REBUILD_TENSOR, 0},
    {"torch._utils", "_rebuild_tensor_v2", PKG_REBUILD_TENSOR_V2, 0},
    {"torch._utils", "_rebuild_tensor_v3", PKG_REBUILD_TENSOR_V3, 0},
    {"torch._utils", "_rebuild_parameter", PKG_REBUILD_PARAMETER, 0},
    {"torch._utils", "_rebuild_parameter_with_state", PKG_REBUILD_PARAMETER_STATE, 0},
    {"torch._tensor", "_rebuild_from_type_v2", PKG_REBUILD_FROM_TYPE_V2, 0},
    {"torch.nn.parameter", "Parameter", PKG_PARAMETER, 0},
    {"torch", "Tensor", PKG_TENSOR, 0},
    {"torch", "Size", PKG_SIZE, 0},
    {"torch", "device", PKG_DEVICE, 0},
    {"_codecs", "encode", PKG_CODECS_ENCODE, 0},
    /* storage classes (torch/storage.py _LegacyStorage subclasses) */
    {"torch", "FloatStorage", PKG_STORAGE, PKT_F32},
    {"torch", "DoubleStorage", PKG_STORAGE, PKT_F64},
    {"torch", "HalfStorage", PKG_STORAGE, PKT_F16},
    {"torch", "BFloat16Storage", PKG_STORAGE, PKT_BF16},
    {"torch", "LongStorage", PKG_STORAGE, PKT_I64},
    {"torch", "IntStorage", PKG_STORAGE, PKT_I32},
    {"torch", "ShortStorage", PKG_STORAGE, PKT_I16},
    {"torch", "CharStorage", PKG_STORAGE, PKT_I8},
    {"torch", "ByteStorage", PKG_STORAGE, PKT_U8},
    {"torch", "BoolStorage", PKG_STORAGE, PKT_BOOL},
    /* torch >= 2.1 (float8) and >= 2.3 (unsigned) name these too */
    {"torch", "UInt16Storage", PKG_STORAGE, PKT_U16},
    {"torch", "UInt32Storage", PKG_STORAGE, PKT_U32},
    {"torch", "UInt64Storage", PKG_STORAGE, PKT_U64},
    {"torch", "Float8_e4m3fnStorage", PKG_STORAGE, PKT_F8_E4M3},
    {"torch", "Float8_e5m2Storage", PKG_STORAGE, PKT_F8_E5M2},
    {"torch", "UntypedStorage", PKG_STORAGE, PKT_UNTYPED},
    {"torch", "ComplexFloatStorage", PKG_STORAGE, PKT_UNSUPPORTED},
    {"torch", "ComplexDoubleStorage", PKG_STORAGE, PKT_UNSUPPORTED},
    {"torch", "QInt8Storage", PKG_STORAGE, PKT_UNSUPPORTED},
    {"torch", "QUInt8Storage", PKG_STORAGE, PKT_UNSUPPORTED},
    {"torch", "QInt32Storage", PKG_STORAGE, PKT_UNSUPPORTED},
    {"torch", "QUInt4x2Storage", PKG_STORAGE, PKT_UNSUPPORTED},
    {"torch", "QUInt2x4Storage", PKG_STORAGE, PKT_UNSUPPORTED},
    /* dtypes */
    {"torch", "float32", PKG_DTYPE, PKT_F32}, {"torch", "float", PKG_DTYPE, PKT_F32},
    {"torch", "float64", PKG_DTYPE, PKT_F64}, {"torch", "double", PKG_DTYPE, PKT_F64},
    {"torch", "float16", PKG_DTYPE, PKT_F16}, {"torch", "half", PKG_DTYPE, PKT_F16},
    {"torch", "bfloat16", PKG_DTYPE, PKT_BF16},
    {"torch", "int64", PKG_DTYPE, PKT_I64}, {"torch", "long", PKG_DTYPE, PKT_I64},
    {"torch", "int32", PKG_DTYPE, PKT_I32}, {"torch", "int", PKG_DTYPE, PKT_I32},
    {"torch", "int16", PKG_DTYPE, PKT_I16}, {"torch", "short", PKG_DTYPE, PKT_I16},
    {"torch", "int8", PKG_DTYPE, PKT_I8}, {"torch", "uint8", PKG_DTYPE, PKT_U8},
    {"torch", "bool", PKG_DTYPE, PKT_BOOL},
    {"torch", "uint16", PKG_DTYPE, PKT_U16}, {"torch", "uint32", PKG_DTYPE, PKT_U32},
    {"torch", "uint64", PKG_DTYPE, PKT_U64},
    {"torch", "float8_e4m3fn", PKG_DTYPE, PKT_F8_E4M3},
    {"torch", "float8_e5m2", PKG_DTYPE, PKT_F8_E5M2},
    {"torch", "float8_e4m3fnuz", PKG_DTYPE, PKT_UNSUPPORTED},
    {"torch", "float8_e5m2fnuz", PKG_DTYPE, PKT_UNSUPPORTED},
    {"torch", "complex64", PKG_DTYPE, PKT_UNSUPPORTED}, {"torch", "cfloat", PKG_DTYPE, PKT_UNSUPPORTED},
    {"torch", "complex128", PKG_DTYPE, PKT_UNSUPPORTED}, {"torch", "cdouble", PKG_DTYPE, PKT_UNSUPPORTED},
    {"torch", "complex32", PKG_DTYPE, PKT_UNSUPPORTED},
    {"torch", "qint8", PKG_DTYPE, PKT_UNSUPPORTED}, {"torch", "quint8", PKG_DTYPE, PKT_UNSUPPORTED},
    {"torch", "qint32", PKG_DTYPE, PKT_UNSUPPORTED}, {"torch", "quint4x2", PKG_DTYPE, PKT_UNSUPPORTED},
};

static const char *const tdtype_names[] = {
    "untyped", "float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8",
    "uint8", "bool", "uint16", "uint32", "uint64", "float8_e4m3fn", "float8_e5m2", "unsupported",
};

const char *ckpt__pk_tdtype_name(int t)
{
    return t >= 0 && t <= PKT_UNSUPPORTED ? tdtype_names[t] : "?";
}

const char *ckpt__pk_kind_name(pk_kind k)
{
    static const char *const n[] = {"None", "bool", "int", "int", "float", "str", "bytes", "tuple",
                                    "list", "dict", "set", "global", "call", "persistent id"};
    return (unsigned)k < sizeof n / sizeof n[0] ? n[k] : "?";
}

/* ---- VM plumbing ---- */

pk_vm *ckpt__pk_new(const pk_limits *lim)
{
    pk_vm *vm = calloc(1, sizeof *vm);
    if (!vm) return NULL;
    if (lim) vm->lim = *lim;
    if (!vm->lim.max_objects) vm->lim.max_objects = DEF_MAX_OBJECTS;
    if (!vm->lim.max_stack) vm->lim.max_stack = DEF_MAX_STACK;
    vm->none_obj.kind = PK_NONE;
    return vm;
}

void ckpt__pk_free(pk_vm *vm)
{
    if (!vm) return;
    arena_blk *b = vm->blocks;
    while (b) {
        for (int i = 0; i < b->used; i++) {
            free(b->o[i].s);
            free(b->o[i].items);
        }
        arena_blk *nx = b->next;
        free(b);
        b = nx;
    }
    free(vm->stack);
    free(vm->marks);
    free(vm->memo);
    free(vm);
}

typedef struct rd {
    pk_vm *vm;
    const unsigned char *p;
    size_t n, pos;
    uint64_t base;
    uint64_t op_at;          /* offset of the current opcode, in the file */
    ckpt_err *err;
} rd;

static int bad(rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(rd *r, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ckpt_err_set(r->err, CKPT_E_FORMAT, "malformed pickle: %s", msg);
    ckpt_err_at_offset(r->err, r->op_at);
    return CKPT_E_FORMAT;
}

static int nomem(rd *r)
{
    return ckpt_err_set(r->err, CKPT_E_NOMEM, "out of memory reading a pickle");
}

static pk_obj *obj_new(rd *r, pk_kind k)
{
    pk_vm *vm = r->vm;
    if (vm->nobjects >= vm->lim.max_objects) {
        bad(r, "more than %zu objects", vm->lim.max_objects);
        return NULL;
    }
    if (!vm->blocks || vm->blocks->used == ARENA_BLOCK) {
        arena_blk *b = malloc(sizeof *b);
        if (!b) { nomem(r); return NULL; }
        b->used = 0;
        b->next = vm->blocks;
        vm->blocks = b;
    }
    pk_obj *o = &vm->blocks->o[vm->blocks->used++];
    memset(o, 0, sizeof *o);
    o->kind = k;
    o->at = r->op_at;
    vm->nobjects++;
    return o;
}

static int obj_push_item(rd *r, pk_obj *c, pk_obj *it)
{
    if (c->n == c->cap) {
        int nc = c->cap ? c->cap * 2 : 4;
        if (nc < 0 || (size_t)nc > r->vm->lim.max_objects * 2) return bad(r, "container too large");
        pk_obj **ni = realloc(c->items, (size_t)nc * sizeof *ni);
        if (!ni) return nomem(r);
        c->items = ni;
        c->cap = nc;
    }
    c->items[c->n++] = it;
    return 0;
}

static int push(rd *r, pk_obj *o)
{
    pk_vm *vm = r->vm;
    if (!o) return r->err && r->err->code ? (int)r->err->code : CKPT_E_NOMEM;
    if (vm->sp == vm->scap) {
        if (vm->sp >= vm->lim.max_stack) return bad(r, "stack deeper than %zu", vm->lim.max_stack);
        size_t nc = vm->scap ? vm->scap * 2 : 64;
        pk_obj **ns = realloc(vm->stack, nc * sizeof *ns);
        if (!ns) return nomem(r);
        vm->stack = ns;
        vm->scap = nc;
    }
    vm->stack[vm->sp++] = o;
    return 0;
}

/* Items above the current mark (not below it). */
static size_t mark_floor(rd *r) { return r->vm->nmarks ? r->vm->marks[r->vm->nmarks - 1] : 0; }

static pk_obj *pop(rd *r)
{
    pk_vm *vm = r->vm;
    if (vm->sp <= mark_floor(r)) {
        bad(r, vm->sp ? "pop below a MARK" : "stack underflow");
        return NULL;
    }
    return vm->stack[--vm->sp];
}

static pk_obj *top(rd *r)
{
    pk_vm *vm = r->vm;
    if (vm->sp <= mark_floor(r)) {
        bad(r, "stack underflow");
        return NULL;
    }
    return vm->stack[vm->sp - 1];
}

/* Pop to the last MARK: returns the first index of the items (still in the
 * stack array, valid until the next push) and their count. */
static int pop_mark(rd *r, size_t *first, size_t *count)
{
    pk_vm *vm = r->vm;
    if (!vm->nmarks) return bad(r, "no MARK on the stack");
    size_t m = vm->marks[--vm->nmarks];
    *first = m;
    *count = vm->sp - m;
    vm->sp = m;
    return 0;
}

static int need(rd *r, size_t k)
{
    if (r->n - r->pos < k) r->vm->truncated = 1;
    if (r->n - r->pos < k) return bad(r, "truncated (needs %zu more bytes, %zu left)", k, r->n - r->pos);
    return 0;
}

static uint64_t le(const unsigned char *p, int k)
{
    uint64_t v = 0;
    for (int i = k - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static int memo_put(rd *r, uint64_t idx, pk_obj *o)
{
    pk_vm *vm = r->vm;
    if (!o) return bad(r, "memo put of nothing");
    if (idx >= vm->lim.max_objects) return bad(r, "memo index %llu too large", (unsigned long long)idx);
    if (idx >= vm->memocap) {
        size_t nc = vm->memocap ? vm->memocap : 64;
        while (nc <= idx) nc *= 2;
        pk_obj **nm = realloc(vm->memo, nc * sizeof *nm);
        if (!nm) return nomem(r);
        memset(nm + vm->memocap, 0, (nc - vm->memocap) * sizeof *nm);
        vm->memo = nm;
        vm->memocap = nc;
    }
    if (!vm->memo[idx]) vm->memolen++;
    vm->memo[idx] = o;
    return 0;
}

static int memo_get(rd *r, uint64_t idx)
{
    pk_vm *vm = r->vm;
    if (idx >= vm->memocap || !vm->memo[idx])
        return bad(r, "memo key %llu was never stored", (unsigned long long)idx);
    return push(r, vm->memo[idx]);
}

/* ---- globals ---- */

static int resolve_global(rd *r, const char *mod, size_t ml, const char *name, size_t nl)
{
    for (size_t i = 0; i < sizeof allow / sizeof allow[0]; i++) {
        if (strlen(allow[i].module) == ml && !memcmp(allow[i].module, mod, ml) &&
            strlen(allow[i].name) == nl && !memcmp(allow[i].name, name, nl)) {
            pk_obj *o = obj_new(r, PK_GLOBAL);
            if (!o) return nomem(r);
            o->g = allow[i].g;
            o->sub = allow[i].sub;
            o->s = ckpt__asprintf("%s.%s", allow[i].module, allow[i].name);
            if (!o->s) return nomem(r);
            return push(r, o);
        }
    }
    /* Print the name safely: it is attacker-controlled. */
    char shown[200];
    size_t k = 0;
    for (size_t i = 0; i < ml + 1 + nl && k + 5 < sizeof shown; i++) {
        unsigned char c = i < ml ? (unsigned char)mod[i] : i == ml ? '.' : (unsigned char)name[i - ml - 1];
        if (c >= 0x20 && c < 0x7f && c != '\'') shown[k++] = (char)c;
        else k += (size_t)snprintf(shown + k, sizeof shown - k, "\\x%02x", c);
    }
    shown[k] = 0;
    return ckpt_err_set(r->err, CKPT_E_UNSAFE,
                        "refused unsafe pickle global '%s' at byte %llu (only tensor data is loaded; "
                        "nothing in the file is executed)", shown, (unsigned long long)r->op_at);
}

/* ---- opcodes ---- */

static int push_str(rd *r, pk_kind k, size_t len)
{
    if (need(r, len)) return CKPT_E_FORMAT;
    pk_obj *o = obj_new(r, k);
    if (!o) return r->err->code;
    o->s = malloc(len + 1);
    if (!o->s) return nomem(r);
    memcpy(o->s, r->p + r->pos, len);
    o->s[len] = 0;
    o->slen = len;
    r->pos += len;
    if (k == PK_STR && !ckpt__utf8_valid(o->s, len)) return bad(r, "string is not valid UTF-8");
    return push(r, o);
}

static int push_int(rd *r, int64_t v)
{
    pk_obj *o = obj_new(r, PK_INT);
    if (!o) return r->err->code;
    o->i = v;
    return push(r, o);
}

/* A text line (GLOBAL, GET, PUT, INT): up to '\n', bounded. */
static int line(rd *r, const char **s, size_t *l)
{
    const unsigned char *nl = memchr(r->p + r->pos, '\n', r->n - r->pos);
    if (!nl) { r->vm->truncated = 1; return bad(r, "unterminated text argument"); }
    *s = (const char *)r->p + r->pos;
    *l = (size_t)(nl - (r->p + r->pos));
    r->pos += *l + 1;
    if (*l > 4096) return bad(r, "text argument too long");
    return 0;
}

static int text_uint(rd *r, uint64_t *v)
{
    const char *s;
    size_t l;
    if (line(r, &s, &l)) return CKPT_E_FORMAT;
    if (!l || l > 19) return bad(r, "bad decimal argument");
    uint64_t x = 0;
    for (size_t i = 0; i < l; i++) {
        if (s[i] < '0' || s[i] > '9') return bad(r, "bad decimal argument");
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    *v = x;
    return 0;
}

static int make_tuple(rd *r, pk_obj **items, size_t k)
{
    pk_obj *t = obj_new(r, PK_TUPLE);
    if (!t) return r->err->code;
    if (k) {
        t->items = malloc(k * sizeof *t->items);
        if (!t->items) return nomem(r);
        memcpy(t->items, items, k * sizeof *items);
        t->n = t->cap = (int)k;
    }
    return push(r, t);
}

static int is_str(const pk_obj *o) { return o && o->kind == PK_STR; }

static int do_call(rd *r, pk_obj *fn, pk_obj *args, int newobj)
{
    if (!fn || !args) return CKPT_E_FORMAT;
    if (fn->kind != PK_GLOBAL)
        return ckpt_err_set(r->err, CKPT_E_UNSAFE,
                            "refused unsafe pickle: %s of a %s (not an allowed global) at byte %llu",
                            newobj ? "NEWOBJ" : "REDUCE", ckpt__pk_kind_name(fn->kind), (unsigned long long)r->op_at);
    if (args->kind != PK_TUPLE) return bad(r, "%s arguments are a %s, not a tuple", newobj ? "NEWOBJ" : "REDUCE",
                                           ckpt__pk_kind_name(args->kind));
    pk_obj *o;
    if (fn->g == PKG_ORDERED_DICT) {
        /* OrderedDict() or OrderedDict([(k, v), ...]): plain data */
        o = obj_new(r, PK_DICT);
        if (!o) return r->err->code;
        if (args->n >= 1 && args->items[0]->kind == PK_LIST) {
            pk_obj *l = args->items[0];
            for (int i = 0; i < l->n; i++) {
                pk_obj *kv = l->items[i];
                if (kv->kind != PK_TUPLE || kv->n != 2) return bad(r, "OrderedDict item is not a pair");
                if (obj_push_item(r, o, kv->items[0]) || obj_push_item(r, o, kv->items[1])) return r->err->code;
            }
        }
        return push(r, o);
    }
    if (fn->g == PKG_CODECS_ENCODE) {
        /* _codecs.encode(str, 'latin1'): how protocol 2 spells bytes */
        if (args->n != 2 || !is_str(args->items[0]) || !is_str(args->items[1]))
            return bad(r, "_codecs.encode takes (str, encoding)");
        const pk_obj *s = args->items[0];
        const char *enc = args->items[1]->s;
        if (strcmp(enc, "latin1") && strcmp(enc, "latin-1") && strcmp(enc, "iso-8859-1"))
            return bad(r, "_codecs.encode with encoding '%.40s'", enc);
        o = obj_new(r, PK_BYTES);
        if (!o) return r->err->code;
        o->s = malloc(s->slen + 1);
        if (!o->s) return nomem(r);
        size_t k = 0;
        for (size_t i = 0; i < s->slen;) {
            unsigned char c = (unsigned char)s->s[i];
            if (c < 0x80) { o->s[k++] = (char)c; i++; }
            else if ((c & 0xe0) == 0xc0 && i + 1 < s->slen) {
                unsigned cp = ((c & 0x1fu) << 6) | ((unsigned char)s->s[i + 1] & 0x3fu);
                if (cp > 0xff) return bad(r, "_codecs.encode: character beyond latin-1");
                o->s[k++] = (char)cp;
                i += 2;
            } else return bad(r, "_codecs.encode: character beyond latin-1");
        }
        o->s[k] = 0;
        o->slen = k;
        return push(r, o);
    }
    if (fn->g == PKG_STORAGE || fn->g == PKG_DTYPE)
        return ckpt_err_set(r->err, CKPT_E_UNSAFE, "refused unsafe pickle: call of '%s' at byte %llu", fn->s,
                            (unsigned long long)r->op_at);
    o = obj_new(r, PK_CALL);
    if (!o) return r->err->code;
    o->fn = fn;
    o->args = args;
    o->g = fn->g;
    o->sub = fn->sub;
    o->newobj = newobj;
    return push(r, o);
}

static int setitems(rd *r, pk_obj *d, pk_obj **kv, size_t k)
{
    if (d->kind != PK_DICT) return bad(r, "SETITEM on a %s", ckpt__pk_kind_name(d->kind));
    if (k % 2) return bad(r, "SETITEMS with an odd number of items");
    for (size_t i = 0; i < k; i++)
        if (obj_push_item(r, d, kv[i])) return r->err->code;
    return 0;
}

static int appends(rd *r, pk_obj *l, pk_obj **it, size_t k)
{
    if (l->kind != PK_LIST && l->kind != PK_SET) return bad(r, "APPEND to a %s", ckpt__pk_kind_name(l->kind));
    for (size_t i = 0; i < k; i++)
        if (obj_push_item(r, l, it[i])) return r->err->code;
    return 0;
}

static const char *opname(unsigned char op)
{
    switch (op) {
    case 'i': return "INST";
    case 'o': return "OBJ";
    case 0x82: case 0x83: case 0x84: return "EXT";
    case 'P': return "PERSID (text)";
    case 0x97: return "NEXT_BUFFER";
    case 0x98: return "READONLY_BUFFER";
    default: return NULL;
    }
}

enum { PK_NOT_MINE = -1 };  /* an op_* group's answer for an opcode not in it */

/* Opcodes: framing and the stack itself: PROTO, FRAME, MARK, POP, POP_MARK, DUP. PK_NOT_MINE for any other. */
static int op_stack(rd *r, unsigned char op)
{
    pk_vm *vm = r->vm;
    pk_obj *a;
    size_t first = 0, k = 0;
    int rc = 0;
    switch (op) {
    case 0x80: /* PROTO */
        if ((rc = need(r, 1))) break;
        if (r->p[r->pos] > 5) rc = bad(r, "unsupported pickle protocol %d", r->p[r->pos]);
        r->pos++;
        break;
    case 0x95: /* FRAME: advisory length, the opcodes follow inline */
        if ((rc = need(r, 8))) break;
        r->pos += 8;
        break;
    case '(': /* MARK */
        if (vm->nmarks == vm->mcap) {
            if (vm->mcap >= MAX_MARKS) { rc = bad(r, "too many nested MARKs"); break; }
            size_t nc = vm->mcap ? vm->mcap * 2 : 16;
            size_t *nm = realloc(vm->marks, nc * sizeof *nm);
            if (!nm) { rc = nomem(r); break; }
            vm->marks = nm;
            vm->mcap = nc;
        }
        vm->marks[vm->nmarks++] = vm->sp;
        break;
    case '0': /* POP */
        if (vm->sp > mark_floor(r)) vm->sp--;
        else if (vm->nmarks && vm->sp == mark_floor(r)) vm->nmarks--;   /* pops the mark itself */
        else rc = bad(r, "stack underflow");
        break;
    case '1': /* POP_MARK */
        rc = pop_mark(r, &first, &k);
        break;
    case '2': /* DUP */
        if (!(a = top(r))) { rc = CKPT_E_FORMAT; break; }
        rc = push(r, a);
        break;
    default:
        return PK_NOT_MINE;
    }
    return rc;
}

/* Opcodes: None, booleans, integers and floats. PK_NOT_MINE for any other. */
static int op_numbers(rd *r, unsigned char op)
{
    pk_vm *vm = r->vm;
    pk_obj *a;
    int rc = 0;
    switch (op) {
    case 'N': rc = push(r, &vm->none_obj); break;
    case 0x88: case 0x89:
        if (!(a = obj_new(r, PK_BOOL))) { rc = r->err->code; break; }
        a->i = op == 0x88;
        rc = push(r, a);
        break;
    case 'J': /* BININT */
        if ((rc = need(r, 4))) break;
        rc = push_int(r, (int32_t)(uint32_t)le(r->p + r->pos, 4));
        r->pos += 4;
        break;
    case 'K': /* BININT1 */
        if ((rc = need(r, 1))) break;
        rc = push_int(r, r->p[r->pos++]);
        break;
    case 'M': /* BININT2 */
        if ((rc = need(r, 2))) break;
        rc = push_int(r, (int64_t)le(r->p + r->pos, 2));
        r->pos += 2;
        break;
    case 'I': { /* INT (text): also "00"/"01" booleans of protocol 0 */
        const char *s;
        size_t l;
        if ((rc = line(r, &s, &l))) break;
        char tmp[32];
        if (!l || l >= sizeof tmp) { rc = bad(r, "bad INT"); break; }
        memcpy(tmp, s, l);
        tmp[l] = 0;
        char *e;
        long long v = strtoll(tmp, &e, 10);
        if (*e) { rc = bad(r, "bad INT"); break; }
        rc = push_int(r, v);
        break;
    }
    case 0x8a: case 0x8b: { /* LONG1, LONG4: little-endian two's complement */
        size_t nb;
        if (op == 0x8a) { if ((rc = need(r, 1))) break; nb = r->p[r->pos++]; }
        else {
            if ((rc = need(r, 4))) break;
            uint64_t v = le(r->p + r->pos, 4);
            r->pos += 4;
            if (v > 0x7fffffff) { rc = bad(r, "negative LONG4 length"); break; }
            nb = (size_t)v;
        }
        if ((rc = need(r, nb))) break;
        const unsigned char *q = r->p + r->pos;
        r->pos += nb;
        int neg = nb && (q[nb - 1] & 0x80);
        /* fits in int64 when the bytes past 8 are pure sign extension */
        int fits = 1;
        for (size_t i = 8; i < nb; i++)
            if (q[i] != (neg ? 0xff : 0)) fits = 0;
        if (nb >= 8 && ((q[7] & 0x80) != 0) != neg) fits = 0;
        if (!fits) {
            if (!(a = obj_new(r, PK_BIGINT))) { rc = r->err->code; break; }
            rc = push(r, a);
            break;
        }
        uint64_t v = neg ? ~(uint64_t)0 : 0;
        for (size_t i = 0; i < nb && i < 8; i++) {
            v &= ~((uint64_t)0xff << (8 * i));
            v |= (uint64_t)q[i] << (8 * i);
        }
        rc = push_int(r, (int64_t)v);
        break;
    }
    case 'G': { /* BINFLOAT: big-endian double */
        if ((rc = need(r, 8))) break;
        uint64_t v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | r->p[r->pos + i];
        r->pos += 8;
        if (!(a = obj_new(r, PK_FLOAT))) { rc = r->err->code; break; }
        memcpy(&a->f, &v, 8);
        rc = push(r, a);
        break;
    }
    default:
        return PK_NOT_MINE;
    }
    return rc;
}

/* Opcodes: str and bytes, of every length encoding. PK_NOT_MINE for any other. */
static int op_strings(rd *r, unsigned char op)
{
    pk_vm *vm = r->vm;
    uint64_t u;
    int rc = 0;
    switch (op) {
    case 'X': /* BINUNICODE */
        if ((rc = need(r, 4))) break;
        u = le(r->p + r->pos, 4);
        r->pos += 4;
        rc = push_str(r, PK_STR, (size_t)u);
        break;
    case 0x8c: /* SHORT_BINUNICODE */
        if ((rc = need(r, 1))) break;
        rc = push_str(r, PK_STR, r->p[r->pos++]);
        break;
    case 0x8d: /* BINUNICODE8 */
        if ((rc = need(r, 8))) break;
        u = le(r->p + r->pos, 8);
        r->pos += 8;
        if ((rc = need(r, (size_t)u))) break;
        rc = push_str(r, PK_STR, (size_t)u);
        break;
    case 'U': /* SHORT_BINSTRING: py2 str, decoded as latin-1 by torch; kept as bytes-ish str */
        if ((rc = need(r, 1))) break;
        rc = push_str(r, PK_BYTES, r->p[r->pos++]);
        if (!rc) vm->stack[vm->sp - 1]->kind = ckpt__utf8_valid(vm->stack[vm->sp - 1]->s, vm->stack[vm->sp - 1]->slen) ? PK_STR : PK_BYTES;
        break;
    case 'T': /* BINSTRING */
        if ((rc = need(r, 4))) break;
        u = le(r->p + r->pos, 4);
        r->pos += 4;
        if (u > 0x7fffffff) { rc = bad(r, "negative BINSTRING length"); break; }
        rc = push_str(r, PK_BYTES, (size_t)u);
        if (!rc) vm->stack[vm->sp - 1]->kind = ckpt__utf8_valid(vm->stack[vm->sp - 1]->s, vm->stack[vm->sp - 1]->slen) ? PK_STR : PK_BYTES;
        break;
    case 'C': /* SHORT_BINBYTES */
        if ((rc = need(r, 1))) break;
        rc = push_str(r, PK_BYTES, r->p[r->pos++]);
        break;
    case 'B': /* BINBYTES */
        if ((rc = need(r, 4))) break;
        u = le(r->p + r->pos, 4);
        r->pos += 4;
        rc = push_str(r, PK_BYTES, (size_t)u);
        break;
    case 0x8e: case 0x96: /* BINBYTES8, BYTEARRAY8 */
        if ((rc = need(r, 8))) break;
        u = le(r->p + r->pos, 8);
        r->pos += 8;
        if ((rc = need(r, (size_t)u))) break;
        rc = push_str(r, PK_BYTES, (size_t)u);
        break;
    default:
        return PK_NOT_MINE;
    }
    return rc;
}

/* Opcodes: tuples, lists, dicts and sets, and filling them. PK_NOT_MINE for any other. */
static int op_containers(rd *r, unsigned char op)
{
    pk_vm *vm = r->vm;
    pk_obj *a, *b;
    size_t first = 0, k = 0;
    int rc = 0;
    switch (op) {
    case ')': /* EMPTY_TUPLE */
        rc = make_tuple(r, NULL, 0);
        break;
    case 't': /* TUPLE */
        if ((rc = pop_mark(r, &first, &k))) break;
        rc = make_tuple(r, vm->stack + first, k);
        break;
    case 0x85: case 0x86: case 0x87: { /* TUPLE1..3 */
        size_t want = (size_t)(op - 0x84);
        if (vm->sp < mark_floor(r) + want) { rc = bad(r, "stack underflow"); break; }
        vm->sp -= want;
        rc = make_tuple(r, vm->stack + vm->sp, want);
        break;
    }
    case ']': /* EMPTY_LIST */
        rc = push(r, obj_new(r, PK_LIST));
        break;
    case '}': /* EMPTY_DICT */
        rc = push(r, obj_new(r, PK_DICT));
        break;
    case 0x8f: /* EMPTY_SET */
        rc = push(r, obj_new(r, PK_SET));
        break;
    case 'l': case 'd': case 0x91: { /* LIST, DICT, FROZENSET from the marked items */
        if ((rc = pop_mark(r, &first, &k))) break;
        pk_obj *o = obj_new(r, op == 'l' ? PK_LIST : op == 'd' ? PK_DICT : PK_SET);
        if (!o) { rc = r->err->code; break; }
        rc = op == 'd' ? setitems(r, o, vm->stack + first, k) : appends(r, o, vm->stack + first, k);
        if (!rc) rc = push(r, o);
        break;
    }
    case 'a': /* APPEND */
        if (!(a = pop(r)) || !(b = top(r))) { rc = CKPT_E_FORMAT; break; }
        rc = appends(r, b, &a, 1);
        break;
    case 'e': case 0x90: /* APPENDS, ADDITEMS */
        if ((rc = pop_mark(r, &first, &k))) break;
        if (!(b = top(r))) { rc = CKPT_E_FORMAT; break; }
        rc = appends(r, b, vm->stack + first, k);
        break;
    case 's': { /* SETITEM */
        pk_obj *kv[2];
        if (!(kv[1] = pop(r)) || !(kv[0] = pop(r)) || !(b = top(r))) { rc = CKPT_E_FORMAT; break; }
        rc = setitems(r, b, kv, 2);
        break;
    }
    case 'u': /* SETITEMS */
        if ((rc = pop_mark(r, &first, &k))) break;
        if (!(b = top(r))) { rc = CKPT_E_FORMAT; break; }
        rc = setitems(r, b, vm->stack + first, k);
        break;
    default:
        return PK_NOT_MINE;
    }
    return rc;
}

/* Opcodes: globals and calls (each allowed global is checked in resolve_global and do_call), BUILD, persistent ids. PK_NOT_MINE for any other. */
static int op_calls(rd *r, unsigned char op)
{
    pk_obj *a, *b, *c;
    int rc = 0;
    switch (op) {
    case 'c': { /* GLOBAL "module\nname\n" */
        const char *ms, *ns;
        size_t ml, nl;
        if ((rc = line(r, &ms, &ml)) || (rc = line(r, &ns, &nl))) break;
        rc = resolve_global(r, ms, ml, ns, nl);
        break;
    }
    case 0x93: /* STACK_GLOBAL */
        if (!(b = pop(r)) || !(a = pop(r))) { rc = CKPT_E_FORMAT; break; }
        if (!is_str(a) || !is_str(b)) { rc = bad(r, "STACK_GLOBAL of non-strings"); break; }
        rc = resolve_global(r, a->s, a->slen, b->s, b->slen);
        break;
    case 'R': /* REDUCE */
        if (!(b = pop(r)) || !(a = pop(r))) { rc = CKPT_E_FORMAT; break; }
        rc = do_call(r, a, b, 0);
        break;
    case 0x81: /* NEWOBJ */
        if (!(b = pop(r)) || !(a = pop(r))) { rc = CKPT_E_FORMAT; break; }
        rc = do_call(r, a, b, 1);
        break;
    case 0x92: /* NEWOBJ_EX: cls, args, kwargs */
        if (!(c = pop(r)) || !(b = pop(r)) || !(a = pop(r))) { rc = CKPT_E_FORMAT; break; }
        if (c->kind != PK_DICT || c->n) { rc = bad(r, "NEWOBJ_EX with keyword arguments"); break; }
        rc = do_call(r, a, b, 1);
        break;
    case 'b': /* BUILD: the state is recorded, never applied */
        if (!(b = pop(r)) || !(a = top(r))) { rc = CKPT_E_FORMAT; break; }
        if (a->kind != PK_CALL && a->kind != PK_DICT) {
            rc = bad(r, "BUILD on a %s", ckpt__pk_kind_name(a->kind));
            break;
        }
        a->state = b;
        break;
    case 'Q': /* BINPERSID */
        if (!(a = pop(r))) { rc = CKPT_E_FORMAT; break; }
        if (!(b = obj_new(r, PK_PERSID))) { rc = r->err->code; break; }
        b->args = a;
        rc = push(r, b);
        break;
    default:
        return PK_NOT_MINE;
    }
    return rc;
}

/* Opcodes: the memo: PUT and GET in their binary and text forms. PK_NOT_MINE for any other. */
static int op_memo(rd *r, unsigned char op)
{
    pk_vm *vm = r->vm;
    pk_obj *a;
    uint64_t u;
    int rc = 0;
    switch (op) {
    case 'q': /* BINPUT */
        if ((rc = need(r, 1))) break;
        u = r->p[r->pos++];
        if (!(a = top(r))) { rc = CKPT_E_FORMAT; break; }
        rc = memo_put(r, u, a);
        break;
    case 'r': /* LONG_BINPUT */
        if ((rc = need(r, 4))) break;
        u = le(r->p + r->pos, 4);
        r->pos += 4;
        if (!(a = top(r))) { rc = CKPT_E_FORMAT; break; }
        rc = memo_put(r, u, a);
        break;
    case 'p': /* PUT (text) */
        if ((rc = text_uint(r, &u))) break;
        if (!(a = top(r))) { rc = CKPT_E_FORMAT; break; }
        rc = memo_put(r, u, a);
        break;
    case 0x94: /* MEMOIZE: next index = number of entries so far */
        if (!(a = top(r))) { rc = CKPT_E_FORMAT; break; }
        rc = memo_put(r, vm->memolen, a);
        break;
    case 'h': /* BINGET */
        if ((rc = need(r, 1))) break;
        rc = memo_get(r, r->p[r->pos++]);
        break;
    case 'j': /* LONG_BINGET */
        if ((rc = need(r, 4))) break;
        u = le(r->p + r->pos, 4);
        r->pos += 4;
        rc = memo_get(r, u);
        break;
    case 'g': /* GET (text) */
        if ((rc = text_uint(r, &u))) break;
        rc = memo_get(r, u);
        break;
    default:
        return PK_NOT_MINE;
    }
    return rc;
}

/* Opcodes ckpt does not run: those that import and call by themselves
 * (refused as unsafe), those it has no use for, unknown bytes. */
static int op_refused(rd *r, unsigned char op)
{
    const char *nm = opname(op);
    if (nm && (op == 'i' || op == 'o' || (op >= 0x82 && op <= 0x84)))
        return ckpt_err_set(r->err, CKPT_E_UNSAFE,
                            "refused unsafe pickle opcode %s at byte %llu (it imports and calls)", nm,
                            (unsigned long long)r->op_at);
    if (nm) return bad(r, "unsupported opcode %s", nm);
    return bad(r, "unknown opcode 0x%02x", op);
}

static int (*const op_groups[])(rd *, unsigned char) = {
    op_stack, op_numbers, op_strings, op_containers, op_calls, op_memo, op_refused,
};

/* A fresh run: the stack allocated once, the memo emptied (it is per pickle). */
static int vm_reset(rd *r)
{
    pk_vm *vm = r->vm;
    vm->sp = 0;
    vm->nmarks = 0;
    if (!vm->stack) {   /* never NULL: `stack + first` is taken even for empty marks */
        vm->stack = malloc(64 * sizeof *vm->stack);
        if (!vm->stack) return ckpt_err_set(r->err, CKPT_E_NOMEM, "out of memory reading a pickle");
        vm->scap = 64;
    }
    free(vm->memo);
    vm->memo = NULL;
    vm->memocap = 0;
    vm->memolen = 0;
    vm->truncated = 0;
    return 0;
}

int ckpt__pk_parse(pk_vm *vm, const unsigned char *buf, size_t n, uint64_t base, pk_obj **root,
             size_t *used, ckpt_err *err)
{
    rd R = {vm, buf, n, 0, base, base, err};
    rd *r = &R;
    ckpt_err local;
    if (!err) { ckpt_err_clear(&local); r->err = &local; }
    *root = NULL;
    int rc = vm_reset(r);
    while (!rc) {
        if (r->pos >= r->n) { vm->truncated = 1; return bad(r, "truncated: no STOP opcode before the end"); }
        r->op_at = base + r->pos;
        unsigned char op = r->p[r->pos++];
        if (op == '.') { /* STOP */
            if (vm->nmarks) return bad(r, "STOP with an open MARK");
            if (vm->sp != 1) return bad(r, "STOP with %zu items on the stack (want 1)", vm->sp);
            *root = vm->stack[0];
            if (used) *used = r->pos;
            return 0;
        }
        rc = PK_NOT_MINE;
        for (size_t g = 0; rc == PK_NOT_MINE; g++) rc = op_groups[g](r, op);
        if (!rc) rc = r->err->code;
    }
    return rc;
}

pk_obj *ckpt__pk_dict_get(const pk_obj *d, const char *key)
{
    if (!d || d->kind != PK_DICT) return NULL;
    for (int i = 0; i + 1 < d->n; i += 2)
        if (d->items[i]->kind == PK_STR && !strcmp(d->items[i]->s, key)) return d->items[i + 1];
    return NULL;
}

int ckpt__pk_truncated(const pk_vm *vm) { return vm && vm->truncated; }
