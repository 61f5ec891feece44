import { ConflictError, NO_ACCOUNTS_YET, NotFoundError, ValidationError } from '../../shared/errors'
import type { DeepReadonly } from '../../shared/readonly'
import { AccountInputSchema, AccountPatchSchema, type Account } from '../../shared/schemas/account'
import type { StateDocument, StateDraft } from '../../shared/schemas/state'
import { resolveConfigDir } from './configDir'
import type { FileSystem } from './ports'

type Doc = DeepReadonly<StateDocument>

/** Finds an account by id, else by name (case-insensitive). */
export function findAccount<A extends { readonly id: string; readonly name: string }>(
  doc: { readonly accounts: readonly A[] },
  nameOrId: string,
): A {
  const key = nameOrId.trim().toLowerCase()
  const found = doc.accounts.find((a) => a.id === nameOrId) ?? doc.accounts.find((a) => a.name.toLowerCase() === key)
  if (!found) {
    const names = doc.accounts.map((a) => a.name).join(', ')
    throw new NotFoundError('account', nameOrId, names ? `known accounts: ${names}` : NO_ACCOUNTS_YET)
  }
  return found
}

function parse<T>(
  schema: { safeParse(input: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError } },
  input: unknown,
): T {
  const result = schema.safeParse(input)
  if (!result.success) throw ValidationError.fromZod(result.error)
  return result.data
}

/** Where a directory leads (symlinks resolved), or the path itself when it cannot be resolved now. */
function realOf(fs: FileSystem, path: string): string {
  try {
    return fs.realpath(path)
  } catch {
    return path
  }
}

/** Refuses a second account by the same name, or on the same directory (however either is spelled). */
function assertUnique(
  doc: Doc,
  candidate: { id: string; name: string; configDir: string },
  fs: FileSystem,
  real: string = candidate.configDir,
): void {
  for (const other of doc.accounts) {
    if (other.id === candidate.id) continue
    if (other.name.toLowerCase() === candidate.name.toLowerCase())
      throw new ConflictError(`an account named "${other.name}" already exists`, 'name')
    if (other.configDir === candidate.configDir || realOf(fs, other.configDir) === real)
      throw new ConflictError(
        `account "${other.name}" already uses ${other.configDir}${other.configDir === candidate.configDir ? '' : ` (${candidate.configDir} leads there too)`}`,
        'configDir',
      )
  }
}

function assertBudgetsForCustom(account: Pick<Account, 'plan' | 'blockBudgetUsd' | 'weeklyBudgetUsd'>): void {
  if (account.plan !== 'custom') return
  const issues = []
  if (account.blockBudgetUsd === null)
    issues.push({ path: ['blockBudgetUsd'], message: 'a custom plan needs a 5-hour budget' })
  if (account.weeklyBudgetUsd === null)
    issues.push({ path: ['weeklyBudgetUsd'], message: 'a custom plan needs a weekly budget' })
  if (issues.length) throw new ValidationError(issues)
}

/**
 * Validates an account input outside the transaction (the file-system checks), returning a function
 * that adds it inside one (the uniqueness checks, which must see the current document), and the folder
 * it made (with `create`), which the caller removes again if the transaction fails.
 */
export function prepareAddAccount(
  input: unknown,
  fs: FileSystem,
  now: Date,
  newId: () => string,
): { add: (draft: StateDraft) => Account; created: string | null } {
  const parsed = parse(AccountInputSchema, input)
  assertBudgetsForCustom({
    plan: parsed.plan,
    blockBudgetUsd: parsed.blockBudgetUsd ?? null,
    weeklyBudgetUsd: parsed.weeklyBudgetUsd ?? null,
  })
  const { path: configDir, real, created } = resolveConfigDir(parsed.configDir, fs, { create: parsed.create })
  const account: Account = {
    id: newId(),
    name: parsed.name,
    configDir,
    plan: parsed.plan,
    blockBudgetUsd: parsed.blockBudgetUsd ?? null,
    weeklyBudgetUsd: parsed.weeklyBudgetUsd ?? null,
    enabled: parsed.enabled,
    priority: parsed.priority,
    createdAt: now.toISOString(),
    lastAllocatedAt: null,
    sessionsStarted: 0,
    limitedUntil: null,
  }
  const add = (draft: StateDraft) => {
    assertUnique(draft, account, fs, real)
    draft.accounts.push(account)
    draft.sessionIndex[account.id] = []
    return account
  }
  return { add, created: created ? configDir : null }
}

export function prepareUpdateAccount(
  nameOrId: string,
  patchInput: unknown,
  fs: FileSystem,
  options: { readonly create?: boolean } = {},
): { update: (draft: StateDraft) => Account; created: string | null } {
  const patch = parse(AccountPatchSchema, patchInput)
  const resolved = patch.configDir === undefined ? undefined : resolveConfigDir(patch.configDir, fs, options)
  const configDir = resolved?.path
  const update = (draft: StateDraft) => {
    const account = findAccount(draft, nameOrId)
    const next: Account = { ...account, ...patch, ...(configDir ? { configDir } : {}) }
    assertBudgetsForCustom(next)
    assertUnique(draft, next, fs, resolved ? resolved.real : realOf(fs, next.configDir))
    Object.assign(account, next)
    if (!next.enabled && draft.preferredAccountId === next.id) draft.preferredAccountId = null
    return next
  }
  return { update, created: resolved?.created ? resolved.path : null }
}

/**
 * Removes an account from the pool (its directory stays on disk), with its sessions, index and
 * folder assignments, in one transaction. Refuses while sessions are active unless forced.
 */
export function removeAccount(draft: StateDraft, nameOrId: string, force: boolean): Account {
  const account = findAccount(draft, nameOrId)
  const ids = draft.sessionIndex[account.id] ?? []
  const active = ids.filter((id) => draft.sessions[id]?.status === 'active')
  if (active.length > 0 && !force)
    throw new ConflictError(
      `account "${account.name}" has ${active.length} active session(s); end them or remove with --force`,
    )
  for (const id of ids) delete draft.sessions[id]
  delete draft.sessionIndex[account.id]
  for (const [folder, assignment] of Object.entries(draft.assignments))
    if (assignment.accountId === account.id) delete draft.assignments[folder]
  if (draft.preferredAccountId === account.id) draft.preferredAccountId = null
  draft.accounts = draft.accounts.filter((a) => a.id !== account.id)
  return account
}
