/**
 * A stable 64-bit FNV-1a hash of a path, in hex: the name of a file kept for a folder (a usage index, its
 * server figures). Not node:crypto, which is slow to load for a short command; a name needs no secrecy,
 * and each such file says whose it is inside.
 */
export function pathHash(path: string): string {
  let hash = 0xcbf29ce484222325n
  for (const byte of Buffer.from(path)) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn
  return hash.toString(16).padStart(16, '0')
}
