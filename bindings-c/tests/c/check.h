/* The tests' one assertion: report a failed check and go on. */
#ifndef LANDWATCH_TEST_CHECK_H
#define LANDWATCH_TEST_CHECK_H

#include <stdio.h>

static int failures = 0;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                    \
        }                                                                  \
    } while (0)

#endif
