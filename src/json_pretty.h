/* src/json_pretty.h: JSON as Hugging Face writes config.json (json_pretty.c). */
#ifndef CKPT_JSON_PRETTY_H
#define CKPT_JSON_PRETTY_H

#include <cJSON.h>

/* Python's json.dumps(j, indent=2, ensure_ascii=False) + "\n"; malloc'd, NULL when out of memory. */
char *ckpt__json_indent2(const cJSON *j);

#endif
