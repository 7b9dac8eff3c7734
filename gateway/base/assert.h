// INTRANSIT_ASSERT is for our own invariants only, never for what the network can cause
// (STYLE.md R15). It aborts in every build type: a broken invariant in a security gateway is
// not something to continue past.
#pragma once

#include <cstdio>
#include <cstdlib>

#define INTRANSIT_ASSERT(cond)                                                         \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)
