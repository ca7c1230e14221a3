/*
 * The entry point every fuzz target defines. Built with clang and
 * -fsanitize=fuzzer, libFuzzer calls it; built with replay.c, a plain
 * program calls it once per input file, so make check replays the corpus.
 */
#ifndef VIGIL_FUZZ_H
#define VIGIL_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
