/* libFuzzer target: the pickle VM on arbitrary bytes (torch data.pkl and
 * legacy streams). Whatever it accepts must be a graph of allowed objects:
 * every global on the allow-list, every call of an allowed global. */
#include <stddef.h>
#include <stdint.h>

#include "formats/pickle.h"

static size_t visits;

static void walk(const pk_obj *o, int depth)
{
    if (!o || depth > 40 || ++visits > 100000) return;
    if (o->kind == PK_GLOBAL && o->g == PKG_NONE) __builtin_trap();
    if (o->kind == PK_CALL && (!o->fn || o->fn->kind != PK_GLOBAL || !o->args || o->args->kind != PK_TUPLE))
        __builtin_trap();
    for (int i = 0; i < o->n; i++) walk(o->items[i], depth + 1);
    walk(o->fn, depth + 1);
    walk(o->args, depth + 1);
    walk(o->state, depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pk_limits lim = {1u << 16, 1u << 14};
    pk_vm *vm = ckpt__pk_new(&lim);
    if (!vm) return 0;
    ckpt_err err;
    ckpt_err_clear(&err);
    size_t pos = 0;
    /* several pickles back to back, as in the legacy format */
    for (int k = 0; k < 5 && pos < size; k++) {
        pk_obj *root = NULL;
        size_t used = 0;
        if (ckpt__pk_parse(vm, data + pos, size - pos, pos, &root, &used, &err)) break;
        if (!root || !used || used > size - pos) __builtin_trap();
        visits = 0;
        walk(root, 0);
        pos += used;
    }
    if (err.code && !err.msg[0]) __builtin_trap();   /* every failure says why */
    ckpt__pk_free(vm);
    return 0;
}
