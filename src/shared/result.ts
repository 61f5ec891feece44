import type { z } from 'zod'

/** A field-level problem, addressed by its path in the input (e.g. `['configDir']`). */
export interface FieldIssue {
  readonly path: readonly (string | number)[]
  readonly message: string
}

/** Error codes that cross a boundary (IPC, CLI JSON output). */
export type ErrorCode =
  | 'VALIDATION'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'POOL_EXHAUSTED'
  | 'STORE_LOCKED'
  | 'STORE_VERSION'
  | 'STORE_IO'
  | 'STORE_REFUSED'
  | 'STORE_CORRUPT'
  | 'UNKNOWN_CHANNEL'
  | 'FORBIDDEN'
  | 'INTERNAL'

export interface ErrorValue {
  readonly code: ErrorCode
  readonly message: string
  readonly issues?: readonly FieldIssue[]
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorValue }

export const ok = <T>(value: T): Result<T> => ({ ok: true, value })
export const err = (error: ErrorValue): Result<never> => ({ ok: false, error })

/** Converts zod issues to our field issues, keeping only string/number path segments. */
export function issuesFromZod(error: z.ZodError, prefix: readonly (string | number)[] = []): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path.filter((p): p is string | number => typeof p !== 'symbol')],
    message: issue.message,
  }))
}
