import type { z } from 'zod'
import { clockTime } from './format'
import { issuesFromZod, type ErrorCode, type ErrorValue, type FieldIssue } from './result'

/** Base of every error we expect and can explain; anything else is a bug and maps to INTERNAL. */
export abstract class PoolError extends Error {
  abstract readonly code: ErrorCode
  toValue(): ErrorValue {
    return { code: this.code, message: this.message }
  }
}

/** Input that failed validation, with the path of every offending field. */
export class ValidationError extends PoolError {
  readonly code = 'VALIDATION' as const
  constructor(readonly issues: readonly FieldIssue[]) {
    super(issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '))
    this.name = 'ValidationError'
  }
  static fromZod(error: z.ZodError, prefix: readonly (string | number)[] = []): ValidationError {
    return new ValidationError(issuesFromZod(error, prefix))
  }
  static field(path: string, message: string): ValidationError {
    return new ValidationError([{ path: [path], message }])
  }
  override toValue(): ErrorValue {
    return { code: this.code, message: this.message, issues: this.issues }
  }
}

/** How to add a first account: every place that finds the pool empty says the same. */
export const ADD_ACCOUNT_HINT = 'add one with `auth-pool accounts add --name NAME --config-dir DIR`'
export const NO_ACCOUNTS_YET = `no accounts yet; ${ADD_ACCOUNT_HINT}`

export class NotFoundError extends PoolError {
  readonly code = 'NOT_FOUND' as const
  constructor(
    readonly what: string,
    readonly key: string,
    hint = '',
  ) {
    // An empty key: there is none at all (an empty pool), not one missing by that name.
    super(`${key ? `no ${what} "${key}"` : `no ${what}s yet`}${hint ? ` — ${hint}` : ''}`)
    this.name = 'NotFoundError'
  }
}

export class ConflictError extends PoolError {
  readonly code = 'CONFLICT' as const
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message)
    this.name = 'ConflictError'
  }
  override toValue(): ErrorValue {
    return this.field
      ? { code: this.code, message: this.message, issues: [{ path: [this.field], message: this.message }] }
      : { code: this.code, message: this.message }
  }
}

/** No enabled account has headroom; says when the first one frees up. */
export class PoolExhaustedError extends PoolError {
  readonly code = 'POOL_EXHAUSTED' as const
  constructor(
    readonly earliestFreeAt: string | null,
    detail: string,
    /** What to do about it, when something can be done now ("log in with …"). */
    hint?: string,
  ) {
    super(
      (earliestFreeAt
        ? `every account is at its limit (${detail}); the first frees up at ${clockTime(earliestFreeAt)}`
        : `no account is available (${detail})`) + (hint ? `; ${hint}` : ''),
    )
    this.name = 'PoolExhaustedError'
  }
}

/** An error another process reported (its run of our request failed): same code, message and issues. */
export class ReportedError extends PoolError {
  readonly code: ErrorCode
  constructor(readonly value: ErrorValue) {
    super(value.message)
    this.code = value.code
    this.name = 'ReportedError'
  }
  override toValue(): ErrorValue {
    return this.value
  }
}

/** Maps any thrown value to a boundary error value without hiding what it was. */
export function toErrorValue(error: unknown): ErrorValue {
  if (error instanceof PoolError) return error.toValue()
  const code = (error as { code?: unknown })?.code
  if (
    code === 'STORE_LOCKED' ||
    code === 'STORE_VERSION' ||
    code === 'STORE_IO' ||
    code === 'STORE_REFUSED' ||
    code === 'STORE_CORRUPT'
  )
    return { code, message: (error as Error).message }
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) }
}
