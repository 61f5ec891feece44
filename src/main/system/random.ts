// node:crypto is loaded on first use, not when a command starts: it is slow to load, and most commands
// (status, usage, run of a subcommand) never draw a random number.
const crypto = () => process.getBuiltinModule('node:crypto')

/** A random UUID (v4). */
export const randomId = (): string => crypto().randomUUID()

/** `bytes` random bytes in hex. */
export const randomHex = (bytes: number): string => crypto().randomBytes(bytes).toString('hex')
