// node:crypto is loaded on first use, not when a command starts: loading it costs every command about
// 11 ms, and most (status, usage, run of a subcommand) never draw a random number.
const crypto = () => process.getBuiltinModule('node:crypto')

/** A random UUID (v4). */
export const randomId = (): string => crypto().randomUUID()

/** `bytes` random bytes in hex. */
export const randomHex = (bytes: number): string => crypto().randomBytes(bytes).toString('hex')
