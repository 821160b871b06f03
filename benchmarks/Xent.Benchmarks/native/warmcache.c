// Origin and licence: copied unchanged below this note from the workspace's shared benchmark tools
// (shared/tools/warm-allocator/warmcache.c, with its README, whose instructions native/README.md repeats). The original
// carries no licence header of its own; it is distributed here, as a benchmark-only tool, under this repository's MIT
// licence (LICENSE, "Xent contributors"). It is never part of the library, its tests or CI: benchmarks/compare.sh
// compiles it with gcc and preloads it into the comparison run only.
//
// LD_PRELOAD shim for benchmarks against libtorch with a warm allocator: a cache of libtorch's big tensor blocks (build it
// with gcc, preload it, switch it on with warm_cache_enable(1) and empty it with warm_cache_flush(); see README.md).
//
// Why: libtorch allocates every CPU tensor with posix_memalign(64, size). glibc 2.36 (Debian 12's) cannot reliably give
// a freed block back to the next request of the same size: memalign asks for size + alignment + 32 bytes, while the freed
// block is exactly size, its edges pinned by the small pieces memalign split off (they sit in the thread's tcache, never
// coalesced). So even with M_MMAP_MAX 0 and M_TRIM_THRESHOLD max, big libtorch calls keep taking fresh blocks off the top
// of the heap (fresh pages: page faults); with float64 4096x32000 the heap grew 1000 MiB a call, to 18 GiB.
//
// What: while enabled, posix_memalign of at least 64 KiB with alignment <= 64 returns a cached free block of exactly that
// size if there is one, else a new 64-byte-aligned glibc block that it registers; free() of a registered block puts it
// back in the cache instead of giving it to glibc (a free of a block under 64 KiB, by malloc_usable_size, goes straight to
// glibc). warm_cache_flush() gives the cached free blocks back to glibc. Disabled (the default-allocator measurements),
// posix_memalign is glibc's; free() still takes back registered blocks (none exist before the warm phase).
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);

#define BIG (64u << 10)
#define SLOTS 512

static struct
{
    void *p;
    size_t size;
    int used;
} blocks[SLOTS];
static int count, enabled;
static long hits, misses;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

void warm_cache_enable(int on)
{
    __atomic_store_n(&enabled, on, __ATOMIC_RELEASE);
}

// Cached blocks reused, blocks allocated from glibc, and the registered blocks (count, bytes) and the free ones among them.
void warm_cache_stats(long *h, long *m, long *n, long *bytes, long *freeBlocks, long *freeBytes)
{
    pthread_mutex_lock(&mu);
    *h = hits;
    *m = misses;
    *n = count;
    *bytes = *freeBlocks = *freeBytes = 0;
    for (int i = 0; i < count; i++)
    {
        *bytes += (long)blocks[i].size;
        if (!blocks[i].used)
        {
            ++*freeBlocks;
            *freeBytes += (long)blocks[i].size;
        }
    }
    pthread_mutex_unlock(&mu);
}

// Gives the cached free blocks back to glibc.
void warm_cache_flush(void)
{
    pthread_mutex_lock(&mu);
    int k = 0;
    for (int i = 0; i < count; i++)
    {
        if (blocks[i].used) blocks[k++] = blocks[i];
        else __libc_free(blocks[i].p);
    }
    __atomic_store_n(&count, k, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&mu);
}

int posix_memalign(void **memptr, size_t alignment, size_t size)
{
    if (alignment == 0 || alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    if (size >= BIG && alignment <= 64 && __atomic_load_n(&enabled, __ATOMIC_ACQUIRE))
    {
        pthread_mutex_lock(&mu);
        for (int i = 0; i < count; i++)
        {
            if (!blocks[i].used && blocks[i].size == size)
            {
                blocks[i].used = 1;
                hits++;
                pthread_mutex_unlock(&mu);
                *memptr = blocks[i].p;
                return 0;
            }
        }

        void *p = __libc_memalign(64, size);
        if (p != NULL && count < SLOTS)
        {
            blocks[count].p = p;
            blocks[count].size = size;
            blocks[count].used = 1;
            __atomic_store_n(&count, count + 1, __ATOMIC_RELEASE);
            misses++;
        }

        pthread_mutex_unlock(&mu);
        if (p == NULL) return ENOMEM;
        *memptr = p;
        return 0;
    }

    void *p = __libc_memalign(alignment, size);
    if (p == NULL) return ENOMEM;
    *memptr = p;
    return 0;
}

// Finds a registered block in use; with take, marks it free (back in the cache), else unregisters it. 1 if found.
static int registered(void *p, int take)
{
    if (p == NULL || __atomic_load_n(&count, __ATOMIC_ACQUIRE) == 0 || malloc_usable_size(p) < BIG) return 0;
    int found = 0;
    pthread_mutex_lock(&mu);
    for (int i = 0; i < count; i++)
    {
        if (blocks[i].p == p && blocks[i].used)
        {
            if (take)
            {
                blocks[i].used = 0;
            }
            else
            {
                blocks[i] = blocks[count - 1];
                __atomic_store_n(&count, count - 1, __ATOMIC_RELEASE);
            }

            found = 1;
            break;
        }
    }

    pthread_mutex_unlock(&mu);
    return found;
}

void free(void *p)
{
    if (!registered(p, 1)) __libc_free(p);
}

// A registered block that is reallocated leaves the cache and is glibc's again.
void *realloc(void *p, size_t size)
{
    registered(p, 0);
    return __libc_realloc(p, size);
}
