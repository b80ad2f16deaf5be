/* main.c: ckpt's entry point. Everything else is in cli.c (commands) and
 * the TUI modules. */
#include <locale.h>

#include "cli.h"

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    return cli_main(argc, argv);
}
