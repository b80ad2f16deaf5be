/* ckpt/human.h: numbers as people read them, the same in every command,
 * the TUI and the engine's facts. Each writes into buf and returns it. */
#ifndef CKPT_HUMAN_H
#define CKPT_HUMAN_H

#include <stddef.h>
#include <stdint.h>

/* "512 B", "13.3 KiB", "1.50 GiB" (binary units, 3 significant digits) */
const char *ckpt_human_bytes(uint64_t n, char *buf, size_t len);
/* "6,736" (thousands grouped with commas) */
const char *ckpt_human_count(uint64_t n, char *buf, size_t len);
/* "999", "6.74K", "1.2M", "7B" (decimal units, for narrow columns) */
const char *ckpt_human_short(uint64_t n, char *buf, size_t len);

#endif
