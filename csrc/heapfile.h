/*
 * heapfile.h -- heap files: a Snapshot written to disk for offline analysis
 * (Snapshot.save) and read back (heapscope.load) into a Snapshot that refers
 * to nothing of the reading process.
 *
 * Format (version 1; native byte order and 64-bit words, both checked):
 *
 *   header     176 bytes: magic "\x89HSHEAP\n", u32 format version, u32 header
 *              bytes, u32 byte-order mark 0x01020304, u32 pointer size,
 *              u32 flags (1 graph, 2 edge names, 4 serials), u32 sections,
 *              u64 n, rows, labels, edges, roots, reprs, frozen, serial series,
 *              origin (a random token of the writing process), i64 total size,
 *              f64 creation time, char[48] Python version, u64 hash of the
 *              header's bytes before it
 *   directory  one 32-byte entry a section: u32 tag, u32 zero, u64 offset,
 *              u64 length, u64 hash; then a u64 hash of the directory
 *   sections   each at its offset (8-aligned), each with an FNV-1a-style hash
 *              over its 64-bit words in its directory entry:
 *     RECS  n x 16    address, size|GC list|tracked|row bits (records.h)
 *     SERI  n x 8     creation serials (flag 4 only)
 *     ROWS  rows x 40 type address, label, detailed label, is_dict, 0,
 *                     count, size
 *     LABL  strings   the label table
 *     GOFF  (n+1) x 4, GFWD edges x 4   forward CSR (flag 1)
 *     ROOT  roots x 24   node, kind, thread, label string, references
 *     RSTR  strings   root labels
 *     ENAM  edges x 4 + ESTR strings    edge names (flag 2)
 *     REPR  reprs x 8 node, string + PSTR strings   a few short reprs
 *   strings: u32 count, u32 blob bytes, u32 offsets[count], blob of
 *   NUL-terminated UTF-8.
 *
 * Reading checks everything before use (sizes against the file, every
 * count against its section, every index against its table, CSR offsets
 * monotone, hashes) and raises heapscope.HeapFileError naming the problem.
 * Writing goes to a temporary file renamed over the target.
 */
#ifndef HS_HEAPFILE_H
#define HS_HEAPFILE_H
#include "records.h"

#define HS_HEAPFILE_VERSION 1

#endif
