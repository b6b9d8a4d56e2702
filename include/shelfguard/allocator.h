// Process-wide allocator settings for scanning processes.
#ifndef SHELFGUARD_ALLOCATOR_H_
#define SHELFGUARD_ALLOCATOR_H_

namespace shelfguard {

// A scan inflates entries of up to tens of MiB, parses them and frees them,
// package after package. With glibc's defaults each such buffer is a fresh
// mmap whose every page faults in again; keeping freed memory in the heap
// instead cut about 5 % of a corpus scan by the CLI. Peak memory is
// unchanged (the buffers are reused, not added). Call once at the start of
// main().
void TuneAllocatorForScanning();

}  // namespace shelfguard

#endif  // SHELFGUARD_ALLOCATOR_H_
